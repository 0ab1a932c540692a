/**
 * A tiny deterministic regression task for optimizer tests: 4 inputs, targets large enough
 * (|y| up to ~100) that clipping fires, and a seeded Dense(8, relu) -> Dense(1) network.
 */
import * as tf from '@tensorflow/tfjs';

/** `n` rows of x = 2·sin(freq·i) and y = 4·(x·[3, -2, 1, 5]) + 7. */
export function tinyRegressionData(n: number, freq = 1.7): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.tensor2d(Array.from({ length: n * 4 }, (_, i) => Math.sin(i * freq) * 2), [n, 4]);
    const y = tf.sum(tf.mul(x, tf.tensor1d([3, -2, 1, 5])), 1, true).mul(4).add(7) as tf.Tensor2D;
    return { x, y };
  });
}

/** Dense(8, relu) -> Dense(1) with Glorot-uniform kernels seeded `seeds`, or the given weights. */
export function tinyRegressionModel(init?: tf.Tensor[], seeds: [number, number] = [1, 2]): tf.LayersModel {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: seeds[0] }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seeds[1] }) }),
    ],
  });
  if (init) m.setWeights(init);
  return m;
}

/** The model's weights, read. */
export async function readWeights(m: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(m.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

/** Saves a model with its optimizer into memory (`model.save(…, { includeOptimizer: true })`). */
export async function saveToMemory(m: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: true },
  );
  return saved!;
}
