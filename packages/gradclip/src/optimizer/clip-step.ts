/**
 * The clipping stage of the optimizer wrapper's step: whether the wrapper may clip in place, the
 * Keras 3 clip with its packed measurements (`kerasClipGradientsPacked`), and the per-variable
 * norms the statistics ask for. When nothing clips and nothing needs the measurements, it does no
 * work at all: the gradients pass through as they are.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaybeTensor } from '../core/grad-forms.js';
import { kerasClipGradientsForStep, kerasClipGradientsPacked, packedSumsOfSquares, type KerasClipOptions } from '../core/keras-clip-gradients.js';
import { fusedClampValue, fusedScaleBy, inPlaceEnabled } from '../core/fast/fast-path.js';
import type { FoldedClip } from './fused-update.js';
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
  /**
   * Measure only, and leave the clip to the fused update (issue 15): the result's `fold` says what
   * the update must apply, `grads` are the inputs. Only where the fused update can take it (see
   * `foldableInto`); a value clip only without statistics (its post-clip norm is not measured then).
   */
  fold?: boolean;
}

/** What {@link clipStep} returns; the caller owns every tensor in it except the input gradients. */
export interface ClipStepResult {
  /** The gradients to apply: same length, order and holes as the input; unchanged ones are the input tensors. */
  grads: MaybeTensor[];
  /** The tensors of `grads` that the clip made (copies of the input; disposed by the caller after the update). */
  copies: tf.Tensor[];
  /**
   * `[globalNorm, clippedNorm, clipped, nonFiniteLo, nonFiniteHi, Σ x_0², …]`, or null when nothing
   * was measured (neither `measure` nor `gradNorms` asked, on a backend without the fused kernels).
   */
  packed: tf.Tensor1D | null;
  /** Per present gradient, its L2 norm before clipping (when asked). */
  gradNorms: tf.Tensor1D | null;
  /** Per present gradient, its variable's L2 norm (NaN where unknown; when asked). */
  weightNorms: tf.Tensor1D | null;
  /** With `fold`: the clip left to the update (scales per entry, or a value bound); null when there is none to apply. */
  fold: FoldedClip | null;
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
  if (!clips(options) && !o.measure) return { grads: list, copies: [], packed: null, gradNorms: null, weightNorms: null, fold: null };
  const fold = o.fold === true && clips(options);
  // Without measurements (no statistics, `nonFinite: 'propagate'`, no gate) only the clipped
  // gradients are computed where that is cheaper (webgl: fused WebGL programs; other composition
  // backends: no measuring ops); cpu/wasm measure in the same fused kernel anyway.
  const measure = fold || o.measure || o.gradNorms;
  const r = measure
    ? kerasClipGradientsPacked(list, options, fold ? false : o.inPlace, fold)
    : { ...kerasClipGradientsForStep(list, options, o.inPlace, false), fold: null };
  const copies = r.grads.filter((g, i) => g != null && g !== list[i]) as tf.Tensor[];
  const vars = o.weightNormsOf;
  const packed = r.packed;
  const gradNorms = o.gradNorms && packed != null ? tf.tidy(() => tf.sqrt(packedSumsOfSquares(packed)) as tf.Tensor1D) : null;
  const weightNorms =
    vars != null ? tf.tidy(() => tf.sqrt(stackScalars(vars.map((v) => (v == null ? tf.scalar(NaN) : sumOfSquares(v))))) as tf.Tensor1D) : null;
  return { grads: r.grads, copies, packed: r.packed, gradNorms, weightNorms, fold: r.fold };
}

/**
 * Applies a folded clip the usual way, for when the fused update could not take it after all (the
 * first step of an optimizer with slots, a shape it does not fuse): new tensors `g * scale_i` or
 * `min(max(g, -c), c)`, made by the same kernels as an unfolded clip (same bits). Holes stay
 * holes, entries with scale 1 stay the input tensors; `copies` are the new tensors (the caller
 * disposes them).
 */
export function applyFoldedClip(list: readonly MaybeTensor[], fold: FoldedClip): { grads: MaybeTensor[]; copies: tf.Tensor[] } {
  const grads = [...list];
  const copies: tf.Tensor[] = [];
  const idx: number[] = [];
  for (let i = 0; i < list.length; ++i) if (list[i] != null && (fold.clampValue != null || (fold.scales?.[i] ?? 1) !== 1)) idx.push(i);
  const xs = idx.map((i) => list[i] as tf.Tensor);
  const made =
    fold.clampValue != null
      ? (fusedClampValue(xs, fold.clampValue) ?? xs.map((x) => tf.clipByValue(x, -(fold.clampValue as number), fold.clampValue as number)))
      : (fusedScaleBy(
          xs,
          idx.map((i) => (fold.scales as ArrayLike<number>)[i]),
        ) ?? xs.map((x, k) => tf.mul(x, tf.scalar((fold.scales as ArrayLike<number>)[idx[k]]))));
  idx.forEach((i, k) => {
    grads[i] = made[k];
    copies.push(made[k]);
  });
  return { grads, copies };
}

/** 1-D tensor of scalars (empty for none). */
export function stackScalars(xs: tf.Scalar[]): tf.Tensor1D {
  return (xs.length === 0 ? tf.zeros([0]) : tf.stack(xs)) as tf.Tensor1D;
}
