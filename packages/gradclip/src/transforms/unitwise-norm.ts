/** optax `unitwise_norm`: the L2 norm of each "unit" (output neuron / filter) of a tensor. */
import * as tf from '@tensorflow/tfjs';
import { l2Norm } from '../core/exact-ops.js';
import { ValueError, received } from '../errors.js';

/**
 * The reduction axes AGC uses for a tensor of this shape (optax's rules, which match TF.js layouts):
 *
 * - `axis` when given (negative values count from the end);
 * - every axis when `squeeze(x)` has rank <= 1 (scalars, vectors, and shapes like `[1, n]` or
 *   `[n, 1]`: one whole-tensor norm);
 * - `[0]` for rank 2 or 3 (Dense kernel `[in, out]` → one norm per output unit; rank 3 is treated as
 *   a multi-head linear kernel);
 * - `[0, 1, 2]` for rank 4 (Conv2D kernel `HWIO`, also DepthwiseConv2D);
 * - `[0, 1, 2, 3]` for rank 5 (Conv3D kernel `DHWIO`).
 *
 * Conv2DTranspose / Conv3DTranspose kernels are `[..., out, in]` in TF.js: the default gives the
 * wrong units for them; pass `axis` (e.g. `[0, 1, 3]` for Conv2DTranspose).
 *
 * @param shape The tensor's shape.
 * @param axis Explicit axes, or null/undefined for the rules above.
 * @param label How to name the tensor in an error message.
 * @returns The axes to reduce over (sorted, non-negative).
 * @throws ValueError for a rank above 5 without `axis`, or an out-of-range axis.
 */
export function unitwiseAxes(shape: readonly number[], axis: number | readonly number[] | null | undefined, label = 'x'): number[] {
  const rank = shape.length;
  if (axis != null) {
    const list = typeof axis === 'number' ? [axis] : [...axis];
    for (const a of list) {
      if (!Number.isInteger(a) || a < -rank || a >= rank) {
        throw new ValueError(`\`axis\` must hold integers in [-${rank}, ${rank}) for ${label} of shape [${shape}]. ${received({ axis })}`);
      }
    }
    return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  }
  const squeezedRank = shape.filter((d) => d !== 1).length;
  if (squeezedRank <= 1) return shape.map((_, i) => i);
  if (rank === 2 || rank === 3) return [0];
  if (rank === 4) return [0, 1, 2];
  if (rank === 5) return [0, 1, 2, 3];
  throw new ValueError(
    `adaptiveGradClip: expected a tensor of rank 1 to 5 for ${label}, or an explicit \`axis\` / \`axes\` entry. Received: shape=[${shape}]`,
  );
}

/**
 * `sqrt(sum(x², axes, keepdims))` broadcast back to `x`'s shape (optax `unitwise_norm`).
 *
 * NaN/Inf propagate within a unit; a float32 overflow of Σx² gives `inf`. On a float16 backend the
 * norm is computed scaled (see core/exact-ops.ts `l2Norm`).
 *
 * @param x The tensor (cast to float32; not disposed).
 * @param axis Explicit reduction axes, or null/undefined for the rules of {@link unitwiseAxes}.
 * @returns A new float32 tensor of `x`'s shape holding each unit's norm.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * transforms.unitwiseNorm(tf.tensor([[3, 0], [4, 1]])).print(); //=> [[5, 1], [5, 1]]
 * ```
 */
export function unitwiseNorm(x: tf.Tensor, axis?: number | readonly number[] | null): tf.Tensor {
  const axes = unitwiseAxes(x.shape, axis);
  // A scalar reduces over "all" axes (tf.sum with an empty axis list would not reduce anything).
  return tf.tidy(() => tf.broadcastTo(l2Norm(x, x.rank === 0 ? null : axes, true), x.shape));
}
