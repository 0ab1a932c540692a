/** Test harness: the article's regression network (Dense(35, relu, inputDim 30) -> Dense(1)), seeded. */
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
