/**
 * The transform stage of the optimizer wrapper's step: runs a gradient transformation
 * (`transforms.*`) on one step's gradients, with the variables as `params` and the loss when known,
 * and returns the new gradients, the skip flag and the next state. The wrapper keeps the state.
 */
import * as tf from '@tensorflow/tfjs';
import { flattenGrads, type FlatGrads, type MaybeTensor, type NamedTensor } from '../core/grad-forms.js';
import type { GradientTransformation } from '../transforms/types.js';
import type { FoldedClip } from './fused-update.js';

/** What {@link runTransform} returns. */
export interface TransformStepResult {
  /** The transformed gradients, flat (same length, order and holes as the input). */
  grads: MaybeTensor[];
  /** The tensors of `grads` (all new, owned by the caller, who disposes them after the update). */
  own: tf.Tensor[];
  /** The transform asked to skip this step. */
  skip: boolean;
  /** The transform's next state (plain data). */
  state: unknown;
  /**
   * From {@link runScaleTransform}: the per-entry factors left to the fused update (then `grads`
   * are the inputs and `own` is empty), or null when every factor is 1.
   */
  fold?: FoldedClip | null;
}

/**
 * Runs `transform.update` on `grads` (handed over in the caller's form) inside one `tf.tidy`, so
 * that only the returned gradients survive. `state` is the transform's current state (from
 * `transform.init(params)` on the first step); `params` pairs each gradient name with its variable.
 *
 * `fold`: when the wrapper can fold a scaling into its fused update and the transform has
 * `scaleFactors` (a per-tensor scaling such as `adaGC`), its step is computed as one float32 factor
 * per entry instead: no gradient tensor is made, `grads` come back as they are, and the factors as
 * `fold` for `applyUpdate` (which scales the usual way if the fused update declines).
 *
 * @example
 * ```ts
 * const g = flattenGrads({ w: tf.tensor1d([3, 4]) });
 * const t = transforms.clipByGlobalNorm(1);
 * const r = runTransform(t, t.init(), g, [], null);
 * r.grads[0]!.dataSync(); //=> Float32Array [0.6, 0.8]
 * tf.dispose(r.own);
 * ```
 */
export function runTransform(
  transform: GradientTransformation<unknown>,
  state: unknown,
  grads: FlatGrads,
  params: readonly NamedTensor[],
  loss: tf.Scalar | null,
  fold = false,
): TransformStepResult {
  const input = grads.rebuild(grads.list) as tf.NamedTensorMap | NamedTensor[];
  const extra = loss == null ? undefined : { loss };
  if (fold && transform.scaleFactors != null) return scaleStep(transform, state, grads, input, params, extra);
  let next: unknown = state;
  let skip = false;
  // The list itself is the tidy's result (no wrapper object for tfjs to walk): holes are skipped.
  const list = tf.tidy(() => {
    const u = transform.update(input, state, params as NamedTensor[], extra);
    next = u.state;
    skip = u.skip === true;
    return flattenGrads(u.grads as tf.NamedTensorMap | NamedTensor[]).list as tf.Tensor[];
  }) as MaybeTensor[];
  const own: tf.Tensor[] = [];
  for (const g of list) if (g != null) own.push(g);
  return { grads: list, own, skip, state: next };
}

/** The `scaleFactors` step of {@link runTransform} (`fold`). */
function scaleStep(
  transform: GradientTransformation<unknown>,
  state: unknown,
  grads: FlatGrads,
  input: tf.NamedTensorMap | NamedTensor[],
  params: readonly NamedTensor[],
  extra: { loss: tf.Scalar } | undefined,
): TransformStepResult {
  const scaleFactors = transform.scaleFactors as NonNullable<GradientTransformation<unknown>['scaleFactors']>;
  let r: ReturnType<typeof scaleFactors> = { factors: new Float32Array(0), state };
  tf.tidy(() => {
    r = scaleFactors.call(transform, input, state, params as NamedTensor[], extra);
  });
  const changes = r.factors.some((x) => x !== 1);
  return { grads: grads.list, own: [], skip: false, state: r.state, fold: changes ? { scales: r.factors, clampValue: null } : null };
}
