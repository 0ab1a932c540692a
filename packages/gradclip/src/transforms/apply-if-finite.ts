/** optax `apply_if_finite(inner, max_consecutive_errors)` as a transform. */
import { check } from '../errors.js';
import { flattenGrads } from '../core/grad-forms.js';
import { allFinite, readScalar, tidyList, zerosAll } from './tensor-lists.js';
import type { GradientTransformation } from './types.js';
import { checkKnownKeys, checkOptions } from './validate.js';

/** Options of {@link applyIfFinite}. */
export interface ApplyIfFiniteOptions {
  /**
   * How many non-finite steps in a row are rejected before the next one is let through (an integer
   * >= 0, or Infinity to never give up). Required, as in optax.
   */
  maxConsecutiveErrors: number;
}

/** State of {@link applyIfFinite} (the field names of optax's `ApplyIfFiniteState`, camel-cased). */
export type ApplyIfFiniteState<S> = {
  /** Non-finite steps in a row (0 after a finite step). */
  notfiniteCount: number;
  /** Whether the last step's gradients were all finite. */
  lastFinite: boolean;
  /** Non-finite steps in total (never reset). */
  totalNotfinite: number;
  /** The inner transform's state, unchanged by rejected steps. */
  innerState: S;
};

/**
 * Runs `inner` only on steps whose gradients are all finite, as optax's `apply_if_finite`:
 *
 * ```
 * isFinite       = every entry of every gradient is finite
 * notfiniteCount = isFinite ? 0 : notfiniteCount + 1
 * if isFinite or notfiniteCount > maxConsecutiveErrors:  inner.update(...)   (its skip is passed on)
 * else:  grads = zeros, innerState unchanged, skip = true
 * ```
 *
 * A rejected step returns `skip: true`, so an optimizer wrapper does not call the optimizer at all
 * (slots and `iterations` are untouched, as in Keras's `LossScaleOptimizer` and `GradScaler`).
 * After more than `maxConsecutiveErrors` rejections in a row it gives up and lets the non-finite
 * update through (optax's behaviour), so training cannot stall silently forever.
 *
 * Host reads: **syncs** once per step (one bool), plus whatever `inner` reads.
 *
 * @param inner The transform to protect (e.g. `chain(clipByGlobalNorm(1))`).
 * @param options `{ maxConsecutiveErrors }` (required).
 * @returns A {@link GradientTransformation} with state {@link ApplyIfFiniteState}.
 * @throws ValueError when `inner` is not a transform or `maxConsecutiveErrors` is not an integer
 *   >= 0 (or Infinity).
 *
 * References: optax `apply_if_finite` (optax/transforms/_conditionality.py),
 * https://github.com/google-deepmind/optax
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const t = transforms.applyIfFinite(transforms.clipByGlobalNorm(1), { maxConsecutiveErrors: 2 });
 * const r = t.update([tf.tensor([NaN, 1])], t.init());
 * r.skip;            //=> true
 * r.grads[0]!.print(); //=> [0, 0]
 * ```
 */
export function applyIfFinite<S>(inner: GradientTransformation<S>, options: ApplyIfFiniteOptions): GradientTransformation<ApplyIfFiniteState<S>> {
  check(inner != null && typeof inner.init === 'function' && typeof inner.update === 'function', 'inner', 'a GradientTransformation { init, update }', inner);
  check(options != null && typeof options === 'object', 'options', 'an object { maxConsecutiveErrors }', options);
  checkOptions('applyIfFinite', options);
  checkKnownKeys('applyIfFinite', options, ['maxConsecutiveErrors']);
  const max = options.maxConsecutiveErrors;
  check(max === Infinity || (Number.isInteger(max) && max >= 0), 'maxConsecutiveErrors', 'an integer >= 0 or Infinity', max);
  return {
    init: (params) => ({ notfiniteCount: 0, lastFinite: true, totalNotfinite: 0, innerState: inner.init(params) }),
    update(grads, state, params, extra) {
      const flat = flattenGrads(grads);
      const finiteT = allFinite(flat.list);
      const isFinite = readScalar(finiteT) !== 0;
      finiteT.dispose();
      const notfiniteCount = isFinite ? 0 : state.notfiniteCount + 1;
      const totalNotfinite = isFinite ? state.totalNotfinite : state.totalNotfinite + 1;
      if (isFinite || notfiniteCount > max) {
        const r = inner.update(grads, state.innerState, params, extra);
        return { grads: r.grads, state: { notfiniteCount, lastFinite: isFinite, totalNotfinite, innerState: r.state }, skip: r.skip === true };
      }
      const zeros = tidyList(() => zerosAll(flat.list));
      return {
        grads: flat.rebuild(zeros),
        state: { notfiniteCount, lastFinite: false, totalNotfinite, innerState: state.innerState },
        skip: true,
      };
    },
  };
}
