/** optax `per_example_global_norm_clip(grads, l2_norm_clip)` (DP-SGD clipping). */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { ieeeDiv, l2Norm, minimumKeepNaN, nanMask } from '../core/exact-ops.js';
import { isFloat16Backend } from '../core/float16.js';
import { flattenGrads, present, type Grads, type SameForm } from '../core/grad-forms.js';
import { checkNonNegativeOrInf } from './validate.js';

/**
 * Clips each example's gradient to a global L2 norm of at most `l2NormClip` and sums over the
 * batch, as optax's `per_example_global_norm_clip` (Abadi et al. 2016):
 *
 * ```
 * norms[b]     = sqrt(Σ_leaves Σ g[b]²)                 // one global norm per example
 * m[b]         = nan_to_num(minimum(l2NormClip / norms[b], 1), nan=1)
 * numClipped   = count(m < 1)                          // strict: a norm equal to the clip is not counted
 * clippedSum   = Σ_b m[b] · g[b]                       // the sum, not the mean
 * ```
 *
 * A zero-norm example keeps multiplier 1 (`c/0 = inf`, and `0/0 = NaN` → 1).
 * This is a function, not a transform (its output drops the batch axis). No host reads.
 *
 * NaN/Inf policy (optax): a NaN in an example makes its norm NaN, hence its multiplier 1, so the
 * NaN reaches the sum; an `inf` gives multiplier 0 (finite entries ±0, the `inf` entry NaN).
 *
 * @param grads Per-example gradients, each with the batch on axis 0 (any form; holes skipped).
 * @param l2NormClip The maximum per-example norm, a number >= 0 (`Infinity` allowed).
 * @returns `[clippedSum, numClipped]`: the summed gradients (same form, batch axis removed) and an
 *   int32 scalar; the caller disposes both.
 * @throws ValueError when the leaves do not share a batch size on axis 0, or for a negative
 *   `l2NormClip`.
 *
 * References: Abadi et al., "Deep Learning with Differential Privacy", 2016,
 * https://arxiv.org/abs/1607.00133 ; optax `per_example_global_norm_clip` (optax/transforms/_clipping.py).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const [sum, n] = transforms.perExampleGlobalNormClip([tf.tensor([[0, 0], [3, 4]])], 1);
 * sum[0]!.print(); //=> [0.6, 0.8]
 * n.print();       //=> 1
 * ```
 */
export function perExampleGlobalNormClip<G extends Grads>(grads: G, l2NormClip: number): [SameForm<G>, tf.Scalar] {
  checkNonNegativeOrInf('l2NormClip', l2NormClip);
  const flat = flattenGrads(grads);
  const xs = present(flat.list);
  if (xs.length === 0) throw new ValueError('`grads` must hold at least one tensor in perExampleGlobalNormClip. Received: no tensors');
  const batch = xs[0].rank >= 1 ? xs[0].shape[0] : -1;
  if (xs.some((x) => x.rank < 1 || x.shape[0] !== batch)) {
    throw new ValueError(
      `Unlike other transforms, \`perExampleGlobalNormClip\` expects \`grads\` to have a batch dimension on axis 0 (the same for all). ` +
        `Received: shapes=${JSON.stringify(xs.map((x) => x.shape))}`,
    );
  }
  const result = tf.tidy(() => {
    let norms: tf.Tensor;
    if (isFloat16Backend()) {
      // Per-example norms computed scaled (Σx² overflows float16 above a norm of 256), then combined the same way.
      const per = xs.map((x) => l2Norm(tf.reshape(x.toFloat(), [batch, -1]), [1]));
      norms = per.length === 1 ? per[0] : l2Norm(tf.stack(per), [0]);
    } else {
      const sums = xs.map((x) => {
        const sq = tf.square(x.toFloat());
        return x.rank === 1 ? sq : tf.sum(sq, x.shape.map((_, i) => i).slice(1));
      });
      norms = tf.sqrt(sums.length === 1 ? sums[0] : tf.addN(sums));
    }
    // The possibly-NaN ratio is minimum's first operand (tfjs-wasm propagates NaN only from there).
    // clip/0 and Inf/Inf are IEEE on every backend; NaN (including an Infinity clip that float16
    // stores as NaN) means "not clipped".
    const m0 = minimumKeepNaN(ieeeDiv(tf.scalar(l2NormClip), norms), 1);
    const m = tf.where(nanMask(m0), tf.onesLike(m0), m0);
    const numClipped = tf.sum(tf.cast(tf.less(m, 1), 'int32')) as tf.Scalar;
    const out = flat.list.map((g) => {
      if (g == null) return g;
      const mb = tf.reshape(m, [batch, ...g.shape.slice(1).map(() => 1)]);
      return tf.sum(tf.mul(mb, g.toFloat()), 0);
    });
    return { out: out as tf.Tensor[], numClipped };
  });
  return [flat.rebuild(result.out) as SameForm<G>, result.numClipped];
}
