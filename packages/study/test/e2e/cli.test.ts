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

  it('study adaptive --quick: none, fixed global norm, AGC, AutoClip and ZClip on the RNN and the CNN', () => {
    const out = path.join(dir, 'adaptive');
    const r = gradclip('study', 'adaptive', '--quick', '--backend', 'cpu', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /study adaptive: 10 configurations \(quick\)/);
    assert.doesNotMatch(r.stdout, /Article claims:/, 'the article claims are about the regression set only');
    assert.match(r.stdout, /Adaptive clipping \(lowest final val loss first\):/);
    assert.match(r.stdout, /adding problem · SimpleRNN .*: (lowest final val loss with|every run went non-finite)/);
    const study = JSON.parse(readFileSync(path.join(out, 'adaptive-results.json'), 'utf8'));
    assert.equal(study.study, 'adaptive');
    assert.equal(study.runs.length, 10);
    for (const model of ['adding-rnn', 'cifar-cnn']) {
      const runs = study.runs.filter((x: { spec: { model: string } }) => x.spec.model === model);
      assert.equal(runs.length, 5, model);
      assert.deepEqual(
        runs.map((x: { spec: { clip: { transform?: { name: string } } } }) => x.spec.clip.transform?.name ?? null),
        [null, null, 'adaptiveGradClip', 'autoClip', 'zClip'],
      );
      assert.ok(runs.every((x: { stepsRun: number }) => x.stepsRun > 0), `${model}: every configuration trained`);
    }
    const agc = study.runs.find((x: { name: string }) => x.name === 'cnn-sgd-agc-0.01');
    assert.deepEqual(agc.spec.clip, { transform: { name: 'adaptiveGradClip', args: [0.01, { excludeNames: ['head/'] }] } });
    const md = readFileSync(path.join(out, 'adaptive-table.md'), 'utf8');
    for (const c of ['agc=0.01', 'autoclip=10', 'zclip', 'global-norm=2']) assert.ok(md.includes(`| ${c} |`), c);
    const html = readFileSync(path.join(out, 'adaptive-report.html'), 'utf8');
    assert.match(html, /Adaptive clipping: which method ended lowest/);
    assert.doesNotMatch(html, /The article&#39;s claims|The article's claims vs/);
    assert.equal((html.match(/<svg/g) ?? []).length, 4, 'loss and norm plots for each of the two tasks');
    assert.equal(readdirSync(path.join(out, 'logs', 'adaptive')).length, 10);
  });

  it('run --clip zclip names the run after the setting and records the transform spec', () => {
    const out = path.join(dir, 'run-zclip');
    const r = gradclip('run', '--quick', '--backend', 'cpu', '--dataset', 'rnn', '--clip', 'zclip=3', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const study = JSON.parse(readFileSync(path.join(out, 'rnn-sgd-zclip-3-results.json'), 'utf8'));
    assert.deepEqual(study.runs[0].spec.clip, { transform: { name: 'zClip', args: [{ zThresh: 3 }] } });
  });

  const bad: [string[], RegExp][] = [
    [['run', '--clip', 'norm=-1'], /^error: --clip: norm must be a finite number > 0\. Received: norm=-1$/],
    [['run', '--clip', 'foo'], /^error: --clip: must be one of 'none', 'value=V', 'norm=N', 'global-norm=N', 'agc=L', 'autoclip\[=P\]', 'zclip\[=Z\]'\. Received: "foo"$/],
    [['run', '--clip', 'agc=-1'], /^error: --clip: agc must be a finite number > 0 \(the clipping factor λ\)\. Received: agc=-1$/],
    [['run', '--clip', 'autoclip=101'], /^error: --clip: autoclip must be a percentile in \[0, 100\]\. Received: autoclip=101$/],
    [['run', '--clip', 'zclip=0'], /^error: --clip: zclip must be a finite number > 0 \(the z-score threshold\)\. Received: zclip=0$/],
    [['run', '--epochs', '0'], /^error: --epochs must be an integer >= 1\. Received: --epochs=0$/],
    [['run', '--lr', 'fast'], /^error: --lr must be a finite number > 0\. Received: --lr=fast$/],
    [['run', '--backend', 'gpu'], /^error: option '--backend <name>' argument 'gpu' is invalid/],
    [['run', '--dataset', 'imagenet'], /^error: option '--dataset <name>' argument 'imagenet' is invalid/],
    [['run', '--bogus'], /^error: unknown option '--bogus'/],
    [['study', 'bogus'], /^error: study set must be one of regression, mnist, cnn, rnn, adaptive, all\. Received: bogus$/],
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
