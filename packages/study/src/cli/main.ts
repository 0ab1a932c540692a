/**
 * The `gradclip` command line: `study`, `run` and `report`. Parses flags, dispatches, and maps
 * failures to one line on stderr and a non-zero exit code. tfjs and the report renderer are
 * imported lazily, inside the commands, so `--help` is instant.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { parseClip } from '../experiments/clip-setting.js';
import { BACKEND_NAMES, OPTIMIZER_NAMES, type BackendName, type ExperimentSpec, type OptimizerName, type StudyResult } from '../experiments/types.js';

/** Datasets `gradclip run --dataset` accepts. */
export const RUN_DATASETS = ['regression', 'regression-exploding', 'mnist', 'cnn', 'rnn', 'lstm'] as const;
/** Study sets `gradclip study` accepts. */
export const STUDY_SETS = ['regression', 'mnist', 'cnn', 'rnn', 'adaptive', 'all'] as const;

/** A bad flag or argument: printed as one line, exit code 1. */
class UsageError extends Error {
  override name = 'UsageError';
}

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

async function writeOutputs(study: StudyResult, outDir: string, stem: string): Promise<{ json: string; html: string; md: string; csv: string }> {
  const { renderReport, renderMarkdownTable, renderCsv } = await import('../report/index.js');
  mkdirSync(outDir, { recursive: true });
  const files = {
    json: path.join(outDir, `${stem}-results.json`),
    html: path.join(outDir, `${stem}-report.html`),
    md: path.join(outDir, `${stem}-table.md`),
    csv: path.join(outDir, `${stem}-table.csv`),
  };
  writeFileSync(files.json, JSON.stringify(study, null, 1) + '\n');
  writeFileSync(files.html, await renderReport(study));
  writeFileSync(files.md, renderMarkdownTable(study.runs));
  writeFileSync(files.csv, renderCsv(study.runs));
  return files;
}

async function printStudy(study: StudyResult, files: { json: string; html: string }, logdir: string | null): Promise<void> {
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

async function runAndWrite(name: string, specs: ExperimentSpec[], out: string, logdir: string | null): Promise<void> {
  const { runStudy } = await import('../experiments/run-study.js');
  const { progressHooks } = await import('./progress.js');
  const t0 = performance.now();
  const study = await runStudy(name, specs, { ...progressHooks(process.stdout), logdir: logdir ?? undefined });
  const files = await writeOutputs(study, out, name);
  await printStudy(study, files, logdir);
  write(`total time: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

async function studyCommand(set: string | undefined, o: CommonOptions): Promise<void> {
  const which = set ?? 'regression';
  if (!(STUDY_SETS as readonly string[]).includes(which)) {
    throw new UsageError(`study set must be one of ${STUDY_SETS.join(', ')}. Received: ${which}`);
  }
  const epochs = int('--epochs', o.epochs, 1);
  const seed = int('--seed', o.seed, 0);
  const { studySpecs, STUDY_NAMES } = await import('../experiments/studies.js');
  const sets = which === 'all' ? STUDY_NAMES : [which as (typeof STUDY_NAMES)[number]];
  for (const s of sets) {
    const specs = studySpecs(s, { quick: o.quick, epochs, seed, backend: o.backend, dataDir: o.data });
    write(`study ${s}: ${specs.length} configurations${o.quick ? ' (quick)' : ''}\n`);
    const logdir = o.logdir ? path.join(o.logdir, s) : path.join(o.out, 'logs', s);
    await runAndWrite(s, specs, o.out, logdir);
  }
}

interface RunOptions extends CommonOptions {
  dataset: (typeof RUN_DATASETS)[number];
  clip: string;
  optimizer?: OptimizerName;
  lr?: string;
  momentum?: string;
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
  if (mom !== undefined && !(Number.isFinite(mom) && mom >= 0)) throw new UsageError(`--momentum must be a finite number >= 0. Received: --momentum=${o.momentum}`);
  const d = o.dataset;
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
      data: { kind: 'cifar', dir: o.data, ...(q ? { nTrain: 40, nTest: 20 } : { nTrain: 2000, nTest: 500 }) },
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
  if (mom !== undefined) spec.optimizer = { ...spec.optimizer, momentum: mom };
  if (epochsFlag !== undefined) spec.epochs = epochsFlag;
  if (batchFlag !== undefined) spec.batchSize = batchFlag;
  const clipSlug = o.clip.trim() === '' ? 'none' : o.clip.trim().replace('=', '-');
  const name = o.name ?? `${d}${o.standardize ? '-standardized' : ''}-${spec.optimizer.name}-${clipSlug}`;
  if (!/^[A-Za-z0-9._=-]+$/.test(name)) throw new UsageError(`--name must use only letters, digits and . _ = -. Received: --name=${name}`);
  return { ...spec, name, clip, seed, backend: o.backend };
}

async function runCommand(o: RunOptions): Promise<void> {
  const spec = runSpec(o);
  const logdir = o.logdir ?? path.join(o.out, 'logs', 'run');
  await runAndWrite(spec.name, [spec], o.out, logdir);
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
  const { renderReport, renderTextTable } = await import('../report/index.js');
  const out = o.out ?? file.replace(/(-results)?\.json$/i, '') + '-report.html';
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, await renderReport(study));
  write(`${renderTextTable(study.runs)}\n\nreport: ${out}\n`);
}

function common(cmd: Command): Command {
  return cmd
    .option('--out <dir>', 'output directory for results JSON, tables and the HTML report', 'out')
    .option('--logdir <dir>', 'TensorBoard log root (default: <out>/logs/<set>)')
    .option('--epochs <n>', 'override the number of epochs')
    .addOption(new Option('--backend <name>', 'tfjs backend (wasm falls back to cpu with a notice)').choices(BACKEND_NAMES).default('wasm'))
    .option('--seed <n>', 'seed of initializers and shuffling (default 65)')
    .option('--data <dir>', 'real data directory (MNIST IDX files, CIFAR-10 binary); default: built-in data')
    .option('--quick', 'tiny sizes (seconds; for tests)');
}

/** Builds the commander program (exported for tests and docs). */
export function buildProgram(): Command {
  const program = new Command('gradclip')
    .description("Gradient-clipping experiments from the article, on TensorFlow.js: study sets, single runs, reports")
    .version('0.1.0')
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
          'agc=L (adaptive gradient clipping, final layer excluded) | autoclip[=P] (percentile, default 10) | zclip[=Z] (z threshold, default 2.5)',
        'none',
      )
      .addOption(new Option('--optimizer <name>', 'optimizer (default: the study set\'s)').choices(OPTIMIZER_NAMES))
      .option('--lr <rate>', 'learning rate')
      .option('--momentum <m>', 'momentum (optimizer momentum)')
      .option('--batch-size <n>', 'batch size')
      .option('--standardize', 'standardize X and y (regression datasets)')
      .option('--name <slug>', 'configuration name (default: <dataset>-<optimizer>-<clip>)'),
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
 * @returns the exit code: 0 on success, 1 on bad input or a failed run (one line on stderr).
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed its one-line error or the help
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: ${msg.split('\n')[0]}\n`);
    if (process.env.GRADCLIP_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
