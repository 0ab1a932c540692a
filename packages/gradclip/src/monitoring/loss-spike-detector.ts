/** `lossSpikeDetector`: flags sudden jumps of the loss and of the gradient norm during training. */
import { ValueError, check, checkInteger, checkOneOf, checkPositive, formatValue, checkKnownKeys } from '../errors.js';
import type { ClippedOptimizer, StepGateInfo } from '../optimizer/clipped-optimizer.js';
import { MonitorCallback, checkOptionalOptimizer, checkOptionsObject } from './monitor-callback.js';
import { SpikeRules, type SpikeRule } from '../spikes/spike-rules.js';
import type { RawLogs } from './log-values.js';
import type { StepRecord } from './step-record.js';

/** The series a detector watches. */
export type SpikeSeries = 'loss' | 'gradNorm';
/** What the detector does on a spike (besides calling `onSpike`). */
export type SpikeAction = 'warn' | 'stop' | 'skip' | 'none';

const SERIES: readonly SpikeSeries[] = ['loss', 'gradNorm'];
const ACTIONS: readonly SpikeAction[] = ['warn', 'stop', 'skip', 'none'];
const KNOWN = ['on', 'window', 'warmup', 'sigma', 'sigmaFactor', 'maxFactor', 'recordSpikes', 'action', 'onSpike', 'optimizer'] as const;

/** One detected spike. */
export interface SpikeEvent {
  /** 1-based step of this detector (cumulative over `fit` calls). */
  step: number;
  epoch: number;
  batch: number;
  series: SpikeSeries;
  rule: SpikeRule;
  value: number;
  /** The bound crossed (NaN for `nonFinite`). */
  threshold: number;
  /** What was done. */
  action: SpikeAction;
  /** A sentence for logs. */
  message: string;
}

/** Options of {@link lossSpikeDetector}. */
export interface LossSpikeDetectorOptions {
  /** Series to watch (default both; `gradNorm` needs a `ClippedOptimizer`). */
  on?: SpikeSeries[];
  /** Rolling window of the sigma rule, an integer >= 2 (default 128, OLMo-core/Levanter). */
  window?: number;
  /** Values needed before the sigma rule applies, an integer >= 2 (default `window / 2`, OLMo-core/Levanter). */
  warmup?: number;
  /** k of `mean + k·std`, a number > 0, or null to turn the sigma rule off (default 6; `transforms.skipOnSpike` uses the same name). */
  sigma?: number | null;
  /** @deprecated The old name of `sigma` (still accepted; give one of the two). */
  sigmaFactor?: number | null;
  /** Factor of the running maximum, a number > 1, or null to turn the rule off (default 10, Megatron). */
  maxFactor?: number | null;
  /**
   * Whether the values of a spiking step enter the statistics (default `false`: a skipped spike does
   * not raise the bar for the next one; `transforms.skipOnSpike` records them, as Levanter does).
   */
  recordSpikes?: boolean;
  /**
   * - `'warn'` (default): `console.warn` the spike.
   * - `'stop'`: warn and set `model.stopTraining = true`.
   * - `'skip'`: do not apply the step (through the wrapper's step gate: weights, optimizer slots and
   *   iterations stay as they were); needs a `ClippedOptimizer` (given here or as `model.optimizer`).
   *   Each step then reads its loss and norm on the host.
   * - `'none'`: only `onSpike`.
   */
  action?: SpikeAction;
  /** Called (and awaited) for each spike, after the batch. */
  onSpike?: (event: SpikeEvent) => void | Promise<void>;
  /** The wrapper to read norms from and to gate (default: `model.optimizer` when it is a `ClippedOptimizer`). */
  optimizer?: ClippedOptimizer;
}

/** The callback returned by {@link lossSpikeDetector}. */
export class LossSpikeDetector extends MonitorCallback {
  /** Every spike seen, in order. */
  readonly spikes: SpikeEvent[] = [];
  readonly action: SpikeAction;
  private readonly series: readonly SpikeSeries[];
  private readonly rules: Record<SpikeSeries, SpikeRules>;
  private readonly onSpike: LossSpikeDetectorOptions['onSpike'];
  private pending: SpikeEvent[] = [];
  private removeGate: (() => void) | null = null;
  private currentBatch = 0;
  private warnedNoNorm = false;

