/**
 * The update stage of the optimizer wrapper's step: the inner optimizer's update (fused where
 * that is exact, see fused-update.ts, else the inner `applyGradients`), decoupled weight decay
 * before it, and the update-to-weight ratios the statistics ask for.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, isFiniteNumber, received } from '../errors.js';
import type { FlatGrads, MaybeTensor } from '../core/grad-forms.js';
import { sumOfSquares } from '../core/sum-of-squares.js';
import { applyFusedUpdate, type FoldedClip } from './fused-update.js';
import { applyFoldedClip, stackScalars } from './clip-step.js';

/**
 * A step's weight-decay factor `1 − lr·wd` as a float32 value (1 without weight decay).
 *
 * @throws ValueError when `weightDecay` > 0 and `learningRate` is not a finite number, naming both.
 * @example
 * ```ts
 * weightDecayFactor(0.1, 0.01); //=> Math.fround(0.999)
 * weightDecayFactor(0, undefined); //=> 1
 * ```
 */
export function weightDecayFactor(weightDecay: number, learningRate: unknown): number {
  if (weightDecay === 0) return 1;
  if (!isFiniteNumber(learningRate)) {
    throw new ValueError(
      `\`weightDecay\` needs a finite learning rate; the inner optimizer's \`learningRate\` is not one. ${received({ weightDecay, learningRate })}`,
    );
  }
  return Math.fround(1 - learningRate * weightDecay);
}

/**
 * Applies `grads` (aligned with `flat`'s names and holes) with the inner optimizer: in one fused
 * pass per variable when `applyFusedUpdate` can (gradients keyed by variable name only; a folded
 * clip `fold` is then applied as the update reads each gradient), else the folded clip first, then
 * weight decay `w ← w · decay` on every float32 variable that has a gradient, then the inner
 * `applyGradients` in the caller's form. Either way the results are the same bits.
 *
 * @example
 * ```ts
 * const v = tf.variable(tf.tensor1d([1, 2]), true, 'w');
 * const flat = flattenGrads({ w: tf.tensor1d([1, 1]) });
 * applyUpdate(tf.train.sgd(0.5), flat, flat.list, 1, lookup);
 * v.dataSync(); //=> Float32Array [0.5, 1.5]
 * ```
 */
export function applyUpdate(
  inner: tf.Optimizer,
  flat: FlatGrads,
  grads: MaybeTensor[],
  decay: number,
  variableOf: (name: string) => tf.Variable | null,
  fold: FoldedClip | null = null,
): void {
  const named = flat.form === 'named' || flat.form === 'map';
  if (named && applyFusedUpdate(inner, flat.names, grads, decay, fold)) return;
  // A clip left to the fused update that it could not take: apply it here (same kernels, same bits).
  const clipped = fold != null ? applyFoldedClip(grads, fold) : null;
  try {
    if (decay !== 1) decayWeights(flat.names, grads, decay, variableOf);
    inner.applyGradients(flat.rebuild(clipped?.grads ?? grads));
  } finally {
    if (clipped != null) tf.dispose(clipped.copies);
  }
}

/**
 * Decoupled weight decay before the inner optimizer's own step: `w ← w · decay` (one float32
 * multiply, as the fused update does) for every float32 variable that has a gradient.
 */
export function decayWeights(names: readonly string[], grads: readonly MaybeTensor[], decay: number, variableOf: (name: string) => tf.Variable | null): void {
  tf.tidy(() => {
    const d = tf.scalar(decay, 'float32');
    for (let i = 0; i < names.length; ++i) {
      if (grads[i] == null) continue;
      const v = variableOf(names[i]);
      if (v != null && v.dtype === 'float32') v.assign(tf.mul(v, d));
    }
  });
}

/**
 * Copies of the variables' values before an update, for {@link updateRatios} (the old values share
 * their data with the variables until `assign` swaps it out: no copy is made). Null stays null.
 */
export function snapshotWeights(variables: readonly (tf.Variable | null)[]): (tf.Tensor | null)[] {
  return variables.map((v) => (v == null ? null : (tf.clone(v) as tf.Tensor)));
}

/**
 * Per variable, `‖w − before‖ / weightNorm` (NaN for an unknown variable), as a 1-D tensor; all
 * zeros when `before` is null (a skipped step). Disposes nothing.
 *
 * @example
 * ```ts
 * const v = tf.variable(tf.tensor1d([3, 4]));
 * const before = snapshotWeights([v]);
 * v.assign(tf.tensor1d([3, 4.5]));
 * updateRatios([v], before, tf.tensor1d([5])).dataSync(); //=> Float32Array [0.1]
 * ```
 */
export function updateRatios(variables: readonly (tf.Variable | null)[], before: readonly (tf.Tensor | null)[] | null, weightNorms: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    if (before == null) return tf.zeros([variables.length]) as tf.Tensor1D;
    const diffs = variables.map((v, i) => (v == null ? tf.scalar(NaN) : tf.sqrt(sumOfSquares(tf.sub(v, before[i] as tf.Tensor)))));
    return tf.div(stackScalars(diffs as tf.Scalar[]), weightNorms) as tf.Tensor1D;
  });
}
