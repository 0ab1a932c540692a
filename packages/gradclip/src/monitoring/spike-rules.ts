/**
 * The two spike rules used in large training runs, on one series of values (loss or gradient norm):
 *
 * - **sigma** (OLMo-core `SkipStepOptimizer`, Levanter `SkipStepConfig`): a value above
 *   `mean + sigmaFactor·std` of the last `window` accepted values, once `warmup` values are in
 *   (defaults 6σ over 128 values after 64; std floored at `1e-6`, population std).
 * - **maxFactor** (Megatron-LM `--check-for-spiky-loss`): a value above `maxFactor` times the largest
 *   accepted value so far (default 10, only while that maximum is > 0).
 *
 * A NaN or ±inf value is always a spike (rule `nonFinite`). Spikes are not added to the window or
 * the maximum, so a skipped spike does not raise the bar for the next one. One-sided: only upward
 * jumps count. Pure: no tfjs.
 */

/** Which rule fired. */
export type SpikeRule = 'sigma' | 'maxFactor' | 'nonFinite';

/** Parameters of {@link SpikeRules}. */
export interface SpikeRuleOptions {
  /** Values in the rolling window (OLMo/Levanter 128). */
  window: number;
  /** Values needed before the sigma rule applies (OLMo/Levanter: window / 2). */
  warmup: number;
  /** k of `mean + k·std`, or null to turn the sigma rule off (OLMo/Levanter 6). */
  sigmaFactor: number | null;
  /** Factor of the running maximum, or null to turn the rule off (Megatron 10). */
  maxFactor: number | null;
}

/** A rule that fired on a value. */
export interface SpikeVerdict {
  rule: SpikeRule;
  value: number;
  /** The bound the value crossed (NaN for `nonFinite`). */
  threshold: number;
}

/** Floor of the rolling std (Levanter), so a flat series does not flag every tiny rise. */
export const MIN_STD = 1e-6;

/** The spike rules over one series. */
export class SpikeRules {
  private readonly buf: number[] = [];
  private at = 0;
  private seen = 0;
  private max = -Infinity;

  constructor(readonly options: SpikeRuleOptions) {}

  /** Values accepted so far. */
  get count(): number {
    return this.seen;
  }

  /** Checks a value against the accepted history (does not record it). */
  check(value: number): SpikeVerdict | null {
    if (!Number.isFinite(value)) return { rule: 'nonFinite', value, threshold: NaN };
    const { sigmaFactor, maxFactor, warmup } = this.options;
    if (sigmaFactor != null && this.seen >= Math.max(2, warmup)) {
      const n = this.buf.length;
      const mean = this.buf.reduce((a, b) => a + b, 0) / n;
      const variance = this.buf.reduce((a, b) => a + (b - mean) * (b - mean), 0) / n;
      const threshold = mean + sigmaFactor * Math.max(Math.sqrt(variance), MIN_STD);
      if (value > threshold) return { rule: 'sigma', value, threshold };
    }
    if (maxFactor != null && this.seen > 0 && this.max > 0) {
      const threshold = maxFactor * this.max;
      if (value > threshold) return { rule: 'maxFactor', value, threshold };
    }
    return null;
  }

  /** Records an accepted (non-spike, finite) value. */
  accept(value: number): void {
    if (!Number.isFinite(value)) return;
    if (this.buf.length < this.options.window) this.buf.push(value);
    else this.buf[this.at] = value;
    this.at = (this.at + 1) % this.options.window;
    this.seen += 1;
    if (value > this.max) this.max = value;
  }

  /** Checks a value and records it when it is not a spike. */
  observe(value: number): SpikeVerdict | null {
    const v = this.check(value);
    if (v == null) this.accept(value);
    return v;
  }
}
