/** The article's regression network. */
import * as tf from '@tensorflow/tfjs';
import { checkInteger } from 'gradclip/errors';
import { seededInitializers } from './seeded-initializers.js';

/** Options of {@link regressionMlp}. */
export interface RegressionMlpOptions {
  /** Seed of the initializers (an integer >= 0). Default 0. */
  seed?: number;
  /** Number of input features. Default 30 (the article's `input_dim=30`). */
  inputDim?: number;
  /** Hidden units. Default 35. */
  units?: number;
}

/**
 * Builds the article's regressor: `Dense(35, relu, inputDim 30) → Dense(1, linear)`, with seeded
 * Glorot-uniform kernels and zero biases (Keras defaults). Not compiled.
 *
 * @param options - `seed` (default 0), `inputDim` (default 30), `units` (default 35).
 * @returns an uncompiled `tf.Sequential`.
 * @throws ValueError for a seed or size that is not an integer in range.
 * @example
 * ```ts
 * const model = regressionMlp({ seed: 65 });
 * model.countParams(); //=> 1121  (30*35 + 35 + 35 + 1)
 * ```
 */
export function regressionMlp(options: RegressionMlpOptions = {}): tf.Sequential {
  const { seed = 0, inputDim = 30, units = 35 } = options;
  checkInteger('seed', seed, 0);
  checkInteger('inputDim', inputDim, 1);
  checkInteger('units', units, 1);
  const init = seededInitializers(seed);
  return tf.sequential({
    name: 'regression_mlp',
    layers: [
      tf.layers.dense({ units, inputDim, activation: 'relu', kernelInitializer: init.kernel(0) }),
      // Named `head` so that AGC can exclude the final layer by name (`--clip agc=…`, excludeNames ['head/']).
      tf.layers.dense({ units: 1, activation: 'linear', kernelInitializer: init.kernel(1), name: 'head' }),
    ],
  });
}
