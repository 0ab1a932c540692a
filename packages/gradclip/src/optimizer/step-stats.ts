/**
 * The optimizer wrapper's per-step statistics: their types, the packed form the wrapper keeps on
 * the device (one small float32 tensor per step, see `kerasClipGradientsPacked`), and reading them
 * into numbers. Knows nothing about optimizers; `ClippedOptimizer` builds {@link PackedStepStats}
 * and `StatsRecorder` keeps them.
 */
import * as tf from '@tensorflow/tfjs';
import { packedStat, unpackStats } from '../core/keras-clip-gradients.js';
import { totalSumOfSquares } from '../core/sum-of-squares.js';

/** Per-step statistics, kept as tensors on the device until someone reads them. */
export interface StepStatsTensors {
  /** Global L2 norm of the gradients before clipping. */
  readonly globalNorm: tf.Scalar;
  /** Global L2 norm of what was handed to the inner optimizer (0 when the step was skipped). */
  readonly clippedNorm: tf.Scalar;
  /** Bool scalar: clipping changed at least one gradient. */
  readonly clipped: tf.Scalar;
  /** Int32 scalar: number of NaN or ±inf entries in the gradients before clipping. */
  readonly nonFiniteCount: tf.Scalar;
  /** The step was skipped (`nonFinite: 'skip'` or a step gate). */
  readonly skipped: boolean;
  /** 1-based count of `applyGradients` calls on this wrapper when the stats were recorded. */
  readonly step: number;
  /** Names of the variables of the per-variable tensors below (present gradients, in order). */
  readonly variableNames: readonly string[];
  /** Per-variable L2 norms of the gradients before clipping (when `perVariable` stats are enabled). */
  readonly gradNorms: tf.Tensor1D | null;
  /** Per-variable L2 norms of the weights before the update (when `perVariable` stats are enabled). */
  readonly weightNorms: tf.Tensor1D | null;
  /** Per-variable `‖Δw‖ / ‖w‖` of this step's update (when `updateRatios` are enabled; 0 when skipped). */
  readonly updateRatios: tf.Tensor1D | null;
}

/** One variable's statistics in {@link StepStats}. */
export interface VariableStats {
  name: string;
  /** L2 norm of the gradient before clipping. */
  gradNorm: number;
  /** L2 norm of the weight before the update (NaN when `perVariable` stats are off). */
  weightNorm: number;
  /** `‖Δw‖ / ‖w‖` of the update (NaN when `updateRatios` are off; 0 when the step was skipped). */
  updateRatio: number;
}

/** {@link StepStatsTensors} read into numbers. */
export interface StepStats {
  globalNorm: number;
  clippedNorm: number;
  clipped: boolean;
  skipped: boolean;
  step: number;
  /** Number of NaN or ±inf gradient entries before clipping. */
  nonFiniteCount: number;
  /** Per-variable statistics, present when `perVariable` or `updateRatios` stats are enabled. */
  variables?: VariableStats[];
}

/**
 * What to record, on top of the base statistics (global norm before and after clipping, the clip
 * flag, the non-finite count, skipped). Any request records the base statistics; see
 * `ClippedOptimizer.enableStats`.
 */
export interface StatsOptions {
  /** Per-variable gradient and weight L2 norms (the gradient norms reuse the global norm's terms). */
  perVariable?: boolean;
  /** Per-variable update-to-weight ratios `‖Δw‖ / ‖w‖` (one extra pass over the weights). */
  updateRatios?: boolean;
  /** Keep the last step's gradients (before clipping) for histograms: `ClippedOptimizer.lastGradients`. */
  keepGradients?: boolean;
}

/** What a transform's gradients measured: their Σx² (a float32 scalar). */
export interface TransformMeasurement {
  readonly sumOfSquares: tf.Scalar;
}

/** A transform "clipped" when its gradients' norm is below the input's norm times this. */
export const TRANSFORM_CLIPPED_FACTOR = 1 - 1e-6;

/**
 * Measures a transform's output for the statistics: one fused Σx² over the gradients it returned
 * (the clipped norm and the clip flag are derived from it only when read).
 *
 * @example
 * ```ts
 * const m = measureTransformed([tf.tensor1d([3, 4])]);
 * m.sumOfSquares.dataSync()[0]; //=> 25
 * m.sumOfSquares.dispose();
 * ```
 */
export function measureTransformed(grads: readonly tf.Tensor[]): TransformMeasurement {
  return { sumOfSquares: totalSumOfSquares(grads as tf.Tensor[]) };
}

/** The fields of one step's {@link PackedStepStats}. */
export interface PackedStepStatsInit {
  /** `[globalNorm, clippedNorm, clipped, nonFiniteLo, nonFiniteHi, Σ x_0², …]` (see `kerasClipGradientsPacked`). */
  packed: tf.Tensor1D;
  skipped: boolean;
  step: number;
  variableNames: readonly string[];
  gradNorms?: tf.Tensor1D | null;
  weightNorms?: tf.Tensor1D | null;
  updateRatios?: tf.Tensor1D | null;
  /** What a transform's gradients measured, replacing the packed clipped norm and flag. */
  transformed?: TransformMeasurement | null;
}

/**
 * The wrapper's {@link StepStatsTensors}: the scalar measurements live in one packed float32
 * tensor (see `kerasClipGradientsPacked`); `globalNorm`, `clippedNorm`, `clipped` and
 * `nonFiniteCount` are sliced from it on first access, owned by these stats and disposed with them.
 * The stats own every tensor given to them (see {@link tensors}).
 *
 * @example
 * ```ts
 * const packed = tf.tensor1d([5, 1, 1, 0, 0, 9, 16]); // norm 5 clipped to 1; Σx² of two gradients
 * const s = new PackedStepStats({ packed, skipped: false, step: 1, variableNames: ['a', 'b'] });
 * await s.read(); //=> { globalNorm: 5, clippedNorm: 1, clipped: true, nonFiniteCount: 0, skipped: false, step: 1 }
 * tf.dispose(s.tensors());
 * ```
 */
