/**
 * The base of the writers (TensorBoard, CSV, JSON lines): turns steps and epochs into the same named
 * series, every `updateFreq` batches and at each epoch end.
 */
import type { ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { MonitorCallback } from './monitor-callback.js';
import { StepAccumulator, epochSeries, stepSeries, type StepRecord } from './step-record.js';
import { resolveUpdateFreq, type UpdateFreq } from './update-freq.js';

/** A batch row: `loss`, the metrics and the gradient series of {@link stepSeries}. */
export interface BatchRow {
  step: number;
  epoch: number;
  batch: number;
  values: Record<string, number>;
}

/** An epoch row: training values (`loss`, metrics, gradient series of {@link epochSeries}) and validation values (`val_` stripped). */
export interface EpochRow {
  epoch: number;
  train: Record<string, number>;
  validation: Record<string, number>;
}

/** Writes the series of {@link BatchRow}s and {@link EpochRow}s. */
export abstract class SeriesCallback extends MonitorCallback {
  /** Batches between batch rows (0: epoch rows only). */
  protected readonly every: number;
  private readonly window = new StepAccumulator();
  private readonly epochAcc = new StepAccumulator();
  private lastLr: number | null = null;

  constructor(optimizer: ClippedOptimizer | null, updateFreq: UpdateFreq) {
    super(optimizer);
    this.every = resolveUpdateFreq(updateFreq);
  }

  protected override async epochBegin(epoch: number): Promise<void> {
    this.epochAcc.reset();
    await this.seriesEpochBegin(epoch);
  }

  protected override async step(r: StepRecord): Promise<void> {
    this.window.add(r);
    this.epochAcc.add(r);
    this.lastLr = r.learningRate;
    if (this.every > 0 && r.step % this.every === 0) {
      const values: Record<string, number> = {};
      if (r.loss != null) values.loss = r.loss;
      Object.assign(values, r.metrics, stepSeries(r, this.window.result()));
      this.window.reset();
      await this.writeBatch({ step: r.step, epoch: r.epoch, batch: r.batch, values });
    }
  }

  protected override async epochEnd(epoch: number, logs: Record<string, number>): Promise<void> {
    const train: Record<string, number> = {};
    const validation: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) {
      if (k.startsWith('val_')) validation[k.slice(4)] = v;
      else train[k] = v;
    }
    Object.assign(train, epochSeries(this.epochAcc.result(), this.lastLr));
    await this.writeEpoch({ epoch, train, validation });
  }

  protected async seriesEpochBegin(_epoch: number): Promise<void> {}
  protected abstract writeBatch(row: BatchRow): Promise<void>;
  protected abstract writeEpoch(row: EpochRow): Promise<void>;
}
