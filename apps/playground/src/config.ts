/**
 * What the playground trains: the problem, the data seed, the batch size, the backend and up to four
 * runs of the same problem with different optimizer and clipping settings. Plain data, validated
 * here, serialised into the URL by url-state.ts and sent to the training worker.
 */

/** The article's problems (see problems.ts for the data and networks). */
export const PROBLEMS = ['regression', 'regression-exploding', 'regression-standardized', 'mnist', 'cnn', 'adding-rnn', 'adding-lstm'] as const;
export type ProblemId = (typeof PROBLEMS)[number];

export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad'] as const;
export type OptimizerId = (typeof OPTIMIZERS)[number];

/**
 * Clipping methods: `value` (Keras `clipvalue`), `norm` (Keras `clipnorm`, per tensor), `global-norm`
 * (Keras `global_clipnorm`, PyTorch `clip_grad_norm_`), `agc` (adaptive gradient clipping),
 * `autoclip`, `zclip` and `skip-on-spike` (gradclip's transforms).
 */
export const CLIPS = ['none', 'value', 'norm', 'global-norm', 'agc', 'autoclip', 'zclip', 'skip-on-spike'] as const;
export type ClipId = (typeof CLIPS)[number];

/** What the optimizer wrapper does with a step whose gradients hold NaN or ±Inf. */
export const NON_FINITE = ['propagate', 'skip', 'error'] as const;
export type NonFiniteId = (typeof NON_FINITE)[number];

export const BACKENDS = ['wasm', 'webgl', 'cpu', 'webgpu'] as const;
export type BackendId = (typeof BACKENDS)[number];

/** One run's settings. */
export interface RunSettings {
  optimizer: OptimizerId;
  /** Learning rate, > 0. */
  lr: number;
  clip: ClipId;
  /**
   * The clipping method's threshold: the bound for `value`/`norm`/`global-norm`, the factor λ for
   * `agc`, the percentile for `autoclip`, the z-score for `zclip`, sigma for `skip-on-spike`
   * (ignored for `none`).
   */
  threshold: number;
  nonFinite: NonFiniteId;
}

export interface PlaygroundConfig {
  problem: ProblemId;
  /** Seeds the data, the initial weights and the per-epoch shuffle (integer >= 0). */
  seed: number;
  batchSize: number;
  backend: BackendId;
  /** Steps each run trains before it stops by itself. */
  steps: number;
  /** 1 to 4 runs, side by side. */
  runs: RunSettings[];
}

export const MAX_RUNS = 4;

/** Slider range, step and default of each method's threshold; `log` sliders move in powers of ten. */
export interface ThresholdSpec {
  label: string;
  min: number;
  max: number;
  default: number;
  log: boolean;
}

export const THRESHOLDS: Record<Exclude<ClipId, 'none'>, ThresholdSpec> = {
  value: { label: 'clip value', min: 0.001, max: 100, default: 3, log: true },
  norm: { label: 'max norm (each tensor)', min: 0.001, max: 100, default: 1, log: true },
  'global-norm': { label: 'max global norm', min: 0.001, max: 100, default: 1, log: true },
  agc: { label: 'clipping factor λ', min: 0.001, max: 1, default: 0.01, log: true },
  autoclip: { label: 'percentile', min: 1, max: 100, default: 10, log: false },
  zclip: { label: 'z threshold', min: 0.5, max: 10, default: 2.5, log: false },
  'skip-on-spike': { label: 'sigma', min: 1, max: 20, default: 6, log: false },
};

/** Per-problem defaults: what the article (or the study) trains it with. */
export const PROBLEM_DEFAULTS: Record<ProblemId, { optimizer: OptimizerId; lr: number; batchSize: number; steps: number }> = {
  regression: { optimizer: 'adam', lr: 0.001, batchSize: 32, steps: 1000 },
  'regression-exploding': { optimizer: 'adam', lr: 0.001, batchSize: 32, steps: 1000 },
  'regression-standardized': { optimizer: 'sgd', lr: 0.01, batchSize: 32, steps: 1000 },
  mnist: { optimizer: 'adam', lr: 0.001, batchSize: 32, steps: 500 },
  cnn: { optimizer: 'momentum', lr: 0.001, batchSize: 4, steps: 1000 },
  'adding-rnn': { optimizer: 'sgd', lr: 0.1, batchSize: 32, steps: 600 },
  'adding-lstm': { optimizer: 'sgd', lr: 0.1, batchSize: 32, steps: 300 },
};

export const run = (optimizer: OptimizerId, lr: number, clip: ClipId, threshold?: number, nonFinite: NonFiniteId = 'propagate'): RunSettings => ({
  optimizer,
  lr,
  clip,
  threshold: threshold ?? (clip === 'none' ? 1 : THRESHOLDS[clip].default),
  nonFinite,
});

