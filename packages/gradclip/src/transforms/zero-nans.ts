/** optax `zero_nans()` as a transform. */
import * as tf from '@tensorflow/tfjs';
import { nanMask } from '../core/exact-ops.js';
import { flattenGrads, mapPresent, present } from '../core/grad-forms.js';
import type { Grads } from '../core/grad-forms.js';
import type { GradientTransformation } from './types.js';

/** State of {@link zeroNans}: per gradient, whether it held a NaN at the last step (null at a hole). */
export type ZeroNansState = {
  foundNan: (boolean | null)[];
};

/**
 * Replaces NaN entries by 0, as optax's `zero_nans`: `where(isnan(g), 0, g)`. **`±inf` is kept.**
 * The state records, per gradient, whether it contained a NaN (`found_nan`).
 *
 * NaN is found without `isnan` on webgl (see core/exact-ops.ts). On a float16 backend ±Inf are
 * stored as NaN, so they are zeroed too.
 *
 * Host reads: **syncs** once per step (one bool per gradient, to record `foundNan`).
 *
 * @returns A {@link GradientTransformation} with state {@link ZeroNansState}.
 *
 * References: optax `zero_nans` (optax/transforms/_constraining.py),
 * https://github.com/google-deepmind/optax
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const t = transforms.zeroNans();
 * const { grads, state } = t.update([tf.tensor([1, NaN, Infinity])], t.init());
 * grads[0]!.print(); //=> [1, 0, Infinity]
 * state.foundNan;    //=> [true]
 * ```
 */
export function zeroNans(): GradientTransformation<ZeroNansState> {
  return {
    init: (params?: Grads | null) => ({ foundNan: params == null ? [] : flattenGrads(params, 'params').list.map((p) => (p == null ? null : false)) }),
    update(grads) {
      const flat = flattenGrads(grads);
      const { out, found } = tf.tidy(() => {
        const xs = mapPresent(flat.list, (g) => {
          const t = g.toFloat();
          return tf.where(nanMask(t), tf.zerosLike(t), t);
        });
        const anyNan = present(flat.list).map((g) => tf.any(nanMask(g.toFloat())));
        return { out: xs as tf.Tensor[], found: anyNan.length > 0 ? tf.stack(anyNan) : tf.tensor1d([], 'bool') };
      });
      const flags = Array.from(found.dataSync());
      found.dispose();
      let k = 0;
      const foundNan = flat.list.map((g) => (g == null ? null : flags[k++] !== 0));
      return { grads: flat.rebuild(out), state: { foundNan }, skip: false };
    },
  };
}
