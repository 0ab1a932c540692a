/** An LSTM for the adding problem. */
import * as tf from '@tensorflow/tfjs';
import { checkInteger } from 'gradclip/errors';
import type { AddingModelOptions } from './adding-rnn.js';
import { seededInitializers } from './seeded-initializers.js';

/**
 * Builds `LSTM(units) → Dense(1)` for the adding problem (`[batch, T, 2]` inputs), with seeded
 * Glorot-uniform input kernels, a seeded orthogonal recurrent kernel, zero biases and the forget
 * gate bias at 1 (Keras defaults). Not compiled; train with MSE.
 *
 * References: S. Hochreiter and J. Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997.
 *
 * @param options - `seqLength` (required), `units` (default 32), `seed` (default 0).
 * @returns an uncompiled `tf.Sequential`.
 * @throws ValueError for sizes or a seed that are not integers in range.
 * @example
 * ```ts
 * addingLstm({ seqLength: 50 }).countParams(); //=> 4513  (4 * (2*32 + 32*32 + 32) + 33)
 * ```
 */
export function addingLstm(options: AddingModelOptions): tf.Sequential {
  const { seqLength, units = 32, seed = 0 } = options;
  checkInteger('seqLength', seqLength, 2);
  checkInteger('units', units, 1);
  checkInteger('seed', seed, 0);
  const init = seededInitializers(seed);
  return tf.sequential({
    name: 'adding_lstm',
    layers: [
      tf.layers.lstm({
        units,
        inputShape: [seqLength, 2],
        kernelInitializer: init.kernel(0),
        recurrentInitializer: init.recurrent(0),
        unitForgetBias: true,
      }),
      // Named `head` so that AGC can exclude the final layer by name (`--clip agc=…`, excludeNames ['head/']).
      tf.layers.dense({ units: 1, kernelInitializer: init.kernel(1), name: 'head' }),
    ],
  });
}
