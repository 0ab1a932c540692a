/**
 * `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_` *in place*: the trailing underscore means,
 * as in PyTorch, that the given tensors' data is overwritten with the clipped values.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { clampInPlace, inPlaceModes, scaleInPlace } from './fast/fast-path.js';
import { TORCH_CLIP_EPS } from './clip-grads-with-norm.js';
import { getTotalNorm, type NormOptions } from './get-total-norm.js';
import { flattenGrads, type Grads } from './grad-forms.js';
import { checkThreshold } from './validate.js';

function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

/** How an error names entry `i` (named `name`) of `grads`. */
function entryLabel(grads: Grads, i: number, name: string): string {
  if (isTensor(grads)) return 'grads';
  if (Array.isArray(grads)) {
    const g = grads[i] as unknown;
    const named = g != null && typeof g === 'object' && !isTensor(g) && 'tensor' in g;
    return named ? `grads[${i}] (${JSON.stringify(name)})` : `grads[${i}]`;
  }
  return `grads[${JSON.stringify(name)}]`;
}

/**
 * The present tensors of `grads`, after checking that every one of them can be overwritten in
 * place; otherwise a ValueError naming the first entry that cannot, and why (nothing is modified).
 */
function inPlaceTargets(grads: Grads, fn: string, copying: string): { xs: tf.Tensor[]; modes: (1 | 2 | string)[] } {
  const flat = flattenGrads(grads, 'grads');
  const index: number[] = [];
  const xs: tf.Tensor[] = [];
  flat.list.forEach((g, i) => {
    if (g != null) {
      index.push(i);
      xs.push(g);
    }
  });
  const modes = inPlaceModes(xs);
  const why = modes.map((m) => (typeof m === 'string' ? m : null));
  const k = why.findIndex((w) => w != null);
  if (k >= 0) {
    const reason = (why[k] as string).replace(/entry (\d+)/, (_, j: string) => {
      const i = index[Number(j)];
      return entryLabel(grads, i, flat.names[i]);
    });
    const i = index[k];
    throw new ValueError(
      `${fn} cannot modify ${entryLabel(grads, i, flat.names[i])} in place: ${reason}. ` +
        `Nothing was modified. Use ${copying}, which returns new tensors.`,
    );
  }
  return { xs, modes };
}

/**
 * PyTorch's `clip_grad_norm_`, in place: measures the total norm ({@link getTotalNorm}) and
 * multiplies every gradient's data by `min(maxNorm / (totalNorm + 1e-6), 1)`, overwriting the
 * given tensors. The values are bit-identical to {@link clipGradNorm}'s new tensors; the total
 * norm *before* clipping is returned (the caller disposes it), as PyTorch returns it.
 *
 * In place is possible only on the `cpu` and `wasm` backends (gradclip's fused kernels), outside a
 * gradient tape, and for live float32 tensors whose data nothing else shares: not a `tf.Variable`
 * or a variable's value, reference count 1 (no clone, reshape or variable made from it), each
 * tensor once, and on cpu an array that is not a view of or viewed by another tensor (e.g. a
 * slice). Anything else throws a ValueError naming the entry and the reason, before anything is
 * modified — there is no silent copying fallback, because a caller of an in-place function relies
 * on the given tensors changing. On cpu, an array given to `tf.tensor(array)` or returned by
 * `dataSync()`/`data()` is the tensor's own storage and sees the change (as a NumPy array shared
 * through `torch.from_numpy` does).
 *
 * @param grads Gradients in any form; holes are skipped.
 * @param maxNorm The maximum norm, a finite number >= 0.
 * @param options `normType` (default 2, `Infinity` allowed) and `errorIfNonfinite` (default false:
 *   with it, a NaN/inf norm throws NonFiniteError before anything is modified).
 * @returns The total norm before clipping, a float32 scalar tensor.
 * @throws ValueError for bad arguments or a tensor that cannot be modified in place.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipGradNorm_ } from 'gradclip';
 * const g = tf.tensor([30, 40]);
 * clipGradNorm_([g], 5).print(); //=> 50
 * g.print(); //=> [3, 4]  (times 50/(50+1e-6))
 * ```
 */
export function clipGradNorm_(grads: Grads, maxNorm: number, options: NormOptions = {}): tf.Scalar {
  checkThreshold('maxNorm', maxNorm, true);
  if (isTensor(maxNorm)) throw new ValueError('`maxNorm` must be a finite number >= 0. Received: a tensor');
  const { xs, modes } = inPlaceTargets(grads, 'clipGradNorm_', 'clipGradNorm');
  const totalNorm = getTotalNorm(grads, options.normType ?? 2, options.errorIfNonfinite ?? false);
  // The same ops as clipGradsWithNorm, so the same coefficient bit for bit.
  tf.tidy(() => {
    const coef = tf.div(tf.scalar(maxNorm), tf.add(totalNorm, TORCH_CLIP_EPS));
    scaleInPlace(xs, tf.minimum(coef, 1) as tf.Scalar, modes);
  });
  return totalNorm;
}

/**
 * PyTorch's `clip_grad_value_`, in place: clamps every entry of the given tensors' data to
 * `[-clipValue, clipValue]` (NaN stays NaN, ±inf become ±c, -0 stays -0), bit-identical to
 * {@link clipGradValue}'s new tensors. Returns nothing, as PyTorch.
 *
 * The tensors must be modifiable in place (see {@link clipGradNorm_}); otherwise a ValueError names
 * the entry and the reason, and nothing is modified.
 *
 * @param grads Gradients in any form; holes are skipped.
 * @param clipValue A finite number >= 0.
 * @throws ValueError for a bad `clipValue` or a tensor that cannot be modified in place.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipGradValue_ } from 'gradclip';
 * const g = tf.tensor([-3, 0.5, NaN, Infinity]);
 * clipGradValue_([g], 1);
 * g.print(); //=> [-1, 0.5, NaN, 1]
 * ```
 */
export function clipGradValue_(grads: Grads, clipValue: number): void {
  checkThreshold('clipValue', clipValue, true);
  if (isTensor(clipValue)) throw new ValueError('`clipValue` must be a finite number >= 0. Received: a tensor');
  const { xs, modes } = inPlaceTargets(grads, 'clipGradValue_', 'clipGradValue');
  clampInPlace(xs, clipValue, modes);
}
