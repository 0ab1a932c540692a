/**
 * The transform interface, in the style of optax's `GradientTransformation`: a pair of pure
 * functions `{ init, update }` whose state is passed in and returned, never kept inside.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Grads, SameForm } from '../core/grad-forms.js';

/**
 * Extra per-step inputs some transforms need. Transforms that do not use a field ignore it, and
 * {@link chain} and `applyIfFinite` pass it on unchanged.
 */
export interface UpdateExtra {
  /**
   * The loss of this step (a number or a scalar tensor, which is read on the host and not
   * disposed). `skipOnSpike` requires it.
   */
  loss?: number | tf.Scalar;
}

/** What {@link GradientTransformation.scaleFactors} returns. */
export interface ScaleFactorsResult<S> {
  /** One float32 factor per entry of the flattened gradients (1 for a hole). */
  factors: Float32Array;
  /** The next state, as {@link UpdateResult.state}. */
  state: S;
}

/** What {@link GradientTransformation.update} returns. */
export interface UpdateResult<G, S> {
  /**
   * The transformed gradients, in the form of the input (array with holes, `NamedTensorMap`,
   * `NamedTensor[]` or a single tensor), same length, order and holes. Every tensor is **new and
   * owned by the caller**, who disposes it (even a transform that changes nothing returns clones).
   */
  grads: G;
  /**
   * The next state: plain JSON-able data (never tensors). The input state is not mutated; the
   * same object may be returned when nothing changed (stateless transforms return `{}`).
   */
  state: S;
  /**
   * `true` when the transform asks for this step to be skipped: the optimizer must not be called
   * at all (weights, slots and `iterations` stay as they were). `grads` are then zeros (as optax
   * `apply_if_finite` returns), so a caller that ignores the flag applies a zero update.
   * Absent or `false`: apply `grads`.
   */
  skip?: boolean;
}

/**
 * A gradient transformation: `init(params)` builds the first state, `update(grads, state, params,
 * extra)` returns `{ grads, state, skip }`.
 *
 * Contract (every built-in transform follows it, and {@link chain} relies on it):
 * - **Pure.** No hidden state: the same `(grads, state, params, extra)` gives the same result. The
 *   input state object is never mutated; a new one is returned when anything changed.
 * - **State is plain data** (numbers, booleans, strings, `null`, arrays and plain objects), so it
 *   can be saved with `serializeState` (which also keeps `NaN`/`±Infinity`) and restored with
 *   `deserializeState`. States hold no tensors, so there is nothing to dispose.
 * - **Tensor ownership.** `update` never disposes or modifies its inputs (`grads`, `params`,
 *   `extra.loss`). Every tensor in the returned `grads` is new; the caller disposes it.
 * - **Forms.** `grads` and `params` take any form the core functions accept; `params` is matched to
 *   `grads` by name when both have names, else by position.
 * - **Host reads.** Transforms that need a host decision read scalars (`dataSync`); each one says
 *   so in its documentation. The others run entirely on the device.
 *
 * @typeParam S The state type.
 */
export interface GradientTransformation<S = unknown> {
  /**
   * The initial state.
   * @param params The current parameter values (any gradient form), or nothing when the transform
   *   does not need them.
   */
  init(params?: Grads | null): S;
  /**
   * Transforms one step's gradients.
   * @param grads The gradients (any form; not disposed).
   * @param state The state returned by `init` or by the previous `update` (not mutated).
   * @param params The current parameter values (required by `adaptiveGradClip`).
   * @param extra Extra inputs such as the loss (required by `skipOnSpike`).
   */
  update<G extends Grads>(grads: G, state: S, params?: Grads | null, extra?: UpdateExtra): UpdateResult<SameForm<G>, S>;
  /**
   * Optional, for transforms whose step only multiplies each gradient tensor by a number (such as
   * `adaGC`): the same step as {@link update}, described without making tensors — one float32
   * factor per entry of the flattened gradients (1 for holes and unscaled entries) and the next
   * state. The optimizer wrapper then folds the factors into its fused optimizer update (cpu/wasm,
   * tfjs's seven optimizers) instead of writing scaled gradients; the result must be exactly what
   * `update` would return, bit for bit (`g * factor` in float32).
   */
  scaleFactors?(grads: Grads, state: S, params?: Grads | null, extra?: UpdateExtra): ScaleFactorsResult<S>;
}

/** The state type of a transform. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never;