  constructor(options: LossSpikeDetectorOptions = {}) {
    checkOptionsObject(options);
    checkKnownKeys('lossSpikeDetector', options, KNOWN);
    super(checkOptionalOptimizer(options.optimizer));
    const { on = ['loss', 'gradNorm'], window = 128, maxFactor = 10, recordSpikes = false, action = 'warn', onSpike } = options;
    if (options.sigma !== undefined && options.sigmaFactor !== undefined) {
      throw new ValueError(
        `Give \`sigma\` or its old name \`sigmaFactor\`, not both. Received: sigma=${formatValue(options.sigma)}, sigmaFactor=${formatValue(options.sigmaFactor)}`,
      );
    }
    const sigma = options.sigma !== undefined ? options.sigma : options.sigmaFactor !== undefined ? options.sigmaFactor : 6;
    check(Array.isArray(on) && on.length > 0 && on.every((s) => (SERIES as string[]).includes(s)), 'on', "a non-empty array of 'loss', 'gradNorm'", on);
    checkInteger('window', window, 2);
    const warmup = options.warmup ?? Math.max(2, Math.floor(window / 2));
    checkInteger('warmup', warmup, 2);
    if (sigma !== null) checkPositive(options.sigmaFactor !== undefined ? 'sigmaFactor' : 'sigma', sigma);
    if (maxFactor !== null) check(typeof maxFactor === 'number' && Number.isFinite(maxFactor) && maxFactor > 1, 'maxFactor', 'a finite number > 1 or null', maxFactor);
    if (sigma === null && maxFactor === null) {
      throw new ValueError(`At least one of \`sigma\` and \`maxFactor\` must be set. Received: sigma=null, maxFactor=null`);
    }
    check(typeof recordSpikes === 'boolean', 'recordSpikes', 'a boolean', recordSpikes);
    checkOneOf('action', action, ACTIONS);
    check(onSpike === undefined || typeof onSpike === 'function', 'onSpike', 'a function', onSpike);
    this.series = [...new Set(on)];
    this.action = action;
    this.onSpike = onSpike;
    const ruleOptions = { history: window, warmup, sigma, maxFactor, recordSpikes, nonFiniteDuringWarmup: true };
    this.rules = { loss: new SpikeRules(ruleOptions), gradNorm: new SpikeRules(ruleOptions) };
  }

  /** The gradient-norm series reads the wrapper's statistics after the step (the skip action gets the norm in the step). */
  override get readsStats(): boolean {
    return this.action !== 'skip' && this.series.includes('gradNorm');
  }

  protected override async trainBegin(): Promise<void> {
    if (this.action !== 'skip') return;
    const opt = this.optimizer;
    if (opt == null) {
      throw new ValueError(
        "lossSpikeDetector({ action: 'skip' }) needs a ClippedOptimizer: compile the model with withClipping(optimizer) " +
          `or pass \`optimizer\`. Received: model.optimizer=${formatValue(((this.model as { optimizer?: { constructor: { name: string } } } | undefined)?.optimizer?.constructor.name) ?? null)}`,
      );
    }
    this.removeGate?.();
    this.removeGate = opt.addStepGate((info) => this.gate(info));
  }

  protected override async trainEnd(): Promise<void> {
    this.removeGate?.();
    this.removeGate = null;
  }

  protected override async batchBegin(batch: number): Promise<void> {
    this.currentBatch = batch;
  }

  /** Runs inside the step (skip action): checks the loss and norm the wrapper read, skips on a spike. */
  private gate(info: StepGateInfo): boolean {
    const found = this.checkValues(this.globalStep + 1, this.epoch, this.currentBatch, {
      loss: info.loss,
      gradNorm: info.globalNorm,
    });
    this.pending.push(...found);
    return found.length > 0;
  }

