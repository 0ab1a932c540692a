/** Seeded weight initializers shared by the model builders (internal). */
import * as tf from '@tensorflow/tfjs';

/**
 * Keras's defaults (Glorot-uniform kernels, zero biases) with seeds derived from one model seed, so
 * that a builder called twice with the same seed returns bit-identical weights on one backend.
 *
 * @param seed - the model seed (any finite number).
 * @returns `kernel(i)`: a seeded Glorot-uniform initializer for layer `i`; `recurrent(i)`: a seeded
 *   orthogonal initializer (Keras's recurrent default).
 */
export function seededInitializers(seed: number): {
  kernel: (layer: number) => ReturnType<typeof tf.initializers.glorotUniform>;
  recurrent: (layer: number) => ReturnType<typeof tf.initializers.glorotUniform>;
} {
  return {
    kernel: (layer) => tf.initializers.glorotUniform({ seed: seed * 1000 + layer }),
    recurrent: (layer) => tf.initializers.orthogonal({ seed: seed * 1000 + 500 + layer, gain: 1 }),
  };
}
