/** Test helper: the article's data for its regression network (the network is in @gradclip/testing). */
import * as tf from '@tensorflow/tfjs';
export { regressionNetwork } from '@gradclip/testing/article-network';
import { makeRegression } from '../../src/datasets/make-regression.js';

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
