/** `torch.nn.utils.get_total_norm` for TF.js. */
import * as tf from '@tensorflow/tfjs';
import { NonFiniteError, ValueError, formatValue } from '../errors.js';
import { flattenGrads, present, type Grads } from './grad-forms.js';
import { fusedSumOfSquares } from './fast/fast-path.js';
import { hostTotalSumOfSquares } from './host-sums.js';
import { ieeeBackend, l2Norm, nanMask, pNormOfMagnitudes } from './exact-ops.js';

/** Options of {@link getTotalNorm} and {@link clipGradNorm}. */
export interface NormOptions {
  /** Order of the norm: any number, or `Infinity`/`-Infinity`. Default 2. */
  normType?: number;
  /** Throw a {@link NonFiniteError} when the norm is NaN or ±inf (reads the norm on the host). Default false. */
  errorIfNonfinite?: boolean;
}

/** Validates `normType` (any number but NaN; strings 'inf'/'-inf' are accepted like PyTorch's `float()`). */
export function parseNormType(normType: unknown): number {
  if (normType === 'inf' || normType === 'Infinity') return Infinity;
  if (normType === '-inf' || normType === '-Infinity') return -Infinity;
  if (typeof normType !== 'number' || Number.isNaN(normType)) {
    throw new ValueError(`\`normType\` must be a number (Infinity for the max norm). Received: normType=${formatValue(normType)}`);
  }
  return normType;
}

/**
 * The p-norm of one tensor's elements, as PyTorch's `linalg.vector_norm(x, p)` computes it.
 *
 * Every backend gives PyTorch's results: the max/min norms test NaN without `isnan` on webgl
 * (exact-ops.ts), and a negative `p` handles zero entries explicitly there — `|0|^p` is Infinity
 * in PyTorch (and on cpu/wasm), so one zero makes the norm 0 (NaN still wins), while tfjs-webgl and
 * tfjs-webgpu give `pow(0, p) = 0`. On a float16 backend the 2-norm and the other p-norms are
 * computed scaled (see exact-ops.ts).
 */
export function vectorNorm(x: tf.Tensor, p: number): tf.Scalar {
  return tf.tidy(() => {
    const a = tf.abs(x.toFloat());
    if (p === 2) return l2Norm(a) as tf.Scalar;
    if (p === 1) return tf.sum(a) as tf.Scalar;
    if (p === Infinity || p === -Infinity) {
      const m = p === Infinity ? tf.max(a) : tf.min(a);
      // Reductions on some backends skip NaN; make NaN propagate explicitly, as torch does.
      return tf.where(tf.any(nanMask(a)), tf.scalar(NaN), m) as tf.Scalar;
    }
    if (p === 0) return tf.sum(tf.notEqual(x, 0).toFloat()) as tf.Scalar;
    if (p < 0 && !ieeeBackend()) {
      const isZero = tf.equal(a, 0);
      const norm = pNormOfMagnitudes(tf.where(isZero, tf.onesLike(a), a), p);
      return tf.where(tf.any(nanMask(a)), tf.scalar(NaN), tf.where(tf.any(isZero), tf.scalar(0), norm)) as tf.Scalar;
    }
    return pNormOfMagnitudes(a, p);
  });
}

/**
 * The total `normType`-norm of several gradients, as PyTorch's `get_total_norm`: the norm of the
 * per-tensor norms, which equals the norm of all elements concatenated for every `p` except 0.
 *
 * - `null`/`undefined` entries are skipped; an empty list (or all holes) gives 0.
 * - `normType = 0` counts the tensors that have a non-zero entry (PyTorch's quirk), and a negative
 *   `normType` gives 0 as soon as one entry is 0 — both kept for parity.
 *
 * NaN/Inf policy: propagates (NaN anywhere → NaN; inf anywhere → inf for p > 0), unless
 * `errorIfNonfinite` is set: then a non-finite total throws {@link NonFiniteError}. That check
 * reads one scalar on the host, so it synchronises with the device.
 *
 * @param grads Gradients in any form.
 * @param normType Order of the norm (default 2; `Infinity` for the max norm).
 * @param errorIfNonfinite Throw on a NaN/inf norm (default false).
 * @returns The total norm as a float32 scalar tensor (the caller disposes it).
 * @throws ValueError for a non-numeric `normType`; NonFiniteError as described.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { getTotalNorm } from 'gradclip';
 * getTotalNorm([tf.tensor([3, -4]), null], 1).print();
 * //=> 7
 * ```
 */
export function getTotalNorm(grads: Grads, normType: number = 2, errorIfNonfinite = false): tf.Scalar {
  const p = parseNormType(normType);
  const { list } = flattenGrads(grads, 'grads');
  const total = tf.tidy(() => {
    const xs = present(list);
    if (xs.length === 0) return tf.scalar(0);
    if (p === 2) {
      // cpu/wasm: sqrt of one fused Σx² with float64 partial sums (float32 overflow kept: Σ > max →
      // inf); with the fast path off the same sum on the host (same bits).
      const ss = fusedSumOfSquares(xs) ?? hostTotalSumOfSquares(xs);
      if (ss != null) return tf.sqrt(ss) as tf.Scalar;
    }
    const norms = xs.map((x) => vectorNorm(x, p));
    return vectorNorm(tf.stack(norms), p);
  });
  if (errorIfNonfinite) {
    const value = total.dataSync()[0];
    if (!Number.isFinite(value)) {
      total.dispose();
      throw new NonFiniteError(
        `The total norm of order ${p} for gradients from \`grads\` is non-finite (${value}), so it cannot be clipped. ` +
          'To disable this error and scale the gradients by the non-finite norm anyway, set `errorIfNonfinite: false`.',
      );
    }
  }
  return total;
}
