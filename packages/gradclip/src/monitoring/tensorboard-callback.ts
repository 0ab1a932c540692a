/**
 * `tensorBoard(logdir)`: a `model.fit` callback writing TensorBoard event files like Keras's
 * `TensorBoard` callback, plus gradclip's gradient series. Node only (`node:fs`, through the writer).
 */
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { check, checkInteger, checkKnownKeys } from '../errors.js';
import type { ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { summaryFileWriter, type SummaryFileWriter } from '../tensorboard/summary-file-writer.js';
import { DEFAULT_HISTOGRAM_BUCKETS } from '../tensorboard/histogram-buckets.js';
import { checkOptionalOptimizer, checkOptionsObject } from './monitor-callback.js';
import { SeriesCallback, type BatchRow, type EpochRow } from './series-callback.js';
import type { UpdateFreq } from './update-freq.js';

/** Options of {@link tensorBoard}. */
export interface TensorBoardOptions {
  /** `'epoch'` (default), `'batch'`, or an integer N: write `batch_*` scalars every N batches. */
  updateFreq?: UpdateFreq;
  /** Write weight (and gradient) histograms every this many epochs; 0 (default) for none. */
  histogramFreq?: number;
  /** Buckets per histogram, an integer >= 1 (default 30). */
  histogramBuckets?: number;
  /** Also write gradient histograms (needs a `ClippedOptimizer`; default true). */
  writeGradients?: boolean;
  /** The wrapper to read gradient statistics from (default: `model.optimizer` when it is one). */
  optimizer?: ClippedOptimizer;
}

const KNOWN = ['updateFreq', 'histogramFreq', 'histogramBuckets', 'writeGradients', 'optimizer'] as const;

/** The callback returned by {@link tensorBoard}. */
export class TensorBoardCallback extends SeriesCallback {
  readonly logdir: string;
  readonly histogramFreq: number;
  private readonly buckets: number;
  private readonly writeGradients: boolean;
  private train: SummaryFileWriter | null = null;
  private validation: SummaryFileWriter | null = null;
  private releaseGrads: (() => void) | null = null;

  constructor(logdir: string, options: TensorBoardOptions = {}) {
    check(typeof logdir === 'string' && logdir.length > 0, 'logdir', 'a non-empty string', logdir);
    checkOptionsObject(options);
    checkKnownKeys('tensorBoard', options, KNOWN);
    const { updateFreq = 'epoch', histogramFreq = 0, histogramBuckets = DEFAULT_HISTOGRAM_BUCKETS, writeGradients = true } = options;
    super(checkOptionalOptimizer(options.optimizer), updateFreq);
    checkInteger('histogramFreq', histogramFreq, 0);
    checkInteger('histogramBuckets', histogramBuckets, 1);
    check(typeof writeGradients === 'boolean', 'writeGradients', 'a boolean', writeGradients);
    this.logdir = logdir;
    this.histogramFreq = histogramFreq;
    this.buckets = histogramBuckets;
    this.writeGradients = writeGradients;
  }

  private trainWriter(): SummaryFileWriter {
    if (this.train == null || this.train.closed) this.train = summaryFileWriter(path.join(this.logdir, 'train'));
    return this.train;
  }

  private validationWriter(): SummaryFileWriter {
    if (this.validation == null || this.validation.closed) this.validation = summaryFileWriter(path.join(this.logdir, 'validation'));
    return this.validation;
  }

  private histogramEpoch(epoch: number): boolean {
    return this.histogramFreq > 0 && epoch % this.histogramFreq === 0;
  }

  protected override async trainBegin(): Promise<void> {
    this.trainWriter();
  }

  protected override async seriesEpochBegin(epoch: number): Promise<void> {
    this.releaseGrads?.();
    this.releaseGrads = null;
    const opt = this.optimizer;
    if (opt != null && this.writeGradients && this.histogramEpoch(epoch)) this.releaseGrads = opt.enableStats({ keepGradients: true });
  }

  protected override async writeBatch(row: BatchRow): Promise<void> {
    const w = this.trainWriter();
    for (const [k, v] of Object.entries(row.values)) w.scalar(`batch_${k}`, v, row.step);
  }

  protected override async writeEpoch(row: EpochRow): Promise<void> {
    const w = this.trainWriter();
    for (const [k, v] of Object.entries(row.train)) w.scalar(`epoch_${k}`, v, row.epoch);
    if (Object.keys(row.validation).length > 0) {
      const vw = this.validationWriter();
      for (const [k, v] of Object.entries(row.validation)) vw.scalar(`epoch_${k}`, v, row.epoch);
      vw.flush();
    }
    if (this.histogramEpoch(row.epoch)) await this.writeHistograms(w, row.epoch);
    w.flush();
  }

  private async writeHistograms(w: SummaryFileWriter, epoch: number): Promise<void> {
    const model = this.model as tf.LayersModel | undefined;
    for (const v of model?.weights ?? []) {
      const data = await v.read().data();
      w.histogram(`weights/${v.name}`, data as Float32Array, epoch, this.buckets);
    }
    const grads = this.writeGradients ? this.optimizer?.lastGradients : null;
    for (const g of grads ?? []) {
      const data = await g.tensor.data();
      w.histogram(`gradients/${g.name}`, data as Float32Array, epoch, this.buckets);
    }
    this.releaseGrads?.();
    this.releaseGrads = null;
  }

  protected override async trainEnd(): Promise<void> {
    this.releaseGrads?.();
    this.releaseGrads = null;
    this.train?.flush();
    this.validation?.flush();
  }

  /** Closes the event files (a later `fit` opens new ones). */
  close(): void {
    this.train?.close();
    this.validation?.close();
  }
}

/**
 * A `model.fit` callback that writes TensorBoard logs like Keras's `TensorBoard`, without tfjs-node.
 *
 * Runs: `<logdir>/train` and `<logdir>/validation` (the latter when `fit` validates).
 * Scalars (train run):
 * - every `updateFreq` batches, at the 1-based global batch step: `batch_loss`, `batch_<metric>`,
 *   `batch_grad_norm` (before clipping), `batch_grad_norm_clipped` (after), `batch_clip_rate`
 *   (fraction of the steps since the last write that clipped), `batch_skipped`, `batch_nonfinite_count`,
 *   `batch_learning_rate`;
 * - each epoch, at step `epoch` (0-based, as Keras): `epoch_loss`, `epoch_<metric>`, `epoch_grad_norm`
 *   (mean), `epoch_grad_norm_max`, `epoch_grad_norm_clipped` (mean), `epoch_clip_rate`,
 *   `epoch_skipped_steps`, `epoch_nonfinite_count`, `epoch_learning_rate`.
 * Validation run: `epoch_loss`, `epoch_<metric>` from the `val_*` logs.
 * Histograms every `histogramFreq` epochs (at step `epoch`): `weights/<variable>` and, with a
 * `ClippedOptimizer`, `gradients/<variable>` (the last step of the epoch, before clipping); each
 * with `<tag>/nan_count`, `<tag>/pos_inf_count`, `<tag>/neg_inf_count` scalars.
 * Gradient series need a `ClippedOptimizer` (`withClipping(opt)` records them even without clipping).
 *
 * @param logdir - the log directory, a non-empty string (created if missing).
 * @param options - see {@link TensorBoardOptions}.
 * @returns a `tf.Callback`.
 * @throws ValueError if an argument breaks its rule.
 * @example
 * ```ts
 * model.compile({ optimizer: withClipping(tf.train.adam(), { globalClipnorm: 1 }), loss: 'meanSquaredError' });
 * await model.fit(x, y, { epochs: 5, validationSplit: 0.2, callbacks: [tensorBoard('logs', { updateFreq: 'batch', histogramFreq: 1 })] });
 * // then: tensorboard --logdir logs
 * ```
 */
export function tensorBoard(logdir = './logs', options: TensorBoardOptions = {}): TensorBoardCallback {
  return new TensorBoardCallback(logdir, options);
}
