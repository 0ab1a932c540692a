import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureWritableDir, writeFileAtomic } from './files.js';

describe('ensureWritableDir', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'gradclip-files-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates missing parents and leaves no probe file behind', () => {
    const target = path.join(dir, 'a', 'b', 'c');
    ensureWritableDir(target, '--out');
    assert.ok(statSync(target).isDirectory());
    assert.deepEqual(readdirSync(target), []);
  });

  it('keeps the files already there', () => {
    const target = path.join(dir, 'kept');
    ensureWritableDir(target, '--out');
    writeFileSync(path.join(target, 'old.json'), '{}');
    ensureWritableDir(target, '--out');
    assert.deepEqual(readdirSync(target), ['old.json']);
  });

  it('names the flag, the rule, the value and the reason when the path is below a file (ENOTDIR)', () => {
    const file = path.join(dir, 'file');
    writeFileSync(file, 'x');
    assert.throws(() => ensureWritableDir(path.join(file, 'sub'), '--logdir'), {
      name: 'UsageError',
      message: `--logdir must be a writable directory. Received: --logdir=${path.join(file, 'sub')} (ENOTDIR: not a directory)`,
    });
    assert.throws(() => ensureWritableDir(file, '--out'), {
      message: `--out must be a writable directory. Received: --out=${file} (ENOTDIR: exists and is not a directory)`,
    });
  });
});

describe('writeFileAtomic', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'gradclip-atomic-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the whole content, replaces an older file and leaves no temporary file', () => {
    const f = path.join(dir, 'r.json');
    writeFileSync(f, 'old content that is longer than the new one');
    const data = JSON.stringify({ runs: Array.from({ length: 1000 }, (_, i) => i) });
    writeFileAtomic(f, data);
    assert.equal(readFileSync(f, 'utf8'), data);
    assert.deepEqual(readdirSync(dir), ['r.json']);
  });

  it('leaves the old file intact and no temporary file when the write fails', () => {
    const f = path.join(dir, 'missing-dir', 'r.json');
    assert.throws(() => writeFileAtomic(f, 'x'), { code: 'ENOENT' });
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  });
});
