/**
 * The building block of every L2 norm: `sum(x*x)` over all elements, as a float32 scalar with no
 * rescaling, so that a Σx² above float32's max is `inf` exactly as in TF, Keras and PyTorch.
 *
 * On the `cpu` and `wasm` backends this runs as one fused kernel with float64 partial sums (see
 * fast/fast-path.ts): more accurate than the float32 reduction, same overflow and NaN/inf
 * behaviour. With the fast path off it is computed on the host in the same order (host-sums.ts),
 * so the bits do not depend on the switch. Elsewhere, and under a gradient tape, it is
 * `tf.sum(tf.square(x))`.
 *
 * On a float16 backend (webgl with `WEBGL_RENDER_FLOAT32_ENABLED` false) a Σx² above 65504 (a norm
 * above 256) cannot be stored: it is NaN there. Norms that must survive that are computed scaled
 * instead (exact-ops.ts `l2Norm`); the first sum computed on such a backend warns once (float16.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { fusedSumOfSquares, fusedSumsOfSquares } from './fast/fast-path.js';
import { hostSumsOfSquares, hostTotalSumOfSquares } from './host-sums.js';
import { warnIfFloat16 } from './float16.js';

/** `sum(square(x))` over all elements, as a float32 scalar. NaN and inf propagate. */
export function sumOfSquares(x: tf.Tensor): tf.Scalar {
  return (
    fusedSumOfSquares([x]) ??
    hostTotalSumOfSquares([x]) ??
    tf.tidy(() => {
      warnIfFloat16();
      return tf.sum(tf.square(x.toFloat())) as tf.Scalar;
    })
  );
}

/** `Σ_i sum(square(x_i))` over several tensors, as one float32 scalar (0 for an empty list). */
export function totalSumOfSquares(xs: readonly tf.Tensor[]): tf.Scalar {
  const fused = fusedSumOfSquares(xs) ?? hostTotalSumOfSquares(xs);
  if (fused != null) return fused;
  return tf.tidy(() => {
    warnIfFloat16();
    if (xs.length === 0) return tf.scalar(0);
    const sums = xs.map((x) => tf.sum(tf.square(x.toFloat())));
    return (sums.length === 1 ? sums[0] : tf.addN(sums)) as tf.Scalar;
  });
}

/**
 * `[sum(square(x_0)), …]` as one float32 vector (one fused kernel on cpu/wasm): the per-tensor
 * sums a per-variable clip (Keras `clipnorm`) needs, computed without one op chain per tensor.
 */
export function sumsOfSquares(xs: readonly tf.Tensor[]): tf.Tensor1D {
  return (
    fusedSumsOfSquares(xs) ??
    hostSumsOfSquares(xs) ??
    tf.tidy(() => {
      warnIfFloat16();
      return xs.length === 0 ? tf.tensor1d([], 'float32') : (tf.stack(xs.map((x) => tf.sum(tf.square(x.toFloat())))) as tf.Tensor1D);
    })
  );
}
