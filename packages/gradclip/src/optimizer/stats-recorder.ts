/**
 * Statistics on demand: who asked the optimizer wrapper for which statistics, and the last step's
 * statistics and gradients it keeps for them. A wrapper that nobody asked keeps no tensor between
 * steps (a true drop-in for a bare `tf.Optimizer`, whose `tf.memory()` counts it then matches).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatValue } from '../errors.js';
import type { NamedTensor } from '../core/grad-forms.js';
import { statsTensors, type StatsOptions, type StepStatsTensors } from './step-stats.js';

/** What one step records, decided when it starts (see {@link StatsRecorder.plan}). */
export interface StatsPlan {
  /** Record the base statistics (and keep them until the next step). */
  readonly record: boolean;
  readonly perVariable: boolean;
  readonly updateRatios: boolean;
  readonly keepGradients: boolean;
}

const OPTIONAL = ['perVariable', 'updateRatios', 'keepGradients'] as const;

/** The plan of a step that nobody observes. */
const NOTHING: StatsPlan = Object.freeze({ record: false, perVariable: false, updateRatios: false, keepGradients: false });

/**
 * Counts requests for statistics and keeps what they asked for. Any request records the base
 * statistics; `perVariable`, `updateRatios` and `keepGradients` add to them. When the last request
 * is withdrawn, the kept statistics are disposed at once (and the kept gradients when the last
 * `keepGradients` request goes).
 *
 * @example
 * ```ts
 * const r = new StatsRecorder();
 * r.plan().record; //=> false (nobody asked)
 * const release = r.request({ perVariable: true });
 * r.plan(); //=> { record: true, perVariable: true, updateRatios: false, keepGradients: false }
 * release();
 * r.plan().record; //=> false
 * ```
 */
export class StatsRecorder {
  private requests = 0;
  private readonly optional = { perVariable: 0, updateRatios: 0, keepGradients: 0 };
  private stats: StepStatsTensors | null = null;
  private grads: NamedTensor[] | null = null;

  /**
   * Adds a request (validated: an object whose keys are {@link StatsOptions}' own); returns the
   * function that withdraws it (idempotent).
   *
   * @throws ValueError when `options` is not an object or has an unknown key.
   */
  request(options: StatsOptions = {}): () => void {
    if (typeof options !== 'object' || options === null) {
      throw new ValueError(`\`options\` must be an object. Received: options=${formatValue(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (!(OPTIONAL as readonly string[]).includes(key)) {
        throw new ValueError(`Unknown stats option \`${key}\`. Known options: ${OPTIONAL.join(', ')}.`);
      }
    }
    const keys = OPTIONAL.filter((k) => options[k] === true);
    this.requests += 1;
    for (const k of keys) this.optional[k] += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.requests -= 1;
      for (const k of keys) this.optional[k] -= 1;
      if (this.optional.keepGradients === 0) this.keepGradients(null);
      if (this.requests === 0) this.commit(null);
    };
  }

  /** Whether anything asked for statistics (then every step records them). */
  get recording(): boolean {
    return this.requests > 0;
  }

  /** Which optional statistics are on now. */
  get enabled(): Required<StatsOptions> {
    const o = this.optional;
    return { perVariable: o.perVariable > 0, updateRatios: o.updateRatios > 0, keepGradients: o.keepGradients > 0 };
  }

  /** What a step that starts now records. */
  plan(): StatsPlan {
    if (this.requests === 0) return NOTHING;
    const o = this.optional;
    return { record: true, perVariable: o.perVariable > 0, updateRatios: o.updateRatios > 0, keepGradients: o.keepGradients > 0 };
  }

  /** The last step's statistics (owned here; replaced at the next step), or null. */
  get current(): StepStatsTensors | null {
    return this.stats;
  }

  /** The last step's gradients before clipping, while `keepGradients` is requested (owned here). */
  get keptGradients(): readonly NamedTensor[] | null {
    return this.grads;
  }

  /**
   * Replaces the kept statistics with `stats` (taking ownership: its tensors are kept out of any
   * `tf.tidy` scope), or drops them (`null`). Statistics that arrive when nobody asks any more
   * (a request withdrawn during the step) are disposed at once.
   */
  commit(stats: StepStatsTensors | null): void {
    const old = this.stats;
    if (stats != null && this.requests === 0) {
      tf.dispose(statsTensors(stats));
      stats = null;
    }
    if (stats != null) for (const t of statsTensors(stats)) tf.keep(t);
    this.stats = stats;
    if (old != null && old !== stats) tf.dispose(statsTensors(old));
  }

  /** Replaces the kept gradients (taking ownership: kept out of any `tf.tidy` scope), or drops them (`null`). */
  keepGradients(grads: NamedTensor[] | null): void {
    const old = this.grads;
    if (grads != null) for (const g of grads) tf.keep(g.tensor);
    this.grads = grads;
    if (old != null) tf.dispose(old.map((g) => g.tensor));
  }

  /** Disposes what is kept (statistics and gradients); the requests stay. */
  dispose(): void {
    this.commit(null);
    this.keepGradients(null);
  }
}
