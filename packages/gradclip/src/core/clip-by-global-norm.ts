/** `tf.clip_by_global_norm` for TF.js. */
import * as tf from '@tensorflow/tfjs';
import { scalePresent } from './fast/fast-path.js';
import { flattenGrads, type Grads, type SameForm } from './grad-forms.js';
import { ieeeBackend, minimumKeepNaN } from './exact-ops.js';
import { globalNorm } from './global-norm.js';
import { checkThreshold } from './validate.js';

/**
 * Scales every tensor by `clipNorm / max(globalNorm, clipNorm)`, with the exact arithmetic of
 * TensorFlow's `tf.clip_by_global_norm`:
 *
 * ```
 * scale = clipNorm * minimum(1 / useNorm, 1 / clipNorm) + (useNorm - useNorm)
 * out_i = t_i * scale
 * ```
 *
 * - Returns `[clipped, norm]`, where `norm` is the global norm *before* clipping (or `useNorm` when
 *   given), as a scalar tensor the caller disposes.
 * - `null`/`undefined` entries stay in place; the input's form (array, `NamedTensorMap`,
 *   `NamedTensor[]`) is kept.
 * - A zero norm leaves the tensors unchanged (zeros stay zero).
 *
 * NaN/Inf policy (same as TF and Keras 3): if the norm is `inf` or `NaN` — including a float32
 * overflow of Σx² — **every** output is `NaN`, so a bad step is impossible to miss. The same on
 * every backend: elsewhere than cpu/wasm, `1/norm` is taken as `1/clipNorm` at a zero norm (equal
 * after the minimum, and finite where float16 has no Infinity), and the minimum keeps a NaN where
 * some WebGL drivers' `max`/`min` drop it (the `norm - norm` term carries it anyway).
 *
 * @param tensors The tensors, in any gradient form.
 * @param clipNorm The maximum global norm, a finite number >= 0 (or a scalar tensor).
 * @param useNorm A precomputed global norm to use instead of computing it (e.g. an all-reduced one).
 * @returns `[clipped, norm]`.
 * @throws ValueError for a negative or non-finite `clipNorm`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipByGlobalNorm } from 'gradclip';
 * const [clipped, norm] = clipByGlobalNorm([tf.tensor([3, 0]), tf.tensor([4])], 1);
 * norm.print();       //=> 5
 * clipped[0].print(); //=> [0.6, 0]
 * ```
 */
export function clipByGlobalNorm<G extends Grads>(
  tensors: G,
  clipNorm: number | tf.Scalar,
  useNorm?: number | tf.Scalar | null,
): [SameForm<G>, tf.Scalar] {
  const flat = flattenGrads(tensors, 'tensors');
  checkThreshold('clipNorm', clipNorm, true);
  if (useNorm != null && typeof useNorm !== 'number' && !(useNorm instanceof tf.Tensor && useNorm.rank === 0)) {
    checkThreshold('useNorm', useNorm, true);
  }
  const result = tf.tidy(() => {
    const n = useNorm == null ? globalNorm(flat.list) : typeof useNorm === 'number' ? tf.scalar(useNorm) : useNorm.clone();
    const c = typeof clipNorm === 'number' ? tf.scalar(clipNorm) : clipNorm;
    // 1/n may be NaN: it goes first, since tfjs-wasm's minimum only propagates NaN from its first input.
    const rn = ieeeBackend() ? tf.reciprocal(n) : tf.reciprocal(tf.where(tf.greater(n, 0), n, c));
    const scaleForFinite = tf.mul(c, minimumKeepNaN(rn, tf.reciprocal(c)));
    const scale = tf.add(scaleForFinite, tf.sub(n, n));
    // One fused kernel for all tensors on cpu/wasm (bit-identical to tf.mul), tf.mul elsewhere.
    const out = scalePresent(flat.list, scale as tf.Scalar);
    return { out: out as tf.Tensor[], n: n as tf.Scalar };
  });
  return [flat.rebuild(result.out) as SameForm<G>, result.n];
}
