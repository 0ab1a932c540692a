/** `terminateOnNaN`: Keras's `TerminateOnNaN` callback for `model.fit`. */
import { NonFiniteError, check, checkKnownKeys } from '../errors.js';
import { MonitorCallback, checkOptionsObject } from './monitor-callback.js';
import type { RawLogs } from './log-values.js';

/** Options of {@link terminateOnNaN}. */
export interface TerminateOnNaNOptions {
  /** Throw a `NonFiniteError` out of `fit` instead of stopping gracefully (Keras `raise_error`). Default false. */
  raiseError?: boolean;
}

/** Where training was stopped by {@link TerminateOnNaN}. */
export interface NaNStop {
  epoch: number;
  batch: number;
  loss: number;
}

/** The callback returned by {@link terminateOnNaN}. */
export class TerminateOnNaN extends MonitorCallback {
  readonly raiseError: boolean;
  /** Set when a NaN/Inf loss stopped training. */
  stoppedAt: NaNStop | null = null;

  constructor(options: TerminateOnNaNOptions = {}) {
    super(null);
    checkOptionsObject(options);
    checkKnownKeys('terminateOnNaN', options, ['raiseError']);
    const { raiseError = false } = options;
    check(typeof raiseError === 'boolean', 'raiseError', 'a boolean', raiseError);
    this.raiseError = raiseError;
  }

  /** Reads the loss only: asks the wrapper for no statistics. */
  override get readsStats(): boolean {
    return false;
  }

  protected override async batchEnd(batch: number, logs: RawLogs): Promise<void> {
    const loss = await this.readLoss(logs);
    if (loss == null || Number.isFinite(loss)) return;
    this.stoppedAt = { epoch: this.epoch, batch, loss };
    if (this.raiseError) {
      throw new NonFiniteError(`NaN or Inf loss encountered at batch ${batch}. Loss value: ${loss}. Aborting training.`);
    }
    console.warn(`NaN or Inf loss encountered at batch ${batch}. Loss value: ${loss}. Terminating training.`);
    this.requestStop();
  }
}

/**
 * Stops training at the first batch whose loss is NaN or ±Infinity (Keras `TerminateOnNaN`).
 *
 * Gracefully by default: it warns "NaN or Inf loss encountered at batch {batch}. Loss value: {loss}."
 * and sets `model.stopTraining = true`, so `fit` ends after this batch (the epoch's `onEpochEnd` and
 * `onTrainEnd` still run) and resolves with the history. With `raiseError: true` it throws a
 * `NonFiniteError` with that message out of `fit` instead.
 *
 * @param options - `raiseError` (default false).
 * @returns a `tf.Callback` for `model.fit({ callbacks })`; `stoppedAt` tells where it stopped.
 * @throws ValueError if an option breaks its rule.
 * @example
 * ```ts
 * const stop = terminateOnNaN();
 * await model.fit(x, y, { callbacks: [stop] });
 * stop.stoppedAt; //=> { epoch: 0, batch: 8, loss: Infinity } or null
 * ```
 */
export function terminateOnNaN(options: TerminateOnNaNOptions = {}): TerminateOnNaN {
  return new TerminateOnNaN(options);
}
