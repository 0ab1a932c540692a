/**
 * `TrainingMonitor`: feeds gradclip's callbacks (detectors, writers, loggers) from a custom training
 * loop, without `model.fit`. It drives the same hooks `fit` would, so every callback behaves alike.
 */
import * as tf from '@tensorflow/tfjs';
import { check, checkKnownKeys } from '../errors.js';
import type { ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { MonitorCallback, checkOptionalOptimizer, checkOptionsObject } from './monitor-callback.js';

/** Options of {@link TrainingMonitor}. */
export interface TrainingMonitorOptions {
  /** The callbacks to feed (e.g. `lossSpikeDetector()`, `tensorBoard('logs')`). */
  callbacks: MonitorCallback[];
  /** The wrapper the loop steps with; its statistics are read after each step. */
  optimizer?: ClippedOptimizer;
  /** A model whose layers name the variables (weight histograms, layer names); optional. */
  model?: tf.LayersModel;
}

/** What {@link TrainingMonitor.recordStep} receives. */
export interface RecordStepArgs {
  /** The step's loss: a number, or a scalar (read asynchronously; not disposed). */
  loss?: number | tf.Scalar | null;
  /** The wrapper that made the step (default: the monitor's). */
  optimizer?: ClippedOptimizer;
  /** Other values of the step (metrics), logged next to the loss. */
  metrics?: Record<string, number>;
}

/** What {@link TrainingMonitor.recordStep} returns. */
export interface RecordStepResult {
  /** True when a callback asked to stop (terminateOnNaN, a detector with `action: 'stop'`). */
  stop: boolean;
  /** 1-based step number. */
  step: number;
}

/**
 * Feeds gradclip callbacks from a custom loop.
 *
 * Call {@link recordStep} after each optimizer step, {@link endEpoch} at the end of an epoch (with
 * validation values as `val_*` keys if you have them) and {@link close} at the end. Each callback sees
 * `onTrainBegin`, `onEpochBegin`, `onBatchBegin` (before the next step, so it can ask the wrapper for
 * extra statistics), `onBatchEnd`, `onEpochEnd` and `onTrainEnd` as in `fit`. The wrapper records
 * statistics only while asked: with `optimizer` given, the monitor asks from its construction
 * (when a callback reads statistics), so the first step is recorded even without {@link start};
 * {@link close} withdraws every request.
 *
 * @example
 * ```ts
 * const opt = withClipping(tf.train.adam(1e-3), { globalClipnorm: 1 });
 * const spikes = lossSpikeDetector({ action: 'skip', window: 32 });
 * const monitor = new TrainingMonitor({ optimizer: opt, callbacks: [spikes, terminateOnNaN()] });
 * for (let i = 0; i < 100; i++) {
 *   const loss = opt.minimize(() => tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor), true)!;
 *   const { stop } = await monitor.recordStep({ loss });
 *   loss.dispose();
 *   if (stop) break;
 * }
 * await monitor.close();
 * ```
 */
export class TrainingMonitor {
  readonly callbacks: readonly MonitorCallback[];
  readonly optimizer: ClippedOptimizer | null;
  private started = false;
  private closed = false;
  private epoch = 0;
  private batch = 0;
  private steps = 0;
  /** The monitor's own request for statistics, so that the first step records them too (see the constructor). */
  private releaseFirstStats: (() => void) | null = null;

  constructor(options: TrainingMonitorOptions) {
    checkOptionsObject(options);
    check(options != null, 'options', 'an object with `callbacks`', options);
    checkKnownKeys('TrainingMonitor', options, ['callbacks', 'optimizer', 'model']);
    const { callbacks, model } = options;
    check(
      Array.isArray(callbacks) && callbacks.every((c) => c instanceof MonitorCallback),
      'callbacks',
      'an array of gradclip callbacks (terminateOnNaN, lossSpikeDetector, gradientHealth, tensorBoard, csvLogger, jsonlLogger)',
      callbacks,
    );
    check(model === undefined || model instanceof tf.LayersModel, 'model', 'a tf.LayersModel', model);
    this.callbacks = [...callbacks];
    this.optimizer = checkOptionalOptimizer(options.optimizer);
    for (const c of this.callbacks) {
      if (model) c.setModel(model);
      c.attachOptimizer(this.optimizer);
      c.setParams({ epochs: Infinity, verbose: 0, doValidation: false, metrics: ['loss'] });
    }
    // The callbacks ask for statistics in onTrainBegin, which a loop without start() reaches only
    // after its first step: ask for them here, until they have asked themselves.
    if (this.optimizer != null && this.callbacks.some((c) => c.readsStats)) this.releaseFirstStats = this.optimizer.enableStats();
  }

  private async begin(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      for (const c of this.callbacks) await c.onTrainBegin();
    } finally {
      this.releaseFirstStats?.();
      this.releaseFirstStats = null;
    }
    for (const c of this.callbacks) await c.onEpochBegin(this.epoch);
    for (const c of this.callbacks) await c.onBatchBegin(this.batch);
  }

  /**
   * Starts monitoring before the first step (optional: the first {@link recordStep} does it), so that
   * callbacks can register step gates (`lossSpikeDetector({ action: 'skip' })`) and request statistics
   * for the first step.
   */
  async start(): Promise<void> {
    this.ensureOpen();
    await this.begin();
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('This TrainingMonitor is closed; create a new one.');
  }

  /**
   * Records the step that just ran: reads its loss and the wrapper's statistics (asynchronously) and
   * hands them to every callback.
   * @param args - `loss` (number or scalar), `optimizer` (default the monitor's), `metrics`.
   * @returns whether a callback asked to stop, and the step number.
   */
  async recordStep(args: RecordStepArgs = {}): Promise<RecordStepResult> {
    this.ensureOpen();
    check(typeof args === 'object' && args !== null, 'args', 'an object', args);
    const { loss = null, metrics = {} } = args;
    check(loss === null || typeof loss === 'number' || loss instanceof tf.Tensor, 'loss', 'a number, a scalar tensor or null', loss);
    if (args.optimizer != null) {
      const opt = checkOptionalOptimizer(args.optimizer);
      for (const c of this.callbacks) c.attachOptimizer(opt);
    }
    await this.begin();
    const logs: Record<string, unknown> = { batch: this.batch, size: 1, ...metrics };
    if (loss != null) logs.loss = loss;
    for (const c of this.callbacks) await c.onBatchEnd(this.batch, logs);
    this.steps += 1;
    this.batch += 1;
    const stop = this.callbacks.some((c) => c.stopRequested);
    for (const c of this.callbacks) await c.onBatchBegin(this.batch);
    return { stop, step: this.steps };
  }

  /**
   * Ends the current epoch (writers log epoch values; `val_*` keys go to the validation run) and
   * starts the next.
   * @param logs - epoch values, e.g. `{ loss: 0.3, val_loss: 0.4 }`.
   */
  async endEpoch(logs: Record<string, number> = {}): Promise<void> {
    this.ensureOpen();
    await this.begin();
    for (const c of this.callbacks) await c.onEpochEnd(this.epoch, logs);
    this.epoch += 1;
    this.batch = 0;
    for (const c of this.callbacks) await c.onEpochBegin(this.epoch);
    for (const c of this.callbacks) await c.onBatchBegin(this.batch);
  }

  /** Ends monitoring: callbacks remove their gates and release statistics; writers flush. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.releaseFirstStats?.();
    this.releaseFirstStats = null;
    if (this.started) for (const c of this.callbacks) await c.onTrainEnd();
  }
}
