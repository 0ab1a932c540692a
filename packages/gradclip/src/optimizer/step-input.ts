/**
 * The first stage of the optimizer wrapper's step: one pass over the gradients (this runs every
 * training step) for the names of the present ones, the missing ones, and whether they are all the
 * wrapper's own temporaries; Keras 3's rules for missing gradients.
 */
import { ValueError, formatValue } from '../errors.js';
import type { FlatGrads } from '../core/grad-forms.js';

/** What {@link inspectGradients} found. */
export interface StepInput {
  /** Names of the present gradients, in order. */
  presentNames: string[];
  /** Names of the missing (null or undefined) gradients, in order. */
  missing: string[];
  /** Every present gradient was made at or after `ownFrom` (false without `ownFrom`). */
  allOwn: boolean;
}

/**
 * Inspects one step's gradients. `ownFrom`: the id of the first tensor the wrapper's `minimize`
 * could have made (gradients with an id >= it are its own temporaries), or null.
 *
 * Keras 3 `apply`: no gradients at all is a no-op (returns null); every gradient missing is an error.
 *
 * @throws ValueError `No gradients provided for any variable: [...]` when every gradient is missing.
 * @example
 * ```ts
 * inspectGradients(flattenGrads({ a: tf.scalar(1), b: null }), null);
 * //=> { presentNames: ['a'], missing: ['b'], allOwn: false }
 * inspectGradients(flattenGrads([]), null); //=> null
 * ```
 */
export function inspectGradients(flat: FlatGrads, ownFrom: number | null): StepInput | null {
  const list = flat.list;
  if (list.length === 0) return null;
  const presentNames: string[] = [];
  const missing: string[] = [];
  let allOwn = ownFrom != null;
  for (let i = 0; i < list.length; ++i) {
    const g = list[i];
    if (g == null) {
      missing.push(flat.names[i]);
      continue;
    }
    presentNames.push(flat.names[i]);
    if (allOwn && g.id < (ownFrom as number)) allOwn = false;
  }
  if (presentNames.length === 0) throw new ValueError(noGradientsMessage(flat));
  return { presentNames, missing, allOwn };
}

/**
 * Keras 3's `"No gradients provided for any variable."` (`BaseOptimizer._filter_empty_gradients`),
 * naming the variables as Keras's TensorFlow backend does (positions for a plain list).
 */
export function noGradientsMessage(flat: FlatGrads): string {
  const names = flat.form === 'list' ? flat.names.map(Number) : flat.names;
  return (
    `No gradients provided for any variable: ${formatValue(names)}. Every gradient in \`variableGradients\` is null or undefined; ` +
    'weights, optimizer state and iterations were not changed.'
  );
}
