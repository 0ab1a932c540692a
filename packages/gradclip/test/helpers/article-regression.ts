/**
 * Test helper: the article's regression network (Dense(35, relu, inputDim 30) -> Dense(1)), seeded,
 * and seeded unscaled regression data (targets in the hundreds, so clipping at 1 fires every step).
 * The study package has the real `makeRegression`; the library's tests only need data of its shape.
 */
import * as tf from '@tensorflow/tfjs';

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

/** `n` rows: x ~ N(0, 1) (seed 7), y = x·w with w ~ N(0, 40²) (seed 8), so |y| is in the hundreds. */
export function unscaledRegressionData(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, 30], 0, 1, 'float32', 7) as tf.Tensor2D;
    const w = tf.randomNormal([30, 1], 0, 40, 'float32', 8);
    return { x, y: tf.matMul(x, w) as tf.Tensor2D };
  });
}
