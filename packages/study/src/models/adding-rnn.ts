/** A SimpleRNN for the adding problem. */
import * as tf from '@tensorflow/tfjs';
import { checkInteger } from 'gradclip/errors';
import { seededInitializers } from './seeded-initializers.js';

/** Options of {@link addingRnn} and {@link addingLstm}. */
export interface AddingModelOptions {
  /** Sequence length T. */
  seqLength: number;
  /** Recurrent units. Default 32. */
  units?: number;
  /** Seed of the initializers (an integer >= 0). Default 0. */
  seed?: number;
}

/**
 * Builds `SimpleRNN(units, tanh) → Dense(1)` for the adding problem (`[batch, T, 2]` inputs),
 * with seeded Glorot-uniform input kernels, a seeded orthogonal recurrent kernel and zero biases
 * (Keras defaults). Not compiled; train with MSE.
 *
 * References: R. Pascanu, T. Mikolov and Y. Bengio, "On the difficulty of training recurrent
 * neural networks", ICML 2013, https://arxiv.org/abs/1211.5063.
 *
 * @param options - `seqLength` (required), `units` (default 32), `seed` (default 0).
 * @returns an uncompiled `tf.Sequential`.
 * @throws ValueError for sizes or a seed that are not integers in range.
 * @example
 * ```ts
 * addingRnn({ seqLength: 50 }).countParams(); //=> 1153  (2*32 + 32*32 + 32 + 33)
 * ```
 */
export function addingRnn(options: AddingModelOptions): tf.Sequential {
  const { seqLength, units = 32, seed = 0 } = options;
  checkInteger('seqLength', seqLength, 2);
  checkInteger('units', units, 1);
  checkInteger('seed', seed, 0);
  const init = seededInitializers(seed);
  return tf.sequential({
    name: 'adding_rnn',
    layers: [
      tf.layers.simpleRNN({
        units,
        inputShape: [seqLength, 2],
        kernelInitializer: init.kernel(0),
        recurrentInitializer: init.recurrent(0),
      }),
      // Named `head` so that AGC can exclude the final layer by name (`--clip agc=…`, excludeNames ['head/']).
      tf.layers.dense({ units: 1, kernelInitializer: init.kernel(1), name: 'head' }),
    ],
  });
}