/** Ready-made comparisons from the article; the first is the page's default. */
export const PRESETS: Record<string, { title: string; config: PlaygroundConfig }> = {
  diverging: {
    title: 'Unscaled data, SGD lr 0.01: the run that diverges',
    config: {
      problem: 'regression',
      seed: 65,
      batchSize: 32,
      backend: 'wasm',
      steps: 1000,
      runs: [run('sgd', 0.01, 'none'), run('sgd', 0.01, 'norm', 1), run('sgd', 0.01, 'value', 3), run('sgd', 0.01, 'global-norm', 1)],
    },
  },
  article: {
    title: "The article's regression: Adam, none vs clipnorm=1 vs clipvalue=3",
    config: { problem: 'regression', seed: 65, batchSize: 32, backend: 'wasm', steps: 1000, runs: [run('adam', 0.001, 'none'), run('adam', 0.001, 'norm', 1), run('adam', 0.001, 'value', 3)] },
  },
  exploding: {
    title: 'Exploding data (X², y²): Adam with and without clipping',
    config: { problem: 'regression-exploding', seed: 65, batchSize: 32, backend: 'wasm', steps: 1000, runs: [run('adam', 0.001, 'none'), run('adam', 0.001, 'norm', 1), run('adam', 0.001, 'value', 3)] },
  },
  mnist: {
    title: 'MNIST MLP: Adam, clipvalue=0.5 vs clipnorm=1 vs none',
    config: { problem: 'mnist', seed: 1, batchSize: 32, backend: 'wasm', steps: 500, runs: [run('adam', 0.001, 'none'), run('adam', 0.001, 'value', 0.5), run('adam', 0.001, 'norm', 1)] },
  },
  cnn: {
    title: 'CIFAR-style CNN: SGD momentum, clip_grad_value_(1) vs clip_grad_norm_(2)',
    config: { problem: 'cnn', seed: 1, batchSize: 4, backend: 'wasm', steps: 600, runs: [run('momentum', 0.001, 'none'), run('momentum', 0.001, 'value', 1), run('momentum', 0.001, 'global-norm', 2)] },
  },
  rnn: {
    title: 'Adding problem, SimpleRNN, SGD lr 0.1: fixed and adaptive clipping',
    config: {
      problem: 'adding-rnn',
      seed: 65,
      batchSize: 32,
      backend: 'wasm',
      steps: 600,
      runs: [run('sgd', 0.1, 'none'), run('sgd', 0.1, 'global-norm', 1), run('sgd', 0.1, 'autoclip', 10), run('sgd', 0.1, 'zclip', 2.5)],
    },
  },
};

export const DEFAULT_PRESET = 'diverging';

/** A deep copy of the default configuration. */
export function defaultConfig(): PlaygroundConfig {
  return structuredClone(PRESETS[DEFAULT_PRESET].config);
}

/** Thrown for a configuration that breaks a rule; the message names the field and the value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function fail(field: string, rule: string, value: unknown): never {
  throw new ConfigError(`\`${field}\` must be ${rule}. Received: ${field}=${JSON.stringify(value) ?? String(value)}`);
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) fail(field, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

function positive(field: string, value: unknown, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) fail(field, `a finite number > 0${max < Infinity ? ` and <= ${max}` : ''}`, value);
  return value;
}

function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(field, `an integer in [${min}, ${max}]`, value);
  return value;
}

/**
 * Checks a configuration and returns it; throws a {@link ConfigError} naming the first bad field.
 * A threshold must lie in its method's slider range (see {@link THRESHOLDS}).
 */
export function validateConfig(c: PlaygroundConfig): PlaygroundConfig {
  oneOf('problem', c.problem, PROBLEMS);
  integer('seed', c.seed, 0, 2 ** 32 - 1);
  integer('batchSize', c.batchSize, 1, 1024);
  oneOf('backend', c.backend, BACKENDS);
  integer('steps', c.steps, 1, 1_000_000);
  if (!Array.isArray(c.runs) || c.runs.length < 1 || c.runs.length > MAX_RUNS) fail('runs', `a list of 1 to ${MAX_RUNS} runs`, c.runs?.length);
  c.runs.forEach((r, i) => {
    oneOf(`runs[${i}].optimizer`, r.optimizer, OPTIMIZERS);
    positive(`runs[${i}].lr`, r.lr, 10);
    oneOf(`runs[${i}].clip`, r.clip, CLIPS);
    oneOf(`runs[${i}].nonFinite`, r.nonFinite, NON_FINITE);
    if (r.clip !== 'none') {
      const t = THRESHOLDS[r.clip];
      if (typeof r.threshold !== 'number' || !(r.threshold >= t.min && r.threshold <= t.max)) fail(`runs[${i}].threshold`, `a number in [${t.min}, ${t.max}] for ${r.clip}`, r.threshold);
    }
  });
  return c;
}

/** A short label of a run, e.g. `sgd 0.01 · norm 1 · skip`. */
export function runLabel(r: RunSettings): string {
  const clip = r.clip === 'none' ? 'no clipping' : `${r.clip} ${formatNumber(r.threshold)}`;
  return `${r.optimizer} ${formatNumber(r.lr)} · ${clip}${r.nonFinite === 'propagate' ? '' : ` · ${r.nonFinite}`}`;
}

/** Numbers as people write them: `0.01`, `1e-5`, `2.5`. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const s = String(Number(x.toPrecision(4)));
  return s.length > 8 ? x.toExponential(2) : s;
}
