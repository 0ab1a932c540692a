/**
 * Keras 3's optimizer clipping (`clipnorm`, `clipvalue`, `global_clipnorm`) as one pure step that
 * also returns what it measured. Used by the optimizer wrapper; knows nothing about training.
 */
import * as tf from '@tensorflow/tfjs';
import { present, type MaybeTensor } from './grad-forms.js';
import { sumsOfSquares, totalSumOfSquares } from './sum-of-squares.js';
import { clampPresent, fusedKerasClip, scalePresent, type FusedKerasClip } from './fast/fast-path.js';
import { NON_FINITE_SPLIT, PACKED, PACKED_STATS_HEADER } from './fast/fused-kernels.js';
import { countNonFinite, globalL2Norm, ieeeDiv, joinCount, l2Norm, maximumKeepNaN, splitCount } from './exact-ops.js';
import { isFloat16Backend } from './float16.js';
import { webglKerasClip } from './webgl/keras-clip-webgl.js';

/** Keras 3 clipping options; at most one is set (validated by the caller). */
export interface KerasClipOptions {
  /** Clip each gradient to this L2 norm (per variable, Keras 3 `clipnorm`). */
  clipnorm?: number | null;
  /** Clamp every entry to [-clipvalue, clipvalue] (Keras `clipvalue`). */
  clipvalue?: number | null;
  /** Scale all gradients together to this global L2 norm (Keras `global_clipnorm`). */
  globalClipnorm?: number | null;
}

/** What one clipping step measured, as scalar tensors (nothing is read on the host). */
export interface ClipMeasurements {
  /** Global L2 norm of the present gradients before clipping. */
  globalNorm: tf.Scalar;
  /** Global L2 norm after clipping. */
  clippedNorm: tf.Scalar;
  /** True (bool scalar) when clipping changed at least one gradient. */
  clipped: tf.Scalar;
  /** Number (int32 scalar) of NaN or ±inf entries in the gradients before clipping. */
  nonFiniteCount: tf.Scalar;
  /**
   * `sum(g*g)` of each present gradient before clipping, as a [n] vector in the order of the present
   * gradients (the terms of `globalNorm`, returned so that per-variable norms cost no second pass).
   */
  sumsOfSquares: tf.Tensor1D;
}

/**
 * Applies Keras 3 clipping to a flat gradient list (holes kept) and measures the step.
 *
 * Arithmetic: the scale is computed first and then multiplied in, `g * (c / max(n, c))`, so that
 * when nothing is clipped the scale is exactly `c/c = 1` and the gradients are bit-identical to
 * the input (Keras computes `(g*c)/max(n,c)`, which can move the last bit). The NaN/Inf policy is
 * Keras's: per-variable `clipnorm` turns a slice with an inf entry into ±0/NaN and a NaN slice into
 * NaN; `globalClipnorm` turns every gradient into NaN when the global norm is not finite;
 * `clipvalue` keeps NaN and clamps ±inf.
 *
 * On the cpu and wasm backends the step runs on gradclip's fused kernels (see `fusedKerasClip`):
 * then a gradient that clipping leaves unchanged is returned as the input tensor itself, not a
 * copy. Must be called inside `tf.tidy` (the caller keeps what it needs).
 *
 * `inPlace` (internal, for the optimizer wrapper's own temporaries): false, or the variable each
 * entry of `list` is the gradient of (null where unknown). Then, on the fast path, gradients that
 * pass `inPlaceBlockers` are overwritten with their clipped values instead of copied (same bits)
 * and returned as themselves; the rest are copied as usual. Ignored on the composition.
 */
export function kerasClipGradients(
  list: MaybeTensor[],
  options: KerasClipOptions,
  inPlace: false | readonly (tf.Variable | null)[] = false,
): { grads: MaybeTensor[] } & ClipMeasurements {
  const fused = fusedClip(list, options, inPlace);
  if (fused != null) {
    const p = fused.packed;
    return {
      grads: fused.grads,
      globalNorm: packedStat(p, 'globalNorm'),
      clippedNorm: packedStat(p, 'clippedNorm'),
      clipped: packedStat(p, 'clipped'),
      nonFiniteCount: packedStat(p, 'nonFiniteCount'),
      sumsOfSquares: packedSumsOfSquares(p),
    };
  }
  return composedClip(list, options);
}

/**
 * {@link kerasClipGradients} with every measurement packed into one float32 vector (what the
 * fused kernel writes; the composition packs its tensors the same way): `[globalNorm,
 * clippedNorm, clipped (0/1), nonFiniteLo, nonFiniteHi, Σ x_0², …]` with the non-finite count
 * `lo + hi * 2^24`. Read single measurements back with {@link packedStat} and
 * {@link packedSumsOfSquares}. For the optimizer wrapper: one tensor to keep per step instead of
 * five. Makes no tensor besides those it returns (no `tf.tidy` needed around it).
 */
