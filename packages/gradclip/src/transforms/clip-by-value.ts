/** optax `clip(max_delta)` as a transform. */
import { maximumKeepNaN, minimumKeepNaN } from '../core/exact-ops.js';
import { flattenGrads, mapPresent } from '../core/grad-forms.js';
import { tidyList } from './tensor-lists.js';
import type { GradientTransformation } from './types.js';
import { checkNonNegativeOrInf } from './validate.js';

/** `clipByValue` has no state. */
export type ClipByValueState = Record<string, never>;

/**
 * Clips every gradient entry to `[-maxDelta, maxDelta]`, as optax's `clip` (`jnp.clip`, the upper
 * bound applied last): `minimum(maximum(g, -maxDelta), maxDelta)`.
 *
 * NaN/Inf policy (optax): NaN stays NaN on every backend; `±inf` clamp to the bounds.
 * No host reads. State: `{}`.
 *
 * Deliberate difference: optax silently accepts a negative `maxDelta` (every entry becomes
 * `maxDelta`); gradclip throws.
 *
 * @param maxDelta The largest absolute value of an entry, a number >= 0 (`Infinity` allowed).
 * @returns A stateless {@link GradientTransformation}.
 * @throws ValueError for a negative or NaN `maxDelta`.
 *
 * References: optax `clip` (optax/transforms/_clipping.py), https://github.com/google-deepmind/optax
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const t = transforms.clipByValue(1);
 * const { grads } = t.update([tf.tensor([500, -0.5])], t.init());
 * grads[0]!.print(); //=> [1, -0.5]
 * ```
 */
export function clipByValue(maxDelta: number): GradientTransformation<ClipByValueState> {
  checkNonNegativeOrInf('maxDelta', maxDelta);
  return {
    init: () => ({}),
    update(grads, state) {
      const flat = flattenGrads(grads);
      // The gradient (possibly NaN) is the first operand of both: tfjs-wasm's maximum/minimum only
      // propagate NaN from there, and on webgl the helpers keep NaN without the drivers' isnan.
      // maxDelta = Infinity changes nothing (and float16 cannot hold it).
      const out = tidyList(() =>
        mapPresent(flat.list, (g) => (maxDelta === Infinity ? g.toFloat().clone() : minimumKeepNaN(maximumKeepNaN(g.toFloat(), -maxDelta), maxDelta))),
      );
      return { grads: flat.rebuild(out), state, skip: false };
    },
  };
}
