/** `tf.linalg.global_norm` for TF.js. */
import * as tf from '@tensorflow/tfjs';
import { flattenGrads, present, type Grads } from './grad-forms.js';
import { globalL2Norm } from './exact-ops.js';
import { isFloat16Backend } from './float16.js';
import { totalSumOfSquares } from './sum-of-squares.js';

/**
 * The global L2 norm of several tensors: `sqrt(Σ_i Σ t_i²)`, as TensorFlow's
 * `tf.linalg.global_norm` (`null`/`undefined` entries are ignored).
 *
 * On `cpu`/`wasm` Σx² is one fused kernel accumulating in float64 (norm relative error ~1e-7);
 * elsewhere `sqrt(addN(sum(square(t_i))))` in float32. On a float16 backend (webgl with
 * `WEBGL_RENDER_FLOAT32_ENABLED` false), where Σx² overflows as soon as the norm passes 256, it is
 * the norm of the per-tensor norms, each computed scaled (exact-ops.ts `l2Norm`): right to float16
 * precision up to 65504.
 *
 * NaN/Inf policy: propagates. Any `inf` gives `inf`, any `NaN` gives `NaN`; a float32 overflow of
 * Σx² gives `inf` (no rescaling, as in TF). An empty list (or all holes) gives 0, where TF raises.
 *
 * @param tensors Tensors in any gradient form (array with holes, `NamedTensorMap`, `NamedTensor[]`).
 * @returns A float32 scalar tensor (the caller disposes it).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { globalNorm } from 'gradclip';
 * globalNorm([tf.tensor([3, 0]), null, tf.tensor([[4]])]).print();
 * //=> 5
 * ```
 */
export function globalNorm(tensors: Grads): tf.Scalar {
  const { list } = flattenGrads(tensors, 'tensors');
  return tf.tidy(() => {
    const xs = present(list);
    if (xs.length === 0) return tf.scalar(0);
    if (isFloat16Backend()) return globalL2Norm(xs);
    return tf.sqrt(totalSumOfSquares(xs)) as tf.Scalar;
  });
}