export function kerasClipGradientsPacked(
  list: MaybeTensor[],
  options: KerasClipOptions,
  inPlace: false | readonly (tf.Variable | null)[] = false,
  fold = false,
): { grads: MaybeTensor[]; packed: tf.Tensor1D; fold: FusedKerasClip['fold'] } {
  const fused = fusedClip(list, options, inPlace, fold);
  if (fused != null) return fused; // the kernel's own outputs only: nothing to tidy
  type Packed = { grads: MaybeTensor[]; packed: tf.Tensor1D };
  return { ...(tf.tidy(() => packComposed(list, options) as unknown as tf.TensorContainer) as unknown as Packed), fold: null };
}

/**
 * The optimizer wrapper's clip: {@link kerasClipGradientsPacked} when `measure` (or on cpu/wasm,
 * whose fused kernel measures anyway), else the clipped gradients alone (`packed` null): on
 * `webgl` the fused WebGL programs (core/webgl/keras-clip-webgl.ts; the same results as the
 * composition), elsewhere the composition's clipping without its measurements (the same tensors'
 * bits as {@link kerasClipGradients}'s gradients). Makes no tensor besides those it returns.
 */
export function kerasClipGradientsForStep(
  list: MaybeTensor[],
  options: KerasClipOptions,
  inPlace: false | readonly (tf.Variable | null)[],
  measure: boolean,
): { grads: MaybeTensor[]; packed: tf.Tensor1D | null } {
  const fused = fusedClip(list, options, inPlace);
  if (fused != null) return fused;
  if (measure) return kerasClipGradientsPacked(list, options, inPlace);
  const grads = tf.tidy(() => (webglClip(list, options) ?? composedGrads(list, options)) as unknown as tf.TensorContainer) as unknown as MaybeTensor[];
  return { grads, packed: null };
}

function webglClip(list: MaybeTensor[], options: KerasClipOptions): MaybeTensor[] | null {
  if (options.clipnorm != null) return webglKerasClip(list, 'clipnorm', options.clipnorm);
  if (options.globalClipnorm != null) return webglKerasClip(list, 'global', options.globalClipnorm);
  if (options.clipvalue != null) return webglKerasClip(list, 'clipvalue', options.clipvalue);
  return null;
}

/** The composition's clipped gradients alone (what {@link composedClip} returns as `grads`, nothing measured). */
function composedGrads(list: MaybeTensor[], options: KerasClipOptions): MaybeTensor[] {
  if (options.clipvalue != null) return clampPresent(list, options.clipvalue);
  if (options.clipnorm == null && options.globalClipnorm == null) return list;
  const xs = present(list).map((g) => (g.dtype === 'float32' ? g : g.toFloat()));
  const f16 = isFloat16Backend();
  if (options.clipnorm != null) {
    const ss = f16 && xs.length > 0 ? null : sumsOfSquares(xs);
    return scalePresent(list, clipnormScale(xs, ss, options.clipnorm, f16).scale);
  }
  const globalNorm = (f16 ? globalL2Norm(xs) : tf.sqrt(tf.sum(sumsOfSquares(xs)))) as tf.Scalar;
  return scalePresent(list, globalScale(globalNorm, options.globalClipnorm as number));
}

/** Per-variable norms `n` (from the sums `ss`, or scaled per tensor on float16) and the scales `c / max(n, c)`. */
function clipnormScale(xs: tf.Tensor[], ss: tf.Tensor1D | null, clipnorm: number, f16: boolean): { n: tf.Tensor; scale: tf.Tensor1D } {
  // Per-variable norms, vectorised over the [n] sums (two-tap where, as tf.clip_by_norm).
  const c = tf.scalar(clipnorm);
  let n: tf.Tensor;
  if (f16 && xs.length > 0) n = tf.stack(xs.map((x) => l2Norm(x)));
  else {
    const s = ss as tf.Tensor1D;
    const pred = tf.greater(s, 0);
    n = tf.where(pred, tf.sqrt(tf.where(pred, s, tf.onesLike(s))), s);
  }
  const scale = ieeeDiv(c, maximumKeepNaN(n, c)) as tf.Tensor1D; // n first: NaN-propagating on wasm (and webgl, see exact-ops.ts)
  return { n, scale };
}

/** scale = c / max(n, c) + (n - n): exactly 1 when n <= c, NaN when n is inf or NaN. */
function globalScale(globalNorm: tf.Scalar, globalClipnorm: number): tf.Scalar {
  const c = tf.scalar(globalClipnorm);
  return tf.add(tf.div(c, tf.maximum(globalNorm, c)), tf.sub(globalNorm, globalNorm)) as tf.Scalar;
}

function packComposed(list: MaybeTensor[], options: KerasClipOptions): { grads: MaybeTensor[]; packed: tf.Tensor1D } {
  const r = composedClip(list, options);
  const one = (t: tf.Tensor): tf.Tensor1D => tf.reshape(tf.cast(t, 'float32'), [1]);
  // float16 textures cannot hold the split (2^24): there the count goes whole into the low slot.
  const [lo, hi] = splitCount(r.nonFiniteCount, NON_FINITE_SPLIT);
  const packed = tf.concat([one(r.globalNorm), one(r.clippedNorm), one(r.clipped), one(lo), one(hi), r.sumsOfSquares]) as tf.Tensor1D;
  return { grads: r.grads, packed };
}

