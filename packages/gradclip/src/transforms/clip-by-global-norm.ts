/** optax `clip_by_global_norm(max_norm)` as a transform. */
import * as tf from '@tensorflow/tfjs';
import { flattenGrads, mapPresent } from '../core/grad-forms.js';
import { finiteMask, ieeeDiv } from '../core/exact-ops.js';
import { globalNorm } from '../core/global-norm.js';
import { tidyList } from './tensor-lists.js';
import type { GradientTransformation } from './types.js';
import { checkNonNegativeOrInf } from './validate.js';

/** `clipByGlobalNorm` has no state. */
export type ClipByGlobalNormState = Record<string, never>;

/**
 * Scales the gradients so that their global L2 norm is at most `maxNorm`, with optax's exact
 * arithmetic (which differs from TF's `tf.clip_by_global_norm` and gradclip's core
 * `clipByGlobalNorm`):
 *
 * ```
 * n   = sqrt(Σ_i Σ g_i²)
 * out = n < maxNorm ? g : (g / n) * maxNorm      // strict <, divide before multiply
 * ```
 *
 * - At `n == maxNorm` it still computes `(g/n)*maxNorm` (≈ g, maybe 1 ulp off).
 * - A zero norm leaves the gradients unchanged; no epsilon.
 *
 * NaN/Inf policy (optax, = PyTorch, not TF): a NaN norm makes every entry NaN; an `inf` norm
 * (including a float32 overflow of Σg²) makes finite entries `±0` and `inf` entries NaN.
 * The same on every backend (the division is IEEE on webgl too, see core/exact-ops.ts); with
 * `maxNorm = Infinity` the gradients pass unchanged unless the norm is not finite (then NaN), without
 * a tensor holding Infinity (float16 cannot). No host reads. State: `{}`.
 *
 * Deliberate difference: a negative `maxNorm` throws.
 *
 * @param maxNorm The maximum global norm, a number >= 0 (`Infinity` allowed).
 * @returns A stateless {@link GradientTransformation}.
 * @throws ValueError for a negative or NaN `maxNorm`.
 *
 * References: Pascanu et al., "On the difficulty of training Recurrent Neural Networks", 2012,
 * https://arxiv.org/abs/1211.5063 ; optax `clip_by_global_norm` (optax/transforms/_clipping.py).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const t = transforms.clipByGlobalNorm(1);
 * const { grads } = t.update({ w: tf.tensor([3, 4]) }, t.init());
 * grads.w.print(); //=> [0.6, 0.8]
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<ClipByGlobalNormState> {
  checkNonNegativeOrInf('maxNorm', maxNorm);
  return {
    init: () => ({}),
    update(grads, state) {
      const flat = flattenGrads(grads);
      const out = tidyList(() => {
        const n = globalNorm(flat.list);
        if (maxNorm === Infinity) {
          // (t/n)*Inf is NaN exactly when n is not finite (0*Inf, Inf*Inf... all NaN or n NaN).
          const finite = finiteMask(n);
          return mapPresent(flat.list, (g) => tf.where(finite, g.toFloat(), tf.scalar(NaN)));
        }
        const c = tf.scalar(maxNorm);
        const trigger = tf.less(n, c);
        return mapPresent(flat.list, (g) => {
          const t = g.toFloat();
          return tf.where(tf.broadcastTo(trigger, t.shape), t, tf.mul(ieeeDiv(t, n), c));
        });
      });
      return { grads: flat.rebuild(out), state, skip: false };
    },
  };
}
