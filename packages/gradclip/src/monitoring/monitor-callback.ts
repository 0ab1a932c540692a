/**
 * The base of gradclip's `model.fit` callbacks: a callback that tracks epoch, batch and the global
 * step, finds the `ClippedOptimizer` (given, or `model.optimizer`), reads each step's loss and
 * gradient statistics asynchronously after the step, and hands subclasses a {@link StepRecord}.
 * `TrainingMonitor` drives the same hooks in custom loops.
 *
 * Mixing with other callbacks: tfjs decides how to treat a whole `callbacks` array from its first
 * element (tfjs-layers `standardizeCallbacks`). A `tf.Callback` first means "every element is a
 * tf.Callback" (a plain `{ onEpochEnd }` after it then fails in tfjs: `callback.setParams is not a
 * function`); anything else first means "every element is a plain object", and each is wrapped in a
 * `tf.CustomCallback` that calls copies of its `on…` functions with the wrapper as `this` and never
 * gives it the model. A gradclip callback is a `tf.Callback`, and works in both cases: its hooks are
 * own functions bound to it, and when a `tf.CustomCallback` calls them they take the fit's params from
 * it and the model from fit-models.ts. (Not being a `tf.Callback` would make an array that starts with
 * it wrap the tfjs callbacks after it, which breaks them: a wrapped `tf.CustomCallback` calls itself
 * forever.) So `[plainObject, gradclipCallback]` works; `[gradclipCallback, plainObject]` fails in
 * tfjs before any callback runs: put plain objects first, or wrap them in `new tf.CustomCallback(…)`.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatValue } from '../errors.js';
import { ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { readLogValue, readLogs, readStatsShared, type RawLogs } from './log-values.js';
import type { StepRecord } from './step-record.js';
import { fitModel, recordFitModels } from './fit-models.js';

/**
 * True for a `ClippedOptimizer`. (`instanceof` cannot tell: tf.Optimizer's `Symbol.hasInstance` is a
 * duck-typing check that every optimizer passes, and subclasses inherit it.)
 */
export function isClippedOptimizer(x: unknown): x is ClippedOptimizer {
  return x != null && Object.prototype.isPrototypeOf.call(ClippedOptimizer.prototype, x);
}

/** Validates an optional `optimizer` option: a `ClippedOptimizer` or nothing. */
export function checkOptionalOptimizer(optimizer: unknown): ClippedOptimizer | null {
  if (optimizer == null) return null;
  if (!isClippedOptimizer(optimizer)) {
    throw new ValueError(
      `\`optimizer\` must be a ClippedOptimizer (wrap yours with withClipping(opt)). Received: optimizer=${formatValue(
        (optimizer as { constructor?: { name?: string } })?.constructor?.name ?? optimizer,
      )}`,
    );
  }
  return optimizer;
}

/** Validates an options argument: an object or undefined. */
export function checkOptionsObject(options: unknown): void {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ValueError(`\`options\` must be an object. Received: options=${formatValue(options)}`);
  }
}

/** Learning rate of an optimizer when it exposes one as a number. */
export function learningRateOf(optimizer: tf.Optimizer | null | undefined): number | null {
  const lr = (optimizer as { learningRate?: unknown } | null | undefined)?.learningRate;
  return typeof lr === 'number' ? lr : null;
}

/** What a `tf.CustomCallback` that wraps a gradclip callback carries (tfjs sets `params`; `model` only on a tf.Callback). */
interface CallbackHost {
  model?: unknown;
  params?: unknown;
}

/** A `tf.Callback` that sees every step as a {@link StepRecord} (and mixes with plain callback objects, see the file comment). */
export abstract class MonitorCallback extends tf.Callback {
  /** Set when this callback asked training to stop (`model.stopTraining`; `TrainingMonitor` reads it too). */
  stopRequested = false;
  /** Current 0-based epoch. */
  protected epoch = 0;
  /** Steps seen so far (cumulative over `fit` calls). */
  protected globalStep = 0;
  private readonly givenOptimizer: ClippedOptimizer | null;
  private foundOptimizer: ClippedOptimizer | null = null;
  private lastStatsStep = -1;
  /** Withdraws this callback's request for statistics (while training, see {@link readsStats}). */
  private releaseStats: (() => void) | null = null;
  private statsFrom: ClippedOptimizer | null = null;

  /** `fit` hooks; own functions bound to this callback (see the file comment). */
  override readonly onTrainBegin: (logs?: RawLogs) => Promise<void>;
  override readonly onEpochBegin: (epoch: number, logs?: RawLogs) => Promise<void>;
  override readonly onBatchBegin: (batch: number, logs?: RawLogs) => Promise<void>;
  override readonly onBatchEnd: (batch: number, logs?: RawLogs) => Promise<void>;
  override readonly onEpochEnd: (epoch: number, logs?: RawLogs) => Promise<void>;
  override readonly onTrainEnd: (logs?: RawLogs) => Promise<void>;

