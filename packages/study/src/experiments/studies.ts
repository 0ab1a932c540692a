/** The default study sets: the article's experiments as lists of {@link ExperimentSpec}s. */
import { checkOneOf } from 'gradclip/errors';
import { formatClip, parseClip } from './clip-setting.js';
import type { BackendName, ClipSetting, DataSpec, ExperimentSpec, ModelName, OptimizerSpec } from './types.js';

/** Names of the study sets. */
export type StudyName = 'regression' | 'mnist' | 'cnn' | 'rnn' | 'adaptive';

/** The study sets, in the order `all` runs them. */
export const STUDY_NAMES: readonly StudyName[] = ['regression', 'mnist', 'cnn', 'rnn', 'adaptive'];

/** Options of {@link studySpecs}. */
export interface StudyOptions {
  /** Tiny sizes (seconds per set), for tests. Default false. */
  quick?: boolean;
  /** Overrides every run's number of epochs. */
  epochs?: number;
  /** Seed of every run. Default 65 (the article's `random_state`). */
  seed?: number;
  /** Default `'wasm'`. */
  backend?: BackendName;
  /** Real data directory (MNIST IDX files for `mnist`, CIFAR-10 binary for `cnn`). Default: built-in data. */
  dataDir?: string;
}

function slug(clip: ClipSetting): string {
  return formatClip(clip).replace('=', '-');
}

/**
 * The CNN's data: CIFAR-10 from `dataDir` (10000 / 2000 images); without it, real Fashion-MNIST
 * images adapted to 32x32x3 (2000 / 500, falling back to synthetic images when not installed); with
 * `quick`, built-in synthetic images (40 / 20).
 */
function cnnData(o: StudyOptions): DataSpec {
  if (o.quick) return o.dataDir ? { kind: 'cifar', dir: o.dataDir, nTrain: 40, nTest: 20 } : { kind: 'cifar', images: 'synthetic', nTrain: 40, nTest: 20 };
  return o.dataDir ? { kind: 'cifar', dir: o.dataDir, nTrain: 10000, nTest: 2000 } : { kind: 'cifar', images: 'fashion-mnist', nTrain: 2000, nTest: 500 };
}

/**
 * The CNN's group label. It names the data only where the spec fixes it (synthetic for `quick`); the
 * data actually used (Fashion-MNIST, or synthetic when that is not installed) is in each run's
 * `data.source`, which the table and the report print under the group.
 */
function cnnLabel(o: StudyOptions): string {
  return o.quick && !o.dataDir ? 'CIFAR-10 CNN on synthetic images' : 'CIFAR-10 CNN';
}

interface Base {
  data: DataSpec;
  model: ModelName;
  optimizer: OptimizerSpec;
  epochs: number;
  batchSize: number;
}

function runs(prefix: string, group: string, base: Base, clips: ClipSetting[], o: StudyOptions): ExperimentSpec[] {
  return clips.map((clip) => ({
    name: `${prefix}-${slug(clip)}`,
    group,
    ...base,
    epochs: o.epochs ?? base.epochs,
    clip,
    seed: o.seed ?? 65,
    backend: o.backend ?? 'wasm',
  }));
}

/**
 * SPAM's reference intervals scaled to a run of `steps` steps: a momentum reset every tenth of the
 * run (ΔT = round(steps / 10), at least 2), and SPAM's warm-up N_w and no-clipping window N_a in the
 * reference's proportions to ΔT (150 / 500 and 20 / 500: N_w = round(0.3·ΔT), N_a = max(1,
 * round(0.04·ΔT))). With the reference ΔT = 500 (SPAM) and 1000 (Stable-SPAM), runs of 630 (RNN)
 * and 1000 (CNN) steps reset at most twice.
 *
 * @example
 * ```ts
 * spamScaled(630); //=> { resetInterval: 63, warmupSteps: 19, gradAccuSteps: 3 }
 * ```
 */
export function spamScaled(steps: number): { resetInterval: number; warmupSteps: number; gradAccuSteps: number } {
  const resetInterval = Math.max(2, Math.round(steps / 10));
  return { resetInterval, warmupSteps: Math.round(0.3 * resetInterval), gradAccuSteps: Math.max(1, Math.round(0.04 * resetInterval)) };
}

