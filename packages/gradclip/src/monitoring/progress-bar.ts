/**
 * `progressBar()`: a terminal progress display for `model.fit` (epoch, batch, loss, gradient norm,
 * clip rate, time left) with `cli-progress`, and `registerProgressBar()` to show it for `verbose: 1`.
 * Node only.
 */
import * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import { check, checkKnownKeys } from '../errors.js';
import type { ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { checkOptionalOptimizer, checkOptionsObject } from './monitor-callback.js';
import { MonitorCallback } from './monitor-callback.js';
import type { StepRecord } from './step-record.js';

/** Options of {@link progressBar}. */
export interface ProgressBarOptions {
  /** Where to draw (default `process.stderr`). */
  stream?: NodeJS.WritableStream;
  /** Draw even when the stream is not a terminal (default false, as cli-progress). */
  noTTYOutput?: boolean;
  /** The wrapper to read gradient norms from (default: `model.optimizer` when it is one). */
  optimizer?: ClippedOptimizer;
}

const FORMAT = 'Epoch {epochs} [{bar}] {value}/{total} | loss {loss} | grad norm {gradNorm} | clip rate {clipRate} | ETA {eta_formatted}';

function fmt(x: number | null): string {
  return x == null ? '-' : Number.isFinite(x) ? x.toPrecision(4) : String(x);
}

/** The callback returned by {@link progressBar}. */
export class ProgressBarLogger extends MonitorCallback {
  private readonly stream: NodeJS.WritableStream;
  private readonly noTTYOutput: boolean;
  private bar: cliProgress.SingleBar | null = null;
  private clipped = 0;
  private withStats = 0;

  constructor(options: ProgressBarOptions = {}) {
    checkOptionsObject(options);
    checkKnownKeys('progressBar', options, ['stream', 'noTTYOutput', 'optimizer']);
    super(checkOptionalOptimizer(options.optimizer));
    const { stream = process.stderr, noTTYOutput = false } = options;
    check(stream != null && typeof (stream as { write?: unknown }).write === 'function', 'stream', 'a writable stream', stream);
    check(typeof noTTYOutput === 'boolean', 'noTTYOutput', 'a boolean', noTTYOutput);
    this.stream = stream;
    this.noTTYOutput = noTTYOutput;
  }

  private epochs(): string {
    const total = (this.params as { epochs?: number } | undefined)?.epochs;
    return typeof total === 'number' && Number.isFinite(total) ? `${this.epoch + 1}/${total}` : `${this.epoch + 1}`;
  }

  protected override async epochBegin(): Promise<void> {
    this.bar?.stop();
    this.clipped = 0;
    this.withStats = 0;
    this.bar = new cliProgress.SingleBar(
      { format: FORMAT, stream: this.stream, noTTYOutput: this.noTTYOutput, hideCursor: false, etaBuffer: 20, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.stepsPerEpoch() ?? 0, 0, { epochs: this.epochs(), loss: '-', gradNorm: '-', clipRate: '-' });
  }

  protected override async step(r: StepRecord): Promise<void> {
    if (r.stats != null) {
      this.withStats += 1;
      if (r.stats.clipped) this.clipped += 1;
    }
    const clipRate = this.withStats > 0 ? `${((100 * this.clipped) / this.withStats).toFixed(0)}%` : '-';
    if (this.bar != null && this.bar.getTotal() < r.batch + 1) this.bar.setTotal(r.batch + 1);
    this.bar?.update(r.batch + 1, { epochs: this.epochs(), loss: fmt(r.loss), gradNorm: fmt(r.stats?.globalNorm ?? null), clipRate });
  }

  protected override async epochEnd(_epoch: number, logs: Record<string, number>): Promise<void> {
    this.bar?.stop();
    this.bar = null;
    const parts = Object.entries(logs).map(([k, v]) => `${k}=${fmt(v)}`);
    this.stream.write(`Epoch ${this.epochs()}: ${parts.join(' ')}\n`);
  }

  protected override async trainEnd(): Promise<void> {
    this.bar?.stop();
    this.bar = null;
  }
}

/**
 * A `model.fit` callback that draws a progress bar per epoch in a Node terminal: epoch and batch,
 * loss, gradient norm (with a `ClippedOptimizer`), clip rate of the epoch so far, and time left; then
 * one summary line per epoch.
 *
 * @param options - see {@link ProgressBarOptions}.
 * @returns a `tf.Callback`.
 * @throws ValueError if an option breaks its rule.
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 5, verbose: 0, callbacks: [progressBar()] });
 * // Epoch 1/5 [████████░░░░] 12/16 | loss 0.2313 | grad norm 1.204 | clip rate 25% | ETA 1s
 * ```
 */
export function progressBar(options: ProgressBarOptions = {}): ProgressBarLogger {
  return new ProgressBarLogger(options);
}

let registered = false;

/** tfjs builds registered callbacks with `new ctor()`; this one takes no arguments. */
class RegisteredProgressBar extends ProgressBarLogger {
  constructor() {
    super();
  }
}

/**
 * Shows {@link progressBar} in every `model.fit` run with `verbose >= 1` (tfjs's default), as
 * tfjs-node does with its own progress bar. Opt-in and idempotent: call it once at start-up (tfjs
 * throws "Duplicate callback constructor" when the same constructor is registered twice; this guards
 * against that). If tfjs-node is also loaded, both bars print.
 *
 * @returns true when it registered now, false when it was already registered.
 * @example
 * ```ts
 * import { registerProgressBar } from 'gradclip/node';
 * registerProgressBar();
 * await model.fit(x, y, { epochs: 5 }); // verbose defaults to 1: the bar shows
 * ```
 */
export function registerProgressBar(): boolean {
  if (registered) return false;
  tf.registerCallbackConstructor(1, RegisteredProgressBar as unknown as Parameters<typeof tf.registerCallbackConstructor>[1]);
  registered = true;
  return true;
}
