/**
 * The clipping stage of the optimizer wrapper's step: whether the wrapper may clip in place, the
 * Keras 3 clip with its packed measurements (`kerasClipGradientsPacked`), and the per-variable
 * norms the statistics ask for. When nothing clips and nothing needs the measurements, it does no
 * work at all: the gradients pass through as they are.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaybeTensor } from '../core/grad-forms.js';
import { kerasClipGradientsPacked, packedSumsOfSquares, type KerasClipOptions } from '../core/keras-clip-gradients.js';
import { inPlaceEnabled } from '../core/fast/fast-path.js';
import { sumOfSquares } from '../core/sum-of-squares.js';

/** What {@link clipStep} measures besides clipping. */
export interface ClipStepOptions {
  /**
   * `false`, or the variable each entry of the list is the gradient of (null where unknown): the
   * gradients are the wrapper's own temporaries and may be clipped in place (see {@link inPlaceTargets}).
   */
  inPlace: false | readonly (tf.Variable | null)[];
  /** Measure (the packed statistics) even when no clipping option is set. */
  measure: boolean;
  /** Per-variable gradient norms, from the packed Σx² terms (needs `measure` or a clipping option). */
  gradNorms: boolean;
  /** The variables of the present gradients, in order, for their weight norms; null for none. */
  weightNormsOf: readonly (tf.Variable | null)[] | null;
}

/** What {@link clipStep} returns; the caller owns every tensor in it except the input gradients. */
export interface ClipStepResult {
  /** The gradients to apply: same length, order and holes as the input; unchanged ones are the input tensors. */
  grads: MaybeTensor[];
  /** The tensors of `grads` that the clip made (copies of the input; disposed by the caller after the update). */
  copies: tf.Tensor[];
  /** `[globalNorm, clippedNorm, clipped, nonFiniteLo, nonFiniteHi, Σ x_0², …]`, or null when nothing was measured. */
  packed: tf.Tensor1D | null;
  /** Per present gradient, its L2 norm before clipping (when asked). */
  gradNorms: tf.Tensor1D | null;
  /** Per present gradient, its variable's L2 norm (NaN where unknown; when asked). */
  weightNorms: tf.Tensor1D | null;
}

/** True when the options clip (`clipnorm`, `clipvalue` or `globalClipnorm` is set). */
export function clips(options: KerasClipOptions): boolean {
  return options.clipnorm != null || options.clipvalue != null || options.globalClipnorm != null;
}

/**
 * The in-place targets of {@link ClipStepOptions.inPlace}: the variable of each gradient name when
 * the gradients are the wrapper's own temporaries (`own`: made by its `minimize`, not needed after
 * the clip) and in-place clipping is on (`setInPlaceEnabled`), else `false`.
 *
 * @example
 * ```ts
 * inPlaceTargets(false, ['dense/kernel'], () => null); //=> false
 * ```
 */
export function inPlaceTargets(own: boolean, names: readonly string[], variableOf: (name: string) => tf.Variable | null): false | (tf.Variable | null)[] {
  return own && inPlaceEnabled() ? names.map(variableOf) : false;
}

/**
 * Clips a flat gradient list with Keras 3 semantics and measures it. Skips everything (returns the
 * list as it is, nothing measured) when `options` does not clip and `measure` is false.
 *
 * @example
 * ```ts
 * const g = [tf.tensor1d([3, 4]), null];
 * const r = clipStep(g, { globalClipnorm: 1 }, { inPlace: false, measure: true, gradNorms: true, weightNormsOf: null });
 * r.grads[0]!.dataSync(); //=> Float32Array [0.6, 0.8]
 * r.gradNorms!.dataSync(); //=> Float32Array [5]
 * tf.dispose([...r.copies, r.packed!, r.gradNorms!, g[0]!]);
 * ```
 */
export function clipStep(list: MaybeTensor[], options: KerasClipOptions, o: ClipStepOptions): ClipStepResult {
  if (!clips(options) && !o.measure) return { grads: list, copies: [], packed: null, gradNorms: null, weightNorms: null };
  const r = kerasClipGradientsPacked(list, options, o.inPlace);
  const copies = r.grads.filter((g, i) => g != null && g !== list[i]) as tf.Tensor[];
  const vars = o.weightNormsOf;
  const gradNorms = o.gradNorms ? tf.tidy(() => tf.sqrt(packedSumsOfSquares(r.packed)) as tf.Tensor1D) : null;
  const weightNorms =
    vars != null ? tf.tidy(() => tf.sqrt(stackScalars(vars.map((v) => (v == null ? tf.scalar(NaN) : sumOfSquares(v))))) as tf.Tensor1D) : null;
  return { grads: r.grads, copies, packed: r.packed, gradNorms, weightNorms };
}

/** 1-D tensor of scalars (empty for none). */
export function stackScalars(xs: tf.Scalar[]): tf.Tensor1D {
  return (xs.length === 0 ? tf.zeros([0]) : tf.stack(xs)) as tf.Tensor1D;
}
