/** The article's MNIST network. */
import * as tf from '@tensorflow/tfjs';
import { checkInteger } from 'gradclip/errors';
import { seededInitializers } from './seeded-initializers.js';

/** Options of {@link mnistMlp}. */
export interface MnistMlpOptions {
  /** Seed of the initializers (an integer >= 0). Default 0. */
  seed?: number;
}

/**
 * Builds the article's MNIST classifier: `Flatten(28x28) → Dense(128, relu) → Dense(10)`, the last
 * layer linear (logits). Train it with {@link softmaxCrossEntropyFromLogits} (one-hot targets), the equivalent of Keras's
 * `SparseCategoricalCrossentropy(from_logits=True)`. Not compiled.
 *
 * @param options - `seed` (default 0).
 * @returns an uncompiled `tf.Sequential` taking `[batch, 28, 28]` floats in [0, 1].
 * @throws ValueError for a seed that is not an integer >= 0.
 * @example
 * ```ts
 * mnistMlp({ seed: 1 }).countParams(); //=> 101770
 * ```
 */
export function mnistMlp(options: MnistMlpOptions = {}): tf.Sequential {
  const { seed = 0 } = options;
  checkInteger('seed', seed, 0);
  const init = seededInitializers(seed);
  return tf.sequential({
    name: 'mnist_mlp',
    layers: [
      tf.layers.flatten({ inputShape: [28, 28] }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init.kernel(0) }),
      // Named `head` so that AGC can exclude the final layer by name (`--clip agc=…`, excludeNames ['head/']).
      tf.layers.dense({ units: 10, kernelInitializer: init.kernel(1), name: 'head' }),
    ],
  });
}