/**
 * The spike-aware optimizers' group of a task of the `adaptive` set: Adam, Adam + AdaGC, SPAM and
 * Stable-SPAM with the reference defaults, and SPAM and Stable-SPAM with {@link spamScaled}
 * intervals, all at learning rate 1e-3 and with the task's data, network, epochs and batch size.
 */
function spamRuns(prefix: string, group: string, base: Base, nTrain: number, o: StudyOptions): ExperimentSpec[] {
  const epochs = o.epochs ?? base.epochs;
  const scaled = spamScaled(Math.ceil(nTrain / base.batchSize) * epochs);
  const dt = `dt${scaled.resetInterval}`;
  const lr = 0.001;
  const rows: [string, OptimizerSpec, ClipSetting][] = [
    ['adam-none', { name: 'adam', learningRate: lr }, {}],
    ['adam-adagc', { name: 'adam', learningRate: lr }, parseClip('adagc')],
    ['spam-none', { name: 'spam', learningRate: lr }, {}],
    [`spam-${dt}-none`, { name: 'spam', learningRate: lr, ...scaled }, {}],
    ['stable-spam-none', { name: 'stable-spam', learningRate: lr }, {}],
    [`stable-spam-${dt}-none`, { name: 'stable-spam', learningRate: lr, resetInterval: scaled.resetInterval }, {}],
  ];
  return rows.map(([name, optimizer, clip]) => ({
    name: `${prefix}-${name}`,
    group,
    ...base,
    optimizer,
    epochs,
    clip,
    seed: o.seed ?? 65,
    backend: o.backend ?? 'wasm',
  }));
}

/**
 * The runs of one study set, with the article's settings:
 *
 * - `regression`: the article's MLP, Adam (lr 0.001), 30 epochs, batch 32, no clipping vs
 *   `clipnorm: 1` vs `clipvalue: 3`, on `make_regression(10000, 30, random_state=65)` split 80/20
 *   (random_state 65) and on its exploding variant (X and y squared, sign kept). Because Adam
 *   normalises its steps, the exploding data does not make Adam's loss NaN; the set therefore adds
 *   the regime that does diverge — SGD with learning rate 0.01 on the unscaled data (10 epochs) —
 *   and, for the "clipping is no substitute for preprocessing" claim, the same data standardized
 *   and trained without clipping.
 * - `mnist`: Flatten → Dense(128, relu) → Dense(10) logits, Adam, `clipvalue: 0.5` vs
 *   `clipnorm: 1` vs none, 3 epochs, batch 32, built-in sample (8000 train / 2000 test).
 * - `cnn`: the PyTorch tutorial CNN, SGD lr 0.001 momentum 0.9, batch 4, `clip_grad_value_(1.0)`
 *   (`clipvalue: 1`) and `clip_grad_norm_(2.0)` (`globalClipnorm: 2`) vs none, 2 epochs, on
 *   CIFAR-10 from `dataDir` (10000 / 2000 images); without `dataDir`, on real Fashion-MNIST images
 *   adapted to the network's 32x32x3 input (2000 / 500; Debian's `dataset-fashion-mnist`, see
 *   `CifarDataSpec`; synthetic images with a notice when it is not installed); with `quick`,
 *   on built-in synthetic CIFAR-like images (40 / 20).
 * - `rnn`: the adding problem (T = 50), SimpleRNN(32) (2000 / 500 sequences, 10 epochs) and
 *   LSTM(32) (1000 / 300, 3 epochs), SGD lr 0.1, batch 32, with and without `globalClipnorm: 1`.
 *   Without clipping the SimpleRNN's gradient norm explodes (≈1e18) and its loss goes NaN within
 *   the first epoch; the LSTM's does not.
 * - `adaptive`: no clipping vs a fixed global norm vs the adaptive methods — AGC (`agc=0.01`,
 *   final layer excluded), AutoClip (`autoclip=10`), ZClip (`zclip`) and AdaGC (`adagc`), the
 *   last two with the reference defaults — on the `rnn` set's SimpleRNN (exploding setting: SGD lr
 *   0.1, 10 epochs; fixed `globalClipnorm: 1`) and on the `cnn` set's CNN (SGD lr 0.001 momentum
 *   0.9, batch 4, 2 epochs; fixed `globalClipnorm: 2`), with the same data as those sets; then, per
 *   task, a group of Adam-family optimizers at lr 0.001: Adam, Adam + AdaGC, SPAM and Stable-SPAM
 *   (reference defaults), and SPAM and Stable-SPAM with the reset interval scaled to the run
 *   ({@link spamScaled}; named `…-dt<ΔT>-…`).
 *
 * @param name - the set.
 * @param options - `quick`, `epochs`, `seed` (default 65), `backend` (default wasm), `dataDir`.
 * @returns the specs, in run order.
 * @throws ValueError for an unknown set name.
 * @example
 * ```ts
 * studySpecs('regression').map((s) => s.name).slice(0, 3);
 * //=> ['normal-adam-none', 'normal-adam-norm-1', 'normal-adam-value-3']
 * ```
 */