export class PackedStepStats implements StepStatsTensors {
  readonly packed: tf.Tensor1D;
  readonly skipped: boolean;
  readonly step: number;
  readonly variableNames: readonly string[];
  readonly gradNorms: tf.Tensor1D | null;
  readonly weightNorms: tf.Tensor1D | null;
  readonly updateRatios: tf.Tensor1D | null;
  readonly transformed: TransformMeasurement | null;
  private gn: tf.Scalar | null = null;
  private cn: tf.Scalar | null = null;
  private cl: tf.Scalar | null = null;
  private nf: tf.Scalar | null = null;

  constructor(init: PackedStepStatsInit) {
    this.packed = init.packed;
    this.skipped = init.skipped;
    this.step = init.step;
    this.variableNames = init.variableNames;
    this.gradNorms = init.gradNorms ?? null;
    this.weightNorms = init.weightNorms ?? null;
    this.updateRatios = init.updateRatios ?? null;
    this.transformed = init.transformed ?? null;
  }

  get globalNorm(): tf.Scalar {
    return (this.gn ??= tf.keep(packedStat(this.packed, 'globalNorm')));
  }

  get clippedNorm(): tf.Scalar {
    const t = this.transformed;
    return (this.cn ??= tf.keep(this.skipped ? tf.scalar(0) : t != null ? (tf.sqrt(t.sumOfSquares) as tf.Scalar) : packedStat(this.packed, 'clippedNorm')));
  }

  get clipped(): tf.Scalar {
    const t = this.transformed;
    return (this.cl ??= tf.keep(
      t == null
        ? packedStat(this.packed, 'clipped')
        : tf.tidy(() => tf.less(tf.sqrt(t.sumOfSquares), tf.mul(packedStat(this.packed, 'globalNorm'), TRANSFORM_CLIPPED_FACTOR)) as tf.Scalar),
    ));
  }

  get nonFiniteCount(): tf.Scalar {
    return (this.nf ??= tf.keep(packedStat(this.packed, 'nonFiniteCount')));
  }

  /** Every tensor these stats own (the lazily made scalars included). */
  tensors(): tf.Tensor[] {
    const t = this.transformed;
    const ts: (tf.Tensor | null | undefined)[] = [this.packed, t?.sumOfSquares, this.gn, this.cn, this.cl, this.nf, this.gradNorms, this.weightNorms, this.updateRatios];
    return ts.filter((x): x is tf.Tensor => x != null);
  }

  /** The numbers, with one download of the packed tensor (plus the transform's Σx² when present). */
  async read(): Promise<StepStats> {
    const none = Promise.resolve(null);
    const t = this.transformed;
    const [p, tss] = await Promise.all([this.packed.data(), t?.sumOfSquares.data() ?? none]);
    const v = unpackStats(p);
    if (tss != null) {
      // The float32 ops of the `clippedNorm` and `clipped` getters, on the host.
      v.clippedNorm = Math.fround(Math.sqrt(tss[0]));
      v.clipped = v.clippedNorm < Math.fround(v.globalNorm * Math.fround(TRANSFORM_CLIPPED_FACTOR));
    }
    if (this.skipped) v.clippedNorm = 0;
    return { ...v, skipped: this.skipped, step: this.step };
  }
}

/** Every tensor a {@link StepStatsTensors} owns. */
export function statsTensors(s: StepStatsTensors): tf.Tensor[] {
  if (s instanceof PackedStepStats) return s.tensors();
  const ts: (tf.Tensor | null)[] = [s.globalNorm, s.clippedNorm, s.clipped, s.nonFiniteCount, s.gradNorms, s.weightNorms, s.updateRatios];
  return ts.filter((t): t is tf.Tensor => t != null);
}

/**
 * Reads a {@link StepStatsTensors} into numbers with one asynchronous download per tensor (never a
 * `dataSync`). The tensors must still be alive: call it before the next step replaces them.
 *
 * @example
 * ```ts
 * const release = opt.enableStats({ perVariable: true });
 * opt.minimize(loss);
 * const s = opt.lastStats;
 * if (s != null) console.log((await readStepStats(s)).variables);
 * release();
 * ```
 */
export async function readStepStats(s: StepStatsTensors): Promise<StepStats> {
  const none = Promise.resolve(null);
  const [out, gn, wn, ur] = await Promise.all([
    s instanceof PackedStepStats ? s.read() : readScalarStats(s),
    s.gradNorms?.data() ?? none,
    s.weightNorms?.data() ?? none,
    s.updateRatios?.data() ?? none,
  ]);
  if (gn != null || ur != null) {
    out.variables = s.variableNames.map((name, i) => ({
      name,
      gradNorm: gn != null ? gn[i] : NaN,
      weightNorm: wn != null ? wn[i] : NaN,
      updateRatio: ur != null ? ur[i] : NaN,
    }));
  }
  return out;
}

/** {@link readStepStats}'s scalars of stats made elsewhere (one download per tensor). */
async function readScalarStats(s: StepStatsTensors): Promise<StepStats> {
  const [g, c, f, n] = await Promise.all([s.globalNorm.data(), s.clippedNorm.data(), s.clipped.data(), s.nonFiniteCount.data()]);
  return { globalNorm: g[0], clippedNorm: c[0], clipped: f[0] !== 0, skipped: s.skipped, step: s.step, nonFiniteCount: n[0] };
}
