/** optax `clip_by_block_rms(threshold)` as a transform. */
import * as tf from '@tensorflow/tfjs';
import { finiteMask, ieeeDiv, l2Norm, maximumKeepNaN } from '../core/exact-ops.js';
import { isFloat16Backend } from '../core/float16.js';
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
 * The same on every backend (IEEE division and a NaN-keeping maximum on webgl, see
 * core/exact-ops.ts); on a float16 backend the RMS is computed scaled (`l2Norm / sqrt(n)`), so it
 * is right up to 65504 where `mean(g²)` would overflow. `threshold = Infinity` passes the gradients
 * unchanged (NaN where the RMS is not finite) without a tensor holding Infinity.
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
          const rms = isFloat16Backend() && t.size > 0 ? tf.div(l2Norm(t), tf.scalar(Math.sqrt(t.size))) : tf.sqrt(tf.mean(tf.square(t)));
          // t / max(rms/Inf, 1) is t for a finite rms, NaN otherwise (Inf/Inf, NaN).
          if (threshold === Infinity) return tf.where(finiteMask(rms), t, tf.scalar(NaN));
          // The possibly-NaN ratio goes first: tfjs-wasm's maximum only propagates NaN from its first input.
          const denom = maximumKeepNaN(ieeeDiv(rms, tf.scalar(threshold)), 1);
          return ieeeDiv(t, denom);
        }),
      );
      return { grads: flat.rebuild(out), state, skip: false };
    },
  };
}
