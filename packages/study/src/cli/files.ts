/** Output files of the CLI: checking a directory is writable up front, and writing files atomically (internal). */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './usage-error.js';

/** `ENOTDIR: not a directory`, from a Node file-system error. */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EEXIST') return 'ENOTDIR: exists and is not a directory';
  if (err.code) return `${err.code}: ${err.message.replace(/^[A-Z]+: /, '').replace(/, (mkdir|open|unlink) .*$/, '')}`;
  return err.message ?? String(e);
}

/**
 * Makes sure `dir` is a directory this process can write: creates it (and its parents), writes a
 * probe file into it and removes the probe. Called before any training, so a run never trains for
 * minutes and then fails to save its results.
 *
 * @param dir - the directory.
 * @param flag - the flag that named it, for the message (`--out`, `--logdir`).
 * @param shown - what the message shows as the flag's value and rule (default: `dir`, "a writable directory").
 * @throws UsageError "<flag> must be a writable directory. Received: <flag>=<dir> (<code>: <reason>)".
 */
export function ensureWritableDir(dir: string, flag: string, shown: { value: string; rule: string } = { value: dir, rule: 'a writable directory' }): void {
  const probe = path.join(dir, `.gradclip-write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(probe, 'wx');
    try {
      writeFileSync(fd, 'probe');
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
  } catch (e) {
    try {
      rmSync(probe, { force: true });
    } catch {
      // no probe to remove (the directory could not be made)
    }
    throw new UsageError(`${flag} must be ${shown.rule}. Received: ${flag}=${shown.value} (${reason(e)})`);
  }
}

/**
 * Writes `file` so that it is, at every moment, either its old content or the whole new one: the
 * data goes to a temporary file beside it, is flushed to disk, and the temporary file is renamed
 * over `file` (a rename within one directory is atomic on POSIX file systems). An interrupted
 * process leaves at most a `.tmp` file, never a truncated `file`.
 *
 * @param file - the destination.
 * @param data - its content.
 */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
