/** optax `chain(*transforms)`: apply transforms in order, their states kept in a tuple. */
import * as tf from '@tensorflow/tfjs';
import { check } from '../errors.js';
import { flattenGrads, present, type Grads } from '../core/grad-forms.js';
import { cloneAll, tidyList } from './tensor-lists.js';
import type { GradientTransformation, StateOf } from './types.js';

/** The state of a chain: one state per transform, in order. */
export type ChainState<T extends readonly GradientTransformation<any>[]> = { -readonly [K in keyof T]: StateOf<T[K]> };

function disposeGrads(g: Grads): void {
  tf.dispose(present(flattenGrads(g).list));
}

/**
 * Composes transforms: each one receives the previous one's output, and the states are kept in a
 * tuple (optax `chain`). `chain()` with no argument is the identity (it returns clones).
 *
 * Skipping: when a transform returns `skip: true`, the chain stops there and returns its (zero)
 * gradients with `skip: true`; the transforms after it are not called and keep their states (as
 * inner states are kept by optax `apply_if_finite`). The transforms before it have already
 * recorded the step. Intermediate tensors are disposed; the caller owns only the returned ones.
 *
 * Host reads: those of the transforms in it.
 *
 * @param transforms The transforms, applied left to right.
 * @returns A {@link GradientTransformation} whose state is the tuple of the states.
 * @throws ValueError when an argument is not a transform.
 *
 * References: optax `chain` (optax/transforms/_combining.py), https://github.com/google-deepmind/optax
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const t = transforms.chain(transforms.zeroNans(), transforms.clipByGlobalNorm(1));
 * const { grads, state } = t.update([tf.tensor([NaN, 3, 4])], t.init());
 * grads[0]!.print(); //=> [0, 0.6, 0.8]
 * state;             //=> [{ foundNan: [true] }, {}]
 * ```
 */
export function chain<T extends readonly GradientTransformation<any>[]>(...transforms: T): GradientTransformation<ChainState<T>> {
  transforms.forEach((t, i) =>
    check(
      t != null && typeof t.init === 'function' && typeof t.update === 'function',
      `transforms[${i}]`,
      'a GradientTransformation { init, update }',
      t,
    ),
  );
  return {
    init: (params) => transforms.map((t) => t.init(params)) as ChainState<T>,
    update(grads, state, params, extra) {
      check(Array.isArray(state) && state.length === transforms.length, 'state', `an array of ${transforms.length} states (one per transform)`, state);
      if (transforms.length === 0) {
        const flat = flattenGrads(grads);
        return { grads: flat.rebuild(tidyList(() => cloneAll(flat.list))), state, skip: false };
      }
      const next = [...(state as unknown[])];
      let current: any = grads;
      for (let i = 0; i < transforms.length; i++) {
        let r;
        try {
          r = transforms[i].update(current, next[i], params, extra);
        } finally {
          if (current !== grads) disposeGrads(current);
        }
        next[i] = r.state;
        current = r.grads;
        if (r.skip === true) return { grads: current, state: next as ChainState<T>, skip: true };
      }
      return { grads: current, state: next as ChainState<T>, skip: false };
    },
  };
}
