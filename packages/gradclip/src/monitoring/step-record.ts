/** What gradclip's monitors see of one training step, as plain numbers. */
import type { StepStats } from '../optimizer/clipped-optimizer.js';

/** One training step, read from the device after the step (in `onBatchEnd` or `TrainingMonitor.recordStep`). */
export interface StepRecord {
  /** 1-based count of steps seen by this monitor (cumulative over `fit` calls). */
  step: number;
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  /** The step's loss (null when the logs had none). */
  loss: number | null;
  /** The other batch logs (metrics), by name. */
  metrics: Record<string, number>;
  /** The wrapper's statistics for this step; null without a `ClippedOptimizer`. */
  stats: StepStats | null;
  /** The learning rate after the step, when the optimizer exposes one. */
  learningRate: number | null;
}

/** Gradient statistics of several steps (an epoch, or the `updateFreq` window of a logger). */
export interface StepAggregate {
  /** Steps with statistics. */
  steps: number;
  /** Mean pre-clip global norm over the steps (finite values only; NaN if none). */
  gradNormMean: number;
  /** Largest pre-clip global norm (NaN/inf propagate). */
  gradNormMax: number;
  /** Mean post-clip global norm over the applied steps. */
  clippedNormMean: number;
  /** Fraction of the steps where clipping fired. */
  clipRate: number;
  /** Steps skipped (non-finite policy or a step gate). */
  skippedSteps: number;
  /** Total NaN/±inf gradient entries. */
  nonFiniteCount: number;
}

/** Accumulates {@link StepRecord}s into a {@link StepAggregate}. */
export class StepAccumulator {
  private n = 0;
  private normSum = 0;
  private normFinite = 0;
  private normMax = -Infinity;
  private clippedSum = 0;
  private applied = 0;
  private clippedSteps = 0;
  private skipped = 0;
  private nonFinite = 0;

  /** Adds a step (ignored when it has no statistics). */
  add(r: StepRecord): void {
    const s = r.stats;
    if (s == null) return;
    this.n += 1;
    if (Number.isFinite(s.globalNorm)) {
      this.normSum += s.globalNorm;
      this.normFinite += 1;
    }
    this.normMax = Number.isNaN(s.globalNorm) || Number.isNaN(this.normMax) ? NaN : Math.max(this.normMax, s.globalNorm);
    if (!s.skipped) {
      this.clippedSum += s.clippedNorm;
      this.applied += 1;
    }
    if (s.clipped) this.clippedSteps += 1;
    if (s.skipped) this.skipped += 1;
    this.nonFinite += s.nonFiniteCount;
  }

  /** The aggregate so far, or null when no step had statistics. */
  result(): StepAggregate | null {
    if (this.n === 0) return null;
    return {
      steps: this.n,
      gradNormMean: this.normFinite > 0 ? this.normSum / this.normFinite : NaN,
      gradNormMax: this.normMax,
      clippedNormMean: this.applied > 0 ? this.clippedSum / this.applied : NaN,
      clipRate: this.clippedSteps / this.n,
      skippedSteps: this.skipped,
      nonFiniteCount: this.nonFinite,
    };
  }

  /** Starts over. */
  reset(): void {
    Object.assign(this, new StepAccumulator());
  }
}

/**
 * The gradient series every writer logs for a step (TensorBoard adds `batch_`, CSV/JSONL use them
 * as column names): `grad_norm`, `grad_norm_clipped`, `clip_rate`, `skipped`, `nonfinite_count`,
 * `learning_rate`. `clip_rate` is over the steps since the last write.
 */
export function stepSeries(r: StepRecord, window: StepAggregate | null): Record<string, number> {
  const out: Record<string, number> = {};
  const s = r.stats;
  if (s != null) {
    out.grad_norm = s.globalNorm;
    out.grad_norm_clipped = s.clippedNorm;
    out.clip_rate = window?.clipRate ?? (s.clipped ? 1 : 0);
    out.skipped = s.skipped ? 1 : 0;
    out.nonfinite_count = s.nonFiniteCount;
  }
  if (r.learningRate != null) out.learning_rate = r.learningRate;
  return out;
}

/**
 * The gradient series of an epoch: `grad_norm` (mean), `grad_norm_max`, `grad_norm_clipped` (mean),
 * `clip_rate`, `skipped_steps`, `nonfinite_count`, and `learning_rate`.
 */
export function epochSeries(a: StepAggregate | null, learningRate: number | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (a != null) {
    out.grad_norm = a.gradNormMean;
    out.grad_norm_max = a.gradNormMax;
    out.grad_norm_clipped = a.clippedNormMean;
    out.clip_rate = a.clipRate;
    out.skipped_steps = a.skippedSteps;
    out.nonfinite_count = a.nonFiniteCount;
  }
  if (learningRate != null) out.learning_rate = learningRate;
  return out;
}
