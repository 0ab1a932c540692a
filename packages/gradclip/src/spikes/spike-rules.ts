/**
 * The spike rules of large training runs, on one series of values (a loss or a gradient norm), in one
 * vocabulary for every gradclip feature that looks for spikes (`lossSpikeDetector`,
 * `transforms.skipOnSpike`):
 *
 * - **sigma** (OLMo-core `SkipStepOptimizer`, Levanter `SkipStepConfig`): a value above
 *   `mean + sigma·max(std, 1e-6)` of the recorded history (population std; NaN entries ignored,
 *   then Levanter's `nan_to_num`: a NaN mean counts as 0, an infinite mean as ±float32 max, a NaN or
 *   infinite std as 1e-6), once `warmup` values have been recorded.
 * - **maxFactor** (Megatron-LM `--check-for-spiky-loss`): a value above `maxFactor` times the largest
 *   finite value recorded so far (only while that maximum is > 0).
 * - **nonFinite**: a NaN or ±inf value. With `nonFiniteDuringWarmup`, it is a spike from the first
 *   step; otherwise it is judged like any value (Levanter: NaN and +inf fail `value <= threshold`
 *   once the sigma rule applies, -inf passes).
 *
 * The options that differ between the features are explicit here:
 * - `recordSpikes`: whether a spiking value enters the history. `lossSpikeDetector` keeps spikes out
 *   (a skipped spike does not raise the bar for the next one; default `false` there);
 *   `skipOnSpike` records every step, as Levanter does (default `true` there).
 * - `history`: how many recent values the statistics use. `lossSpikeDetector` uses its last `window`
 *   values; `skipOnSpike` its last `window + 1` (Levanter's ring buffer of `rolling_interval_length + 1`).
 *
 * One-sided: only upward jumps count. Pure: no tfjs.
 */
import { check, checkInteger, isFiniteNumber } from '../errors.js';

/** Which rule fired. */
export type SpikeRule = 'sigma' | 'maxFactor' | 'nonFinite';

/** Parameters of {@link SpikeRules}. */
export interface SpikeRuleOptions {
  /** Recent values the sigma statistics use, an integer >= 1. */
  history: number;
  /** Values recorded before the sigma rule applies, an integer >= 2. */
  warmup: number;
  /** k of `mean + k·std`, a number > 0, or null to turn the sigma rule off (OLMo/Levanter 6). */
  sigma: number | null;
  /** Factor of the running maximum, a number > 1, or null to turn the rule off (Megatron 10). */
  maxFactor: number | null;
  /** Whether a spiking value is recorded (enters the statistics and the maximum). */
  recordSpikes: boolean;
  /** Whether a NaN/±inf value is a spike before `warmup` values are recorded. */
  nonFiniteDuringWarmup: boolean;
}

/** A rule that fired on a value. */
export interface SpikeVerdict {
  rule: SpikeRule;
  value: number;
  /** The bound the value crossed (NaN for `nonFinite`). */
  threshold: number;
}

/** Floor of the rolling std (Levanter), so a flat series does not flag every tiny rise. */
export const STD_FLOOR = 1e-6;

const F32_MAX = 3.4028234663852886e38;

/**
 * `mean + sigma·max(std, 1e-6)` over the non-NaN values, with Levanter's `nan_to_num` fallbacks
 * (see the file comment). Float64 on the host.
 */
export function sigmaThreshold(values: readonly number[], sigma: number): number {
  const xs = values.filter((x) => !Number.isNaN(x));
  let mean = xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
  let std = xs.length === 0 ? NaN : Math.sqrt(xs.reduce((s, x) => s + (x - mean) * (x - mean), 0) / xs.length);
  // jnp.maximum propagates NaN; nan_to_num then maps NaN and ±inf of the std to 1e-6.
  std = Number.isNaN(std) ? NaN : Math.max(std, STD_FLOOR);
  if (!Number.isFinite(std)) std = STD_FLOOR;
  // nan_to_num(mean, nan=0): NaN → 0, ±inf → ±float32 max.
  if (Number.isNaN(mean)) mean = 0;
  else if (mean === Infinity) mean = F32_MAX;
  else if (mean === -Infinity) mean = -F32_MAX;
  return mean + sigma * std;
}

/** Validates rule options, naming the option as the calling feature spells it. */
export function checkSpikeRuleOptions(o: SpikeRuleOptions): void {
  checkInteger('history', o.history, 1);
  checkInteger('warmup', o.warmup, 2);
  if (o.sigma !== null) check(isFiniteNumber(o.sigma) && o.sigma > 0, 'sigma', 'a finite number > 0 or null', o.sigma);
  if (o.maxFactor !== null) check(isFiniteNumber(o.maxFactor) && o.maxFactor > 1, 'maxFactor', 'a finite number > 1 or null', o.maxFactor);
}

/** The spike rules over one series: its recorded history and running maximum (plain data inside). */
export class SpikeRules {
  private values: number[];
  private recorded: number;
  private max: number;

  /**
   * @param options - the rule parameters (see {@link SpikeRuleOptions}).
   * @param history - a history to resume from, oldest first (e.g. a transform's saved state); the
   *   values count as recorded.
   */
  constructor(
    readonly options: SpikeRuleOptions,
    history: readonly number[] = [],
  ) {
    checkSpikeRuleOptions(options);
    this.values = history.slice(-options.history);
    this.recorded = history.length;
    this.max = history.reduce((m, v) => (Number.isFinite(v) && v > m ? v : m), -Infinity);
  }

  /** Values recorded so far. */
  get count(): number {
    return this.recorded;
  }

  /** The history the statistics use now, oldest first. */
  get history(): readonly number[] {
    return this.values;
  }

  /** Checks a value against the recorded history (does not record it). */
  check(value: number): SpikeVerdict | null {
    const { sigma, maxFactor, warmup, nonFiniteDuringWarmup } = this.options;
    const finite = Number.isFinite(value);
    if (!finite && nonFiniteDuringWarmup) return { rule: 'nonFinite', value, threshold: NaN };
    if (sigma !== null && this.recorded >= warmup) {
      const threshold = sigmaThreshold(this.values, sigma);
      // Levanter's test is `value <= threshold` passes: NaN and +inf fail it, -inf passes.
      if (!(value <= threshold)) return finite ? { rule: 'sigma', value, threshold } : { rule: 'nonFinite', value, threshold: NaN };
    }
    if (maxFactor !== null && this.max > 0 && value > maxFactor * this.max) {
      return finite ? { rule: 'maxFactor', value, threshold: maxFactor * this.max } : { rule: 'nonFinite', value, threshold: NaN };
    }
    return null;
  }

  /**
   * Records a value: always when `recordSpikes`, else only when `spike` is false and the value is
   * finite (a non-finite value is never recorded then).
   */
  record(value: number, spike: boolean): void {
    if (!this.options.recordSpikes && (spike || !Number.isFinite(value))) return;
    this.values.push(value);
    if (this.values.length > this.options.history) this.values.shift();
    this.recorded += 1;
    if (Number.isFinite(value) && value > this.max) this.max = value;
  }

  /** Checks a value, then records it as the options say. */
  observe(value: number): SpikeVerdict | null {
    const v = this.check(value);
    this.record(value, v !== null);
    return v;
  }
}
