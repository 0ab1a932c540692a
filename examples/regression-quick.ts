/**
 * The article's regression network (Dense(35, relu) -> Dense(1), Adam, MSE) trained on
 * make_regression(n_samples=10000, n_features=30, random_state=65) without clipping and with
 * `clipnorm: 1` / `clipvalue: 3`, printing the final losses. Runs on the wasm backend.
 *
 *   npx tsx examples/regression-quick.ts [epochs]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { adam } from '../src/index.js';
import { makeRegression, trainTestSplit } from '../src/datasets/index.js';

const epochs = Number(process.argv[2] ?? 30);
await tf.setBackend('wasm');
await tf.ready();

const { X, y } = makeRegression({ nSamples: 10000, nFeatures: 30, randomState: 65 });
const [XTrain, XTest, yTrain, yTest] = trainTestSplit([X, y as number[]], { testSize: 0.2, randomState: 65 });
const xs = tf.tensor2d(XTrain);
const ys = tf.tensor2d(yTrain, [yTrain.length, 1]);
const xv = tf.tensor2d(XTest);
const yv = tf.tensor2d(yTest, [yTest.length, 1]);

const configs = { none: {}, 'clipnorm=1': { clipnorm: 1 }, 'clipvalue=3': { clipvalue: 3 } } as const;
console.log(`backend=${tf.getBackend()} epochs=${epochs} train=${XTrain.length} test=${XTest.length}`);
for (const [name, clip] of Object.entries(configs)) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 35, inputDim: 30, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 65 }) }),
      tf.layers.dense({ units: 1, activation: 'linear', kernelInitializer: tf.initializers.glorotUniform({ seed: 66 }) }),
    ],
  });
  const optimizer = adam(clip);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const t0 = performance.now();
  const h = await model.fit(xs, ys, { epochs, batchSize: 32, validationData: [xv, yv], shuffle: false, verbose: 0 });
  const loss = h.history.loss as number[];
  const valLoss = h.history.val_loss as number[];
  const stats = await optimizer.readLastStats();
  console.log(
    `${name.padEnd(12)} train MSE ${loss[loss.length - 1].toFixed(2).padStart(10)}  val MSE ${valLoss[valLoss.length - 1].toFixed(2).padStart(10)}` +
      `  last grad norm ${stats?.globalNorm.toFixed(1).padStart(8)}  ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  model.dispose();
  optimizer.dispose();
}
tf.dispose([xs, ys, xv, yv]);