  private checkValues(step: number, epoch: number, batch: number, values: Record<SpikeSeries, number | null>): SpikeEvent[] {
    const found: SpikeEvent[] = [];
    for (const s of this.series) {
      const v = values[s];
      if (v == null) continue;
      const verdict = this.rules[s].check(v);
      if (verdict == null) continue;
      const what = s === 'loss' ? 'Loss' : 'Gradient norm';
      const why =
        verdict.rule === 'nonFinite'
          ? 'is not finite'
          : verdict.rule === 'sigma'
            ? `is above mean + ${this.rules[s].options.sigma}·std of the last ${this.rules[s].history.length} steps (${fmt(verdict.threshold)})`
            : `is above ${this.rules[s].options.maxFactor}x the largest value so far (${fmt(verdict.threshold)})`;
      const done = { warn: '', stop: ' Stopping training.', skip: ' Skipping this step.', none: '' }[this.action];
      found.push({
        step,
        epoch,
        batch,
        series: s,
        rule: verdict.rule,
        value: v,
        threshold: verdict.threshold,
        action: this.action,
        message: `${what} spike at step ${step} (epoch ${epoch}, batch ${batch}): ${fmt(v)} ${why}.${done}`,
      });
    }
    // Without recordSpikes, no value of a spiking step enters any window (a skipped step never happened).
    for (const s of this.series) if (values[s] != null) this.rules[s].record(values[s] as number, found.length > 0);
    return found;
  }

  protected override async step(record: StepRecord): Promise<void> {
    let events: SpikeEvent[];
    if (this.action === 'skip') {
      events = this.pending;
      this.pending = [];
    } else {
      if (this.series.includes('gradNorm') && record.stats == null && !this.warnedNoNorm) {
        this.warnedNoNorm = true;
        console.warn('gradclip lossSpikeDetector: no gradient statistics (compile with withClipping(optimizer)); watching the loss only.');
      }
      events = this.checkValues(record.step, record.epoch, record.batch, {
        loss: record.loss,
        gradNorm: record.stats?.globalNorm ?? null,
      });
    }
    for (const e of events) {
      this.spikes.push(e);
      if (this.action !== 'none') console.warn(`gradclip: ${e.message}`);
      if (this.onSpike) await this.onSpike(e);
    }
    if (events.length > 0 && this.action === 'stop') this.requestStop();
  }

  protected override async batchEnd(batch: number, logs: RawLogs): Promise<void> {
    await this.step(await this.readRecord(batch, logs));
  }
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(4) : String(x);
}

/**
 * A `model.fit` callback that flags sudden jumps of the loss and of the gradient norm, with the
 * rules of large LLM runs: above `mean + 6·std` of the last 128 values after a warm-up of 64
 * (OLMo-core, Levanter) and above 10x the largest value so far (Megatron-LM). NaN/±inf values count
 * as spikes. Spiking values are kept out of the statistics.
 *
 * Actions: `'warn'` (default), `'stop'` (`model.stopTraining = true`), `'skip'` (the wrapper does not
 * apply the step: weights, optimizer slots and iterations stay as they were), `'none'`; `onSpike` is
 * called for each spike in every mode. Works in custom loops through `TrainingMonitor`.
 *
 * References: OLMo-core `SkipStepOptimizer` (allenai/OLMo-core); Levanter `SkipStepConfig`
 * (stanford-crfm/levanter); Megatron-LM `--check-for-spiky-loss`.
 *
 * @param options - see {@link LossSpikeDetectorOptions}.
 * @returns a `tf.Callback`; `spikes` lists every {@link SpikeEvent}.
 * @throws ValueError if an option breaks its rule (checked here), or at `fit` start when `action: 'skip'`
 *   finds no `ClippedOptimizer`.
 * @example
 * ```ts
 * const opt = withClipping(tf.train.adam(1e-3));
 * model.compile({ optimizer: opt, loss: 'meanSquaredError' });
 * const spikes = lossSpikeDetector({ action: 'skip', window: 32 });
 * await model.fit(x, y, { callbacks: [spikes] });
 * spikes.spikes; //=> [{ step: 41, series: 'loss', rule: 'sigma', value: 812.3, … }] or []
 * ```
 */
export function lossSpikeDetector(options: LossSpikeDetectorOptions = {}): LossSpikeDetector {
  return new LossSpikeDetector(options);
}
