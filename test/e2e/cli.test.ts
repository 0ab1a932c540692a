/** The `gradclip` CLI end to end, as a spawned process (`node --import tsx src/cli/bin.ts …`). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function gradclip(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
}

describe('gradclip CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gradclip-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists the commands and exits 0 without loading tfjs', () => {
    const t0 = Date.now();
    const r = gradclip('--help');
    assert.equal(r.status, 0, r.stderr);
    for (const c of ['study', 'run', 'report']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
    assert.ok(Date.now() - t0 < 15_000);
    for (const c of ['study', 'run', 'report']) {
      const h = gradclip(c, '--help');
      assert.equal(h.status, 0);
      assert.match(h.stdout, new RegExp(`Usage: gradclip ${c}`));
    }
    assert.match(gradclip('run', '--help').stdout, /--clip <setting>/);
  });

  it('run: one tiny configuration on cpu writes results, report and logs', () => {
    const out = path.join(dir, 'run');
    const r = gradclip('run', '--quick', '--backend', 'cpu', '--clip', 'norm=1', '--epochs', '2', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /regression-adam-norm-1/);
    assert.match(r.stdout, /report: +.*regression-adam-norm-1-report\.html/);
    const study = JSON.parse(readFileSync(path.join(out, 'regression-adam-norm-1-results.json'), 'utf8'));
    assert.equal(study.runs.length, 1);
    assert.equal(study.runs[0].backend, 'cpu');
    assert.deepEqual(study.runs[0].spec.clip, { clipnorm: 1 });
    assert.equal(study.runs[0].epochs.length, 2);
    assert.ok(readdirSync(path.join(out, 'logs', 'run', 'regression-adam-norm-1', 'train')).length === 1);
  });

  it('study --quick: runs the regression set, prints the table and writes every output', () => {
    const out = path.join(dir, 'study');
    const r = gradclip('study', 'regression', '--quick', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /final val loss/);
    assert.match(r.stdout, /normal-sgd-none .* \(Infinity\)|normal-sgd-none .* \(NaN\)/);
    assert.match(r.stdout, /Article claims:/);
    for (const f of ['regression-results.json', 'regression-report.html', 'regression-table.md', 'regression-table.csv']) {
      assert.ok(statSync(path.join(out, f)).size > 0, f);
    }
    const study = JSON.parse(readFileSync(path.join(out, 'regression-results.json'), 'utf8'));
    assert.equal(study.runs.length, 11);
    const logs = path.join(out, 'logs', 'regression');
    assert.equal(readdirSync(logs).length, 11);
    assert.ok(existsSync(path.join(logs, 'normal-adam-norm-1', 'validation')));

    const again = path.join(dir, 'again.html');
    const rep = gradclip('report', path.join(out, 'regression-results.json'), '--out', again);
    assert.equal(rep.status, 0, rep.stderr);
    assert.match(readFileSync(again, 'utf8'), /<svg/);
  });

  const bad: [string[], RegExp][] = [
    [['run', '--clip', 'norm=-1'], /^error: --clip: norm must be a finite number > 0\. Received: norm=-1$/],
    [['run', '--clip', 'foo'], /^error: --clip: must be one of 'none', 'value=V', 'norm=N', 'global-norm=N'\. Received: "foo"$/],
    [['run', '--epochs', '0'], /^error: --epochs must be an integer >= 1\. Received: --epochs=0$/],
    [['run', '--lr', 'fast'], /^error: --lr must be a finite number > 0\. Received: --lr=fast$/],
    [['run', '--backend', 'gpu'], /^error: option '--backend <name>' argument 'gpu' is invalid/],
    [['run', '--dataset', 'imagenet'], /^error: option '--dataset <name>' argument 'imagenet' is invalid/],
    [['run', '--bogus'], /^error: unknown option '--bogus'/],
    [['study', 'bogus'], /^error: study set must be one of regression, mnist, cnn, rnn, all\. Received: bogus$/],
    [['report', 'no-such-file.json'], /^error: cannot read no-such-file\.json/],
    [['frobnicate'], /^error: unknown command 'frobnicate'/],
  ];
  for (const [args, msg] of bad) {
    it(`bad input \`${args.join(' ')}\`: one line on stderr, non-zero exit`, () => {
      const r = gradclip(...args);
      assert.notEqual(r.status, 0);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], msg);
      assert.equal(r.stdout, '');
    });
  }
});
