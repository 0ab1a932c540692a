/** `torch.nn.utils.clip_grad_norm_` for TF.js. */
import type * as tf from '@tensorflow/tfjs';
import { clipGradsWithNorm } from './clip-grads-with-norm.js';
import { getTotalNorm, type NormOptions } from './get-total-norm.js';
import type { Grads, SameForm } from './grad-forms.js';
import { checkThreshold } from './validate.js';

/** Result of {@link clipGradNorm}. */
export interface ClipGradNormResult<G> {
  /** The clipped gradients, in the input's form (holes kept). */
  grads: G;
  /** The total norm *before* clipping, a scalar tensor the caller disposes. */
  totalNorm: tf.Scalar;
}

/**
 * Clips gradients to a maximum total norm, exactly as PyTorch's `clip_grad_norm_`: it is
 * {@link getTotalNorm} followed by {@link clipGradsWithNorm} (coefficient
 * `min(maxNorm / (norm + 1e-6), 1)`), and it returns the norm it measured so monitoring never
 * computes it twice.
 *
 * NaN/Inf policy: as {@link clipGradsWithNorm} (NaN norm → all NaN; inf norm → finite entries ±0,
 * inf entries NaN), or a {@link NonFiniteError} before anything is computed when
 * `errorIfNonfinite` is set.
 *
 * @param grads Gradients in any form.
 * @param maxNorm The maximum norm, a finite number >= 0.
 * @param options `normType` (default 2, `Infinity` allowed) and `errorIfNonfinite` (default false).
 * @returns `{ grads, totalNorm }`.
 * @throws ValueError for bad arguments; NonFiniteError as described.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipGradNorm } from 'gradclip';
 * const { grads, totalNorm } = clipGradNorm([tf.tensor([30, 40]), null], 5);
 * totalNorm.print(); //=> 50
 * grads[0]!.print(); //=> [3, 4]  (up to the 1e-6 epsilon)
 * ```
 */
export function clipGradNorm<G extends Grads>(grads: G, maxNorm: number, options: NormOptions = {}): ClipGradNormResult<SameForm<G>> {
  checkThreshold('maxNorm', maxNorm, true);
  const totalNorm = getTotalNorm(grads, options.normType ?? 2, options.errorIfNonfinite ?? false);
  const clipped = clipGradsWithNorm(grads, maxNorm, totalNorm);
  return { grads: clipped, totalNorm };
}
