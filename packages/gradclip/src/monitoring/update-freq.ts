/** `updateFreq` of the writers (Keras/tfjs-node vocabulary): `'batch'`, `'epoch'` or every N batches. */
import { check } from '../errors.js';

/** How often per-batch values are written. */
export type UpdateFreq = 'batch' | 'epoch' | number;

/** Validates `updateFreq` and returns N (batches between writes; 0 for epoch-only). */
export function resolveUpdateFreq(updateFreq: unknown): number {
  check(
    updateFreq === 'batch' || updateFreq === 'epoch' || (Number.isInteger(updateFreq) && (updateFreq as number) >= 1),
    'updateFreq',
    "'batch', 'epoch' or an integer >= 1",
    updateFreq,
  );
  return updateFreq === 'batch' ? 1 : updateFreq === 'epoch' ? 0 : (updateFreq as number);
}