  constructor(optimizer: ClippedOptimizer | null) {
    super();
    this.givenOptimizer = optimizer;
    recordFitModels();
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    /** Takes the model and params from a tf.CustomCallback that calls this callback's hooks. */
    const adopt = (host: unknown): void => {
      if (host === self || host == null || typeof host !== 'object') return;
      const h = host as CallbackHost;
      if (h.params != null && typeof h.params === 'object') self.setParams(h.params as Parameters<tf.Callback['setParams']>[0]);
      const model = (h.model as tf.LayersModel | undefined) ?? fitModel(h.params);
      if (model != null && model !== self.model) self.setModel(model);
    };
    this.onTrainBegin = function (this: unknown, logs?: RawLogs) {
      adopt(this);
      return self.trainBeginHook(logs);
    };
    this.onEpochBegin = function (this: unknown, epoch: number, logs?: RawLogs) {
      adopt(this);
      return self.epochBeginHook(epoch, logs);
    };
    this.onBatchBegin = function (this: unknown, batch: number, logs?: RawLogs) {
      adopt(this);
      return self.batchBeginHook(batch, logs);
    };
    this.onBatchEnd = function (this: unknown, batch: number, logs?: RawLogs) {
      adopt(this);
      return self.batchEndHook(batch, logs);
    };
    this.onEpochEnd = function (this: unknown, epoch: number, logs?: RawLogs) {
      adopt(this);
      return self.epochEndHook(epoch, logs);
    };
    this.onTrainEnd = function (this: unknown, logs?: RawLogs) {
      adopt(this);
      return self.trainEndHook(logs);
    };
  }

  /** The wrapper whose statistics this callback reads: the one given, else `model.optimizer` if it is one. */
  get optimizer(): ClippedOptimizer | null {
    return this.givenOptimizer ?? this.foundOptimizer;
  }

  /** Used by `TrainingMonitor` to hand over the optimizer of a custom loop. */
  attachOptimizer(optimizer: ClippedOptimizer | null): void {
    if (this.givenOptimizer == null) this.foundOptimizer = optimizer;
    if (this.releaseStats != null) this.requestStats();
  }

  /**
   * Whether this callback reads the wrapper's step statistics. Those that do ask the wrapper to
   * record them from `onTrainBegin` to `onTrainEnd` (`enableStats`); a wrapper nobody asks records
   * nothing. Default true.
   */
  get readsStats(): boolean {
    return true;
  }

  /** (Re)places this callback's request for statistics on its current optimizer. */
  private requestStats(): void {
    const opt = this.readsStats ? this.optimizer : null;
    if (opt === this.statsFrom && this.releaseStats != null) return;
    this.withdrawStats();
    if (opt != null) {
      this.releaseStats = opt.enableStats();
      this.statsFrom = opt;
    }
  }

  private withdrawStats(): void {
    this.releaseStats?.();
    this.releaseStats = null;
    this.statsFrom = null;
  }

  override setModel(model: tf.LayersModel): void {
    super.setModel(model);
    this.findOptimizer();
  }

  private findOptimizer(): void {
    const opt = (this.model as tf.LayersModel | undefined)?.optimizer;
    if (isClippedOptimizer(opt)) this.foundOptimizer = opt;
  }

  /** Steps per epoch from `fit`'s params, or null when unknown. */
  protected stepsPerEpoch(): number | null {
    const p = (this.params ?? {}) as Record<string, unknown>;
    if (typeof p.steps === 'number' && p.steps > 0) return p.steps;
    if (typeof p.samples === 'number' && typeof p.batchSize === 'number' && p.batchSize > 0) return Math.ceil(p.samples / p.batchSize);
    return null;
  }

  /** Asks training to stop after this batch (`model.stopTraining = true` in `fit`). */
  protected requestStop(): void {
    this.stopRequested = true;
    if (this.model != null) (this.model as tf.LayersModel).stopTraining = true;
  }

  private async trainBeginHook(_logs?: RawLogs): Promise<void> {
    this.stopRequested = false;
    this.findOptimizer();
    this.requestStats();
    await this.trainBegin();
  }

  private async epochBeginHook(epoch: number, _logs?: RawLogs): Promise<void> {
    this.epoch = epoch;
    await this.epochBegin(epoch);
  }

  private async batchBeginHook(batch: number, _logs?: RawLogs): Promise<void> {
    await this.batchBegin(batch);
  }

  private async batchEndHook(batch: number, logs?: RawLogs): Promise<void> {
    this.globalStep += 1;
    await this.batchEnd(batch, logs);
  }

  private async epochEndHook(epoch: number, logs?: RawLogs): Promise<void> {
    await this.epochEnd(epoch, await readLogs(logs));
  }

  private async trainEndHook(_logs?: RawLogs): Promise<void> {
    try {
      await this.trainEnd();
    } finally {
      this.withdrawStats();
    }
  }

  /** Reads the step that just ended into a {@link StepRecord}. */
  protected async readRecord(batch: number, logs: RawLogs): Promise<StepRecord> {
    const opt = this.optimizer;
    const [values, stats] = await Promise.all([readLogs(logs), opt != null ? readStatsShared(opt) : Promise.resolve(null)]);
    // Statistics belong to this step only if the wrapper stepped since the last batch.
    const fresh = stats != null && stats.step !== this.lastStatsStep ? stats : null;
    if (stats != null) this.lastStatsStep = stats.step;
    const { loss = null, ...metrics } = values;
    const lrSource = opt ?? (this.model as tf.LayersModel | undefined)?.optimizer;
    return { step: this.globalStep, epoch: this.epoch, batch, loss, metrics, stats: fresh, learningRate: learningRateOf(lrSource) };
  }

  /** Reads only the loss of a batch's logs. */
  protected readLoss(logs: RawLogs): Promise<number | null> {
    return readLogValue(logs?.loss);
  }

  protected async trainBegin(): Promise<void> {}
  protected async epochBegin(_epoch: number): Promise<void> {}
  protected async batchBegin(_batch: number): Promise<void> {}
  /** Default: reads a {@link StepRecord} and calls {@link step}. */
  protected async batchEnd(batch: number, logs: RawLogs): Promise<void> {
    await this.step(await this.readRecord(batch, logs));
  }
  protected async step(_record: StepRecord): Promise<void> {}
  protected async epochEnd(_epoch: number, _logs: Record<string, number>): Promise<void> {}
  protected async trainEnd(): Promise<void> {}
}
