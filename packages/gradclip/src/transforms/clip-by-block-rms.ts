/** optax `clip_by_block_rms(threshold)` as a transform. */
import * as tf from '@tensorflow/tfjs';
import { flattenGrads, mapPresent } from '../core/grad-forms.js';
import { tidyList } from './tensor-lists.js';
import type { GradientTransformation } from './types.js';
import { checkNonNegativeOrInf } from './validate.js';

/** `clipByBlockRms` has no state. */
export type ClipByBlockRmsState = Record<string, never>;

/**
 * Clips each gradient tensor ("block": a weight vector or matrix) to a maximum root-mean-square,
 * as optax's `clip_by_block_rms`:
 *
 * ```
 * out = g / maximum(sqrt(mean(g²)) / threshold, 1)
 * ```
 *
 * Unlike a per-tensor L2 clip, the bound does not grow with the tensor's size.
 *
 * NaN/Inf policy (optax): a NaN entry makes its whole tensor NaN; an `inf` entry makes the
 * tensor's finite entries `±0` and the `inf` entry NaN. Other tensors are unaffected.
 * No host reads. State: `{}`.
 *
 * Deliberate difference: a negative `threshold` throws.
 *
 * @param threshold The maximum RMS of each tensor, a number >= 0 (`Infinity` allowed).
 * @returns A stateless {@link GradientTransformation}.
 * @throws ValueError for a negative or NaN `threshold`.
 *
 * References: optax `clip_by_block_rms` (optax/transforms/_clipping.py),
 * https://github.com/google-deepmind/optax
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const t = transforms.clipByBlockRms(1);
 * const { grads } = t.update([tf.tensor([3, 4])], t.init());
 * grads[0]!.print(); //=> [0.8485281, 1.1313709]   (rms 3.5355 -> 1)
 * ```
 */
export function clipByBlockRms(threshold: number): GradientTransformation<ClipByBlockRmsState> {
  checkNonNegativeOrInf('threshold', threshold);
  return {
    init: () => ({}),
    update(grads, state) {
      const flat = flattenGrads(grads);
      const out = tidyList(() =>
        mapPresent(flat.list, (g) => {
          const t = g.toFloat();
          const rms = tf.sqrt(tf.mean(tf.square(t)));
          // The possibly-NaN ratio goes first: tfjs-wasm's maximum only propagates NaN from its first input.
          const denom = tf.maximum(tf.div(rms, threshold), 1);
          return tf.div(t, denom);
        }),
      );
      return { grads: flat.rebuild(out), state, skip: false };
    },
  };
}