export function studySpecs(name: StudyName, options: StudyOptions = {}): ExperimentSpec[] {
  checkOneOf('study', name, STUDY_NAMES);
  const q = options.quick === true;
  const o = options;
  switch (name) {
    case 'regression': {
      const size = q ? { nSamples: 300 } : {};
      const adam: OptimizerSpec = { name: 'adam', learningRate: 0.001 };
      const sgd: OptimizerSpec = { name: 'sgd', learningRate: 0.01 };
      const mlp = { model: 'regression-mlp' as const, batchSize: 32 };
      const ep = q ? 2 : 30;
      const sgdEp = q ? 2 : 10;
      const three: ClipSetting[] = [{}, { clipnorm: 1 }, { clipvalue: 3 }];
      return [
        ...runs('normal-adam', 'normal data · Adam (article)', { ...mlp, data: { kind: 'regression', ...size }, optimizer: adam, epochs: ep }, three, o),
        ...runs(
          'exploding-adam',
          'exploding data (X², y²) · Adam (article)',
          { ...mlp, data: { kind: 'regression', variant: 'exploding', ...size }, optimizer: adam, epochs: ep },
          three,
          o,
        ),
        ...runs(
          'normal-sgd',
          'unscaled data · SGD lr 0.01 (diverging regime)',
          { ...mlp, data: { kind: 'regression', ...size }, optimizer: sgd, epochs: sgdEp },
          three,
          o,
        ),
        ...runs(
          'exploding-standardized-adam',
          'standardized data, no clipping (preprocessing)',
          { ...mlp, data: { kind: 'regression', variant: 'exploding', standardize: true, ...size }, optimizer: adam, epochs: ep },
          [{}],
          o,
        ),
        ...runs(
          'normal-standardized-sgd',
          'standardized data, no clipping (preprocessing)',
          { ...mlp, data: { kind: 'regression', standardize: true, ...size }, optimizer: sgd, epochs: sgdEp },
          [{}],
          o,
        ),
      ];
    }
    case 'mnist': {
      const data: DataSpec = q
        ? { kind: 'mnist', maxTrain: 256, maxTest: 128, dir: o.dataDir }
        : { kind: 'mnist', dir: o.dataDir, ...(o.dataDir ? { maxTrain: 20000, maxTest: 5000 } : {}) };
      const base: Base = { data, model: 'mnist-mlp', optimizer: { name: 'adam', learningRate: 0.001 }, epochs: q ? 1 : 3, batchSize: 32 };
      return runs('mnist-adam', 'MNIST MLP · Adam (article)', base, [{ clipvalue: 0.5 }, { clipnorm: 1 }, {}], o);
    }
    case 'cnn': {
      const base: Base = { data: cnnData(o), model: 'cifar-cnn', optimizer: { name: 'momentum', learningRate: 0.001, momentum: 0.9 }, epochs: q ? 1 : 2, batchSize: 4 };
      return runs('cnn-sgd', `${cnnLabel(o)} · SGD momentum (article)`, base, [{ clipvalue: 1 }, { globalClipnorm: 2 }, {}], o);
    }
    case 'adaptive': {
      // The thresholds come from the methods' papers, not from tuning on these tasks:
      // - AGC λ = 0.01: the NFNet value (Brock et al. 2021, https://arxiv.org/abs/2102.06171), tuned
      //   there at batch size 4096. The paper reports that smaller batches tolerate larger λ, so at
      //   batch 4 / 32 this is the conservative (strong-clipping) end. The final layer (`head`) is
      //   excluded, as in the NFNet reference.
      // - AutoClip p = 10: the percentile Seetharaman et al. 2020 recommend
      //   (https://arxiv.org/abs/2007.14469).
      // - ZClip: the reference class's defaults (Kumar et al. 2025, https://arxiv.org/abs/2504.02507):
      //   alpha 0.97, zThresh 2.5, warmup 25 steps, and its fixed ceiling maxGradNorm 1.0.
      // - AdaGC: the official code's defaults (Wang et al. 2025, https://arxiv.org/abs/2502.11034):
      //   maxNorm 1.0, clipRatio 1.04, beta 0.99, eps 1e-6, 100 warm-up steps.
      // - The fixed global norm is the one of the `rnn` (1) and `cnn` (2) sets.
      // SPAM and Stable-SPAM are Adam variants, so they get their own group per task with plain Adam
      // (and Adam + AdaGC, the AdaGC paper's pairing) at the same learning rate, 1e-3 (their reference
      // default, the article's Adam rate and the CNN rows' rate), with the reference defaults, and
      // once more with the reset interval scaled to the run (see `spamScaled`).
      const adaptive = ['agc=0.01', 'autoclip=10', 'zclip', 'adagc'].map(parseClip);
      const T = q ? 10 : 50;
      const rnnData = { kind: 'adding', nTrain: q ? 64 : 2000, nTest: q ? 32 : 500, seqLength: T } as const;
      const rnn: Base = { data: rnnData, model: 'adding-rnn', optimizer: { name: 'sgd', learningRate: 0.1 }, epochs: q ? 1 : 10, batchSize: 32 };
      const cnn: Base = { data: cnnData(o), model: 'cifar-cnn', optimizer: { name: 'momentum', learningRate: 0.001, momentum: 0.9 }, epochs: q ? 1 : 2, batchSize: 4 };
      const cnnTrain = cnn.data.kind === 'cifar' ? cnn.data.nTrain : 0;
      return [
        ...runs('adding-rnn-sgd', 'adding problem · SimpleRNN · SGD lr 0.1 (adaptive clipping)', rnn, [{}, { globalClipnorm: 1 }, ...adaptive], o),
        ...spamRuns('adding-rnn', 'adding problem · SimpleRNN · Adam family lr 0.001 (spike-aware optimizers)', rnn, rnnData.nTrain, o),
        ...runs('cnn-sgd', `${cnnLabel(o)} · SGD momentum (adaptive clipping)`, cnn, [{}, { globalClipnorm: 2 }, ...adaptive], o),
        ...spamRuns('cnn', `${cnnLabel(o)} · Adam family lr 0.001 (spike-aware optimizers)`, cnn, cnnTrain, o),
      ];
    }
    case 'rnn': {
      const T = q ? 10 : 50;
      const rnnData: DataSpec = { kind: 'adding', nTrain: q ? 64 : 2000, nTest: q ? 32 : 500, seqLength: T };
      const lstmData: DataSpec = { kind: 'adding', nTrain: q ? 64 : 1000, nTest: q ? 32 : 300, seqLength: T };
      const opt: OptimizerSpec = { name: 'sgd', learningRate: 0.1 };
      const clips: ClipSetting[] = [{}, { globalClipnorm: 1 }];
      return [
        ...runs('adding-rnn-sgd', 'adding problem · SimpleRNN · SGD lr 0.1', { data: rnnData, model: 'adding-rnn', optimizer: opt, epochs: q ? 1 : 10, batchSize: 32 }, clips, o),
        ...runs('adding-lstm-sgd', 'adding problem · LSTM · SGD lr 0.1', { data: lstmData, model: 'adding-lstm', optimizer: opt, epochs: q ? 1 : 3, batchSize: 32 }, clips, o),
      ];
    }
  }
}
