/**
 * `tf.clip_by_norm` for TF.js: rescale a tensor so that its L2 norm (over all elements, or over
 * `axes`) is at most `clipNorm`.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatValue } from '../errors.js';
import { ieeeDiv, l2Norm, maximumKeepNaN } from './exact-ops.js';
import { isFloat16Backend } from './float16.js';
import { checkThreshold, normalizeAxes } from './validate.js';

/**
 * Clips a tensor to a maximum L2 norm, with the exact op order of TensorFlow's `tf.clip_by_norm`:
 *
 * ```
 * l2sum  = sum(t*t, axes, keepdims)
 * l2norm = where(l2sum > 0, sqrt(where(l2sum > 0, l2sum, 1)), l2sum)   // "two-tap where"
 * out    = (t * clipNorm) / maximum(l2norm, clipNorm)
 * ```
 *
 * - A norm at or below `clipNorm` leaves `t` unchanged up to one rounding (`t*c/c`).
 * - A zero tensor stays zero (no epsilon, no NaN).
 * - With `axes`, each slice along the reduced axes is clipped on its own (`axes: [0]` clips columns).
 *
 * NaN/Inf policy (same as TF): an `inf` entry makes its slice's norm `inf`, so finite entries of
 * that slice become `±0` and the `inf` entry `NaN`; a `NaN` entry turns its whole slice into `NaN`;
 * a finite slice whose Σx² overflows float32 becomes `±0`. Other slices are not affected.
 * The same on every backend: on webgl, whose division gives `Inf/Inf = 0/0 = 1`, the quotient is
 * only taken by a finite non-zero norm (see exact-ops.ts).
 *
 * On a float16 backend (webgl with `WEBGL_RENDER_FLOAT32_ENABLED` false) the norm is computed
 * scaled and the scale first, `t * (clipNorm / max(norm, clipNorm))`, so that neither Σx² nor
 * `t*clipNorm` has to fit in float16: results agree to float16 precision; ±Inf entries are NaN
 * there (float16 has no Inf), so their slice is NaN.
 *
 * Deliberate difference: TF (>= 2.14) silently replaces a negative `clipNorm` by 0; gradclip
 * throws instead.
 *
 * @param t The tensor to clip (cast to float32).
 * @param clipNorm The maximum norm, a finite number >= 0 (or a scalar tensor).
 * @param axes Axes to compute the norm over (negative allowed). Default: all axes.
 * @returns A new float32 tensor of `t`'s shape.
 * @throws ValueError for a negative or non-finite `clipNorm`, or out-of-range `axes`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipByNorm } from 'gradclip';
 * clipByNorm(tf.tensor([[1, 2, 3, 4, 5]]), 2).print();
 * //=> [[0.2696800, 0.5393599, 0.8090398, 1.0787199, 1.3483998],]
 * ```
 */
export function clipByNorm(t: tf.Tensor, clipNorm: number | tf.Scalar, axes?: number | number[] | null): tf.Tensor {
  if (!(t instanceof tf.Tensor)) {
    throw new ValueError(`\`t\` must be a tf.Tensor in clipByNorm. Received: t=${formatValue(t)}`);
  }
  checkThreshold('clipNorm', clipNorm, true);
  const ax = normalizeAxes(axes, t.rank, 'clipByNorm');
  return tf.tidy(() => {
    const x = t.toFloat();
    const c = typeof clipNorm === 'number' ? tf.scalar(clipNorm) : clipNorm;
    if (isFloat16Backend()) return tf.mul(x, ieeeDiv(c, maximumKeepNaN(l2Norm(x, ax ?? null, true), c)));
    const l2sum = tf.sum(tf.square(x), ax, true);
    const pred = tf.greater(l2sum, 0);
    const l2sumSafe = tf.where(pred, l2sum, tf.onesLike(l2sum));
    const l2norm = tf.where(pred, tf.sqrt(l2sumSafe), l2sum);
    // The possibly-NaN operand goes first: tfjs-wasm's maximum only propagates NaN from its first input.
    return ieeeDiv(tf.mul(x, c), maximumKeepNaN(l2norm, c));
  });
}
