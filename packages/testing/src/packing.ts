/**
 * Test harness for release checks: pack a workspace package the way `npm publish` would, install tarballs into a throw-away project, and list what got installed.
 * Installs use the npm cache first (`npm ci` filled it), so they work offline once CI has run `npm ci`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs npm with `args` in `cwd`, returning stdout; throws with npm's stderr on failure. */
export function npm(args: string[], cwd: string): string {
  try {
    return execFileSync(NPM, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${err.stderr ?? err.message}`);
  }
}

/**
 * `npm pack` of the package in `pkgDir` into `dest`; returns the tarball's path and its file list.
 * Scripts are skipped: `npm test` has built every package already, and a `prepack` rebuild would
 * rewrite dist/ under the feet of tests running in parallel.
 */
export function pack(pkgDir: string, dest: string): { tarball: string; files: string[] } {
  const out = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dest], pkgDir);
  const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(dest, info[0].filename), files: info[0].files.map((f) => f.path) };
}

/** A new temporary directory; remove it with `rmSync(dir, { recursive: true, force: true })`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a `type: module` package.json in `dir` and installs `specs` (tarballs or `name@version`). */
export function installProject(dir: string, specs: string[]): void {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', '--loglevel=error', ...specs], dir);
}

/** Names of every package installed under `dir/node_modules` (scoped ones as `@scope/name`), nested trees included. */
export function installedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  const walk = (nm: string): void => {
    if (!existsSync(nm)) return;
    for (const entry of readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const sub of readdirSync(join(nm, entry))) {
          names.add(`${entry}/${sub}`);
          walk(join(nm, entry, sub, 'node_modules'));
        }
      } else {
        names.add(entry);
        walk(join(nm, entry, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return names;
}

/** The version of the workspace's own copy of `name` (from the root node_modules). */
export function workspaceVersion(root: string, name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

export { rmSync };
