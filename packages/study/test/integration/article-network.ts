/** Test helper: the article's regression network (Dense(35, relu, inputDim 30) -> Dense(1)), seeded. */
import * as tf from '@tensorflow/tfjs';
import { makeRegression } from '../../src/datasets/make-regression.js';

/** The article's regression network with seeded Glorot initialisation, compiled with MSE. */
export function regressionNetwork(optimizer: tf.Optimizer, seed = 1): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ units: 35, activation: 'relu', inputDim: 30, kernelInitializer: tf.initializers.glorotUniform({ seed }), name: 'hidden' }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 100 }), name: 'output' }),
    ],
  });
  m.compile({ optimizer, loss: 'meanSquaredError' });
  return m;
}

/** `makeRegression({ nSamples, nFeatures: 30, randomState: 65 })` as tensors (targets unscaled, in the hundreds). */
export function regressionData(nSamples: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const d = makeRegression({ nSamples, nFeatures: 30, randomState: 65 });
  return { x: tf.tensor2d(d.X), y: tf.tensor2d(d.y as number[], [nSamples, 1]) };
}

/** Every weight's values, by name. */
export async function weightValues(model: tf.LayersModel): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const w of model.weights) out[w.name] = (await w.read().data()) as Float32Array;
  return out;
}
