/**
 * `gradientLogs()`: puts the wrapper's gradient statistics into `model.fit`'s own batch and epoch
 * logs, so that anything that charts or records those logs (tfjs-vis's `show.fitCallbacks`, a
 * `{ onBatchEnd }` of yours, tfjs's `History` for epoch values) sees `grad_norm`,
 * `grad_norm_clipped`, `clipped` and `clip_rate` next to `loss`, with no extra code.
 *
 * tfjs hands one logs object to every callback of a batch in array order, so the keys must be added
 * before the callbacks that read them run: put `gradientLogs()` **first**. It is a plain callback
 * object with tfjs's `tf.Callback` methods too (`setParams`, `setModel` and the six hooks), so it
 * works in both kinds of `callbacks` array tfjs knows (see monitor-callback.ts): first in an array of
 * plain objects such as `[gradientLogs(), tfvis.show.fitCallbacks(…)]` (tfjs wraps each element in a
 * `tf.CustomCallback`, calls its hooks with the wrapper as `this`, and never gives it the model, so
 * the model comes from fit-models.ts), and anywhere in an array of `tf.Callback`s.
 */
import type * as tf from '@tensorflow/tfjs';
import { ValueError, checkKnownKeys, formatValue } from '../errors.js';
import type { ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { checkOptionalOptimizer, checkOptionsObject, isClippedOptimizer } from './monitor-callback.js';
import { fitModel, recordFitModels } from './fit-models.js';
import { readStatsShared } from './log-values.js';

/** Options of {@link gradientLogs}. */
export interface GradientLogsOptions {
  /** The wrapper whose statistics to log (default: the model's optimizer, which must be a `ClippedOptimizer`). */
  optimizer?: ClippedOptimizer;
  /** Prepended to every key, e.g. `'gc_'` gives `gc_grad_norm` (default `''`). */
  prefix?: string;
}

/** Keys {@link gradientLogs} adds (without a prefix). */
export const GRADIENT_LOG_KEYS = ['grad_norm', 'grad_norm_clipped', 'clipped', 'clip_rate'] as const;

type Logs = Record<string, unknown>;
/** What tfjs's `tf.CustomCallback` (which calls the hooks of a plain object) carries. */
interface Host {
  params?: unknown;
  model?: unknown;
}

/**
 * The callback {@link gradientLogs} returns. Its hooks are own functions (tfjs copies them when it
 * wraps the object in a `tf.CustomCallback`).
 */
export class GradientLogs {
  /** Steps seen in the current epoch with statistics, and how many of them clipped. */
  private epochSteps = 0;
  private epochClipped = 0;
  private normSum = 0;
  private normFinite = 0;
  private clippedNormSum = 0;
  private applied = 0;
  private lastStep = -1;
  private model: tf.LayersModel | null = null;
  private params: unknown = null;
  private readonly givenOptimizer: ClippedOptimizer | null;
  private readonly prefix: string;
  /** Withdraws the request for statistics made in `onTrainBegin` (the wrapper records them only when asked). */
  private releaseStats: (() => void) | null = null;

  /** `fit` hooks (`onBatchBegin` does nothing; it exists for arrays of `tf.Callback`s). */
  readonly onTrainBegin: (logs?: Logs) => Promise<void>;
  readonly onEpochBegin: (epoch: number, logs?: Logs) => Promise<void>;
  readonly onBatchBegin: (batch: number, logs?: Logs) => Promise<void>;
  readonly onBatchEnd: (batch: number, logs?: Logs) => Promise<void>;
  readonly onEpochEnd: (epoch: number, logs?: Logs) => Promise<void>;
  readonly onTrainEnd: (logs?: Logs) => Promise<void>;

  constructor(options: GradientLogsOptions = {}) {
    checkOptionsObject(options);
    checkKnownKeys('gradientLogs', options, ['optimizer', 'prefix']);
    const { prefix = '' } = options;
    if (typeof prefix !== 'string') throw new ValueError(`\`prefix\` must be a string. Received: prefix=${formatValue(prefix)}`);
    this.prefix = prefix;
    this.givenOptimizer = checkOptionalOptimizer(options.optimizer);
    recordFitModels();
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const adopt = (host: unknown): void => {
      if (host === self || host == null || typeof host !== 'object') return;
      const h = host as Host;
      if (h.params != null && typeof h.params === 'object') self.params = h.params;
      const model = (h.model as tf.LayersModel | null | undefined) ?? fitModel(h.params);
      if (model != null) self.model = model;
    };
    this.onTrainBegin = async function (this: unknown) {
      adopt(this);
      const opt = self.optimizerOrThrow();
      self.releaseStats?.();
      self.releaseStats = opt.enableStats({});
      self.lastStep = -1;
    };
    this.onEpochBegin = async function (this: unknown) {
      adopt(this);
      self.resetEpoch();
    };
    this.onBatchBegin = async () => undefined;
    this.onBatchEnd = async function (this: unknown, _batch: number, logs?: Logs) {
      adopt(this);
      await self.batchEnd(logs);
    };
    this.onEpochEnd = async function (this: unknown, _epoch: number, logs?: Logs) {
      adopt(this);
      self.epochEnd(logs);
    };
    this.onTrainEnd = async () => {
      self.releaseStats?.();
      self.releaseStats = null;
    };
  }

  /** Called by tfjs when this object sits in an array of `tf.Callback`s. */
  setParams(params: unknown): void {
    this.params = params;
  }

  /** Called by tfjs when this object sits in an array of `tf.Callback`s. */
  setModel(model: tf.LayersModel): void {
    this.model = model;
  }

  /** The wrapper whose statistics are logged: the one given, else the model's optimizer. */
  get optimizer(): ClippedOptimizer | null {
    if (this.givenOptimizer != null) return this.givenOptimizer;
    const opt = (this.model ?? fitModel(this.params))?.optimizer;
    return isClippedOptimizer(opt) ? opt : null;
  }

  private optimizerOrThrow(): ClippedOptimizer {
    const opt = this.optimizer;
    if (opt == null) {
      const found = (this.model ?? fitModel(this.params))?.optimizer as { constructor?: { name?: string } } | undefined;
      throw new ValueError(
        'gradientLogs needs a ClippedOptimizer: compile the model with withClipping(optimizer) (clipping optional) or pass `optimizer`. ' +
          `Received: model.optimizer=${formatValue(found?.constructor?.name ?? found ?? null)}`,
      );
    }
    return opt;
  }

  private resetEpoch(): void {
    this.epochSteps = 0;
    this.epochClipped = 0;
    this.normSum = 0;
    this.normFinite = 0;
    this.clippedNormSum = 0;
    this.applied = 0;
  }

  private async batchEnd(logs: Logs | undefined): Promise<void> {
    if (logs == null) return;
    const stats = await readStatsShared(this.optimizerOrThrow());
    // No step since the last batch (or none yet): nothing new to log.
    if (stats == null || stats.step === this.lastStep) return;
    this.lastStep = stats.step;
    this.epochSteps += 1;
    if (stats.clipped) this.epochClipped += 1;
    if (Number.isFinite(stats.globalNorm)) {
      this.normSum += stats.globalNorm;
      this.normFinite += 1;
    }
    if (!stats.skipped) {
      this.clippedNormSum += stats.clippedNorm;
      this.applied += 1;
    }
    const p = this.prefix;
    logs[`${p}grad_norm`] = stats.globalNorm;
    logs[`${p}grad_norm_clipped`] = stats.clippedNorm;
    logs[`${p}clipped`] = stats.clipped ? 1 : 0;
    logs[`${p}clip_rate`] = this.epochClipped / this.epochSteps;
  }

  private epochEnd(logs: Logs | undefined): void {
    if (logs == null || this.epochSteps === 0) return;
    const p = this.prefix;
    logs[`${p}grad_norm`] = this.normFinite > 0 ? this.normSum / this.normFinite : NaN;
    logs[`${p}grad_norm_clipped`] = this.applied > 0 ? this.clippedNormSum / this.applied : NaN;
    logs[`${p}clipped`] = this.epochClipped;
    logs[`${p}clip_rate`] = this.epochClipped / this.epochSteps;
  }
}

/**
 * A `model.fit` callback that adds the step's gradient statistics to the batch logs and the epoch's
 * to the epoch logs, for tfjs-vis's `show.fitCallbacks` and any other reader of the logs. Put it
 * first in `callbacks`.
 *
 * Batch logs get `grad_norm` (global L2 norm before clipping), `grad_norm_clipped` (after clipping;
 * 0 for a skipped step), `clipped` (1 or 0) and `clip_rate` (the fraction of the epoch's steps so far
 * that clipped). Epoch logs get `grad_norm` and `grad_norm_clipped` (means over the epoch's steps;
 * non-finite norms are left out of the first), `clipped` (how many steps clipped) and `clip_rate`.
 * Values are read asynchronously after each step (never `dataSync`), shared with gradclip's other
 * callbacks.
 *
 * @param options - `optimizer` (default: the model's, a `ClippedOptimizer`), `prefix` for the keys.
 * @returns a {@link GradientLogs} callback.
 * @throws ValueError for bad options, and when training starts without a `ClippedOptimizer`.
 * @example
 * ```ts
 * model.compile({ optimizer: adam({ clipnorm: 1 }), loss: 'meanSquaredError' });
 * await model.fit(x, y, {
 *   callbacks: [gradientLogs(), tfvis.show.fitCallbacks(surface, ['loss', 'grad_norm', 'grad_norm_clipped', 'clip_rate'])],
 * });
 * ```
 */
export function gradientLogs(options: GradientLogsOptions = {}): GradientLogs {
  return new GradientLogs(options);
}