/** One measurement of a packed stats vector (see {@link kerasClipGradientsPacked}) as a scalar of its usual dtype. */
export function packedStat(packed: tf.Tensor1D, name: 'globalNorm' | 'clippedNorm' | 'clipped' | 'nonFiniteCount'): tf.Scalar {
  return tf.tidy(() => {
    const at = (i: number): tf.Scalar => tf.reshape(tf.slice(packed, [i], [1]), []);
    if (name === 'nonFiniteCount') {
      const lo = tf.cast(at(PACKED.nonFiniteLo), 'int32');
      const hi = tf.cast(at(PACKED.nonFiniteHi), 'int32');
      return joinCount(lo as tf.Scalar, hi as tf.Scalar, NON_FINITE_SPLIT);
    }
    const v = at(PACKED[name]);
    return name === 'clipped' ? (tf.cast(v, 'bool') as tf.Scalar) : v;
  });
}

/** The `[Σ x_0², …]` part of a packed stats vector. */
export function packedSumsOfSquares(packed: tf.Tensor1D): tf.Tensor1D {
  return tf.slice(packed, [PACKED_STATS_HEADER], [packed.size - PACKED_STATS_HEADER]);
}

/** The measurements of a packed stats vector already read on the host. */
export function unpackStats(v: ArrayLike<number>): { globalNorm: number; clippedNorm: number; clipped: boolean; nonFiniteCount: number } {
  return {
    globalNorm: v[PACKED.globalNorm],
    clippedNorm: v[PACKED.clippedNorm],
    clipped: v[PACKED.clipped] !== 0,
    nonFiniteCount: v[PACKED.nonFiniteLo] + v[PACKED.nonFiniteHi] * NON_FINITE_SPLIT,
  };
}

/** cpu/wasm: one fused measuring kernel (+ one scale/clamp kernel only when it changes something). */
function fusedClip(list: MaybeTensor[], options: KerasClipOptions, inPlace: false | readonly (tf.Variable | null)[], fold = false): FusedKerasClip | null {
  return options.clipnorm != null
    ? fusedKerasClip(list, 'clipnorm', options.clipnorm, inPlace, fold)
    : options.globalClipnorm != null
      ? fusedKerasClip(list, 'global', options.globalClipnorm, inPlace, fold)
      : options.clipvalue != null
        ? fusedKerasClip(list, 'clipvalue', options.clipvalue, inPlace, fold)
        : fusedKerasClip(list, 'none', 0);
}

/** The tfjs composition (any backend, differentiable). */
function composedClip(list: MaybeTensor[], options: KerasClipOptions): { grads: MaybeTensor[] } & ClipMeasurements {
  const xs = present(list).map((g) => (g.dtype === 'float32' ? g : g.toFloat()));
  // One fused kernel on cpu/wasm: Σg² of every present gradient, as a [n] vector.
  const ss = sumsOfSquares(xs);
  // float16 textures: Σg² overflows once a norm passes 256, so the norms are computed scaled there.
  const f16 = isFloat16Backend();
  const globalNorm = (f16 ? globalL2Norm(xs) : tf.sqrt(tf.sum(ss))) as tf.Scalar;
  // Decided without isnan on webgl (see exact-ops.ts).
  const nonFiniteCount = countNonFinite(xs);
  const measured = { nonFiniteCount, sumsOfSquares: ss };
  const none = (): tf.Scalar => tf.scalar(false, 'bool') as tf.Scalar;

  if (options.clipnorm != null) {
    const c = tf.scalar(options.clipnorm);
    const { n, scale } = clipnormScale(xs, ss, options.clipnorm, f16);
    const grads = scalePresent(list, scale);
    const clipped = xs.length === 0 ? none() : (tf.any(tf.greater(n, c)) as tf.Scalar);
    const clippedNorm = (f16 ? l2Norm(tf.mul(n, scale)) : tf.sqrt(tf.sum(tf.mul(ss, tf.square(scale))))) as tf.Scalar;
    return { grads, globalNorm, clippedNorm, clipped, ...measured };
  }
  if (options.globalClipnorm != null) {
    const c = tf.scalar(options.globalClipnorm);
    const scale = globalScale(globalNorm, options.globalClipnorm);
    const grads = scalePresent(list, scale);
    return { grads, globalNorm, clippedNorm: tf.mul(globalNorm, scale) as tf.Scalar, clipped: tf.greater(globalNorm, c) as tf.Scalar, ...measured };
  }
  if (options.clipvalue != null) {
    const v = options.clipvalue;
    const grads = clampPresent(list, v);
    const out = present(grads);
    const clippedNorm = tf.sqrt(totalSumOfSquares(out)) as tf.Scalar;
    // Per element, so that a NaN entry does not hide a clamped one (NaN > v is false).
    const clipped = xs.length === 0 ? none() : (tf.any(tf.stack(xs.map((g) => tf.any(tf.greater(tf.abs(g), v))))) as tf.Scalar);
    return { grads, globalNorm, clippedNorm, clipped, ...measured };
  }
  return { grads: list, globalNorm, clippedNorm: globalNorm.clone(), clipped: none(), ...measured };
}
