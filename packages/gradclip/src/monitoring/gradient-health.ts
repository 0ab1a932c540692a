/** `gradientHealth`: names the layers whose gradients vanish or explode, in words a user can act on. */
import type * as tf from '@tensorflow/tfjs';
import { check, checkInteger, checkPositive, checkKnownKeys } from '../errors.js';
import type { ClippedOptimizer, VariableStats } from '../optimizer/clipped-optimizer.js';
import { MonitorCallback, checkOptionalOptimizer, checkOptionsObject } from './monitor-callback.js';
import type { StepRecord } from './step-record.js';

const KNOWN = ['freq', 'vanishingRatio', 'vanishingFactor', 'explodingFactor', 'onReport', 'log', 'optimizer'] as const;

/** Options of {@link gradientHealth}. */
export interface GradientHealthOptions {
  /** Check every this many steps (an integer >= 1), or at the end of each epoch (`'epoch'`, the default). */
  freq?: number | 'epoch';
  /** A layer whose `‖grad‖ / ‖weights‖` is below this is vanishing (default 1e-7). */
  vanishingRatio?: number;
  /** A layer whose `‖grad‖ / ‖weights‖` is below this fraction of the most active layer's is vanishing (default 1e-4). */
  vanishingFactor?: number;
  /** A layer whose gradient norm grew by more than this factor since its first check is exploding (default 1e3). */
  explodingFactor?: number;
  /** Called (and awaited) with every report. */
  onReport?: (report: GradientHealthReport) => void | Promise<void>;
  /** `console.warn` the problems found (default true). */
  log?: boolean;
  /** The wrapper to read per-variable norms from (default: `model.optimizer` when it is a `ClippedOptimizer`). */
  optimizer?: ClippedOptimizer;
}

/** Status of one layer. */
export type LayerStatus = 'ok' | 'vanishing' | 'exploding';

/** One layer in a {@link GradientHealthReport}. */
export interface LayerHealth {
  layer: string;
  /** Its trainable variables. */
  variables: string[];
  /** L2 norm of the layer's gradients (all its variables) before clipping. */
  gradNorm: number;
  /** L2 norm of the layer's weights. */
  weightNorm: number;
  /** `gradNorm / weightNorm`. */
  ratio: number;
  status: LayerStatus;
  /** The plain-words diagnosis (null when ok). */
  message: string | null;
}

/** The result of one check. */
export interface GradientHealthReport {
  step: number;
  epoch: number;
  layers: LayerHealth[];
  /** Names of the vanishing layers. */
  vanishing: string[];
  /** Names of the exploding layers. */
  exploding: string[];
  /** One sentence per problem. */
  messages: string[];
}

/** The callback returned by {@link gradientHealth}. */
export class GradientHealth extends MonitorCallback {
  /** Every report, in order. */
  readonly reports: GradientHealthReport[] = [];
  private readonly freq: number | 'epoch';
  private readonly vanishingRatio: number;
  private readonly vanishingFactor: number;
  private readonly explodingFactor: number;
  private readonly onReport: GradientHealthOptions['onReport'];
  private readonly log: boolean;
  private readonly baseline = new Map<string, { step: number; gradNorm: number }>();
  private release: (() => void) | null = null;
  private lastVars: { record: StepRecord; vars: VariableStats[] } | null = null;
  private warned = false;

  constructor(options: GradientHealthOptions = {}) {
    checkOptionsObject(options);
    checkKnownKeys('gradientHealth', options, KNOWN);
    super(checkOptionalOptimizer(options.optimizer));
    const { freq = 'epoch', vanishingRatio = 1e-7, vanishingFactor = 1e-4, explodingFactor = 1e3, onReport, log = true } = options;
    if (freq !== 'epoch') checkInteger('freq', freq, 1);
    checkPositive('vanishingRatio', vanishingRatio);
    check(typeof vanishingFactor === 'number' && vanishingFactor > 0 && vanishingFactor < 1, 'vanishingFactor', 'a number in (0, 1)', vanishingFactor);
    check(typeof explodingFactor === 'number' && Number.isFinite(explodingFactor) && explodingFactor > 1, 'explodingFactor', 'a finite number > 1', explodingFactor);
    check(onReport === undefined || typeof onReport === 'function', 'onReport', 'a function', onReport);
    check(typeof log === 'boolean', 'log', 'a boolean', log);
    this.freq = freq;
    this.vanishingRatio = vanishingRatio;
    this.vanishingFactor = vanishingFactor;
    this.explodingFactor = explodingFactor;
    this.onReport = onReport;
    this.log = log;
  }

  /** The last report, or null. */
  get lastReport(): GradientHealthReport | null {
    return this.reports.length > 0 ? this.reports[this.reports.length - 1] : null;
  }

  private wantsStats(batch: number): boolean {
    if (this.freq === 'epoch') {
      const spe = this.stepsPerEpoch();
      return spe == null || batch >= spe - 1;
    }
    return (this.globalStep + 1) % this.freq === 0;
  }

  protected override async trainBegin(): Promise<void> {
    if (this.optimizer == null && !this.warned) {
      this.warned = true;
      console.warn('gradclip gradientHealth: needs a ClippedOptimizer (compile with withClipping(optimizer)); no checks will run.');
    }
  }

  protected override async batchBegin(batch: number): Promise<void> {
    this.release?.();
    this.release = null;
    const opt = this.optimizer;
    if (opt != null && this.wantsStats(batch)) this.release = opt.enableStats({ perVariable: true });
  }

  protected override async step(record: StepRecord): Promise<void> {
    this.release?.();
    this.release = null;
    const vars = record.stats?.variables;
    if (vars == null || vars.every((v) => Number.isNaN(v.weightNorm))) return;
    if (this.freq === 'epoch') this.lastVars = { record, vars };
    else if (record.step % this.freq === 0) await this.report(record, vars);
  }

  protected override async epochEnd(): Promise<void> {
    if (this.freq === 'epoch' && this.lastVars != null) {
      const { record, vars } = this.lastVars;
      this.lastVars = null;
      await this.report(record, vars);
    }
  }

  protected override async trainEnd(): Promise<void> {
    this.release?.();
    this.release = null;
  }

  private layerOf(): Map<string, string> {
    const map = new Map<string, string>();
    const model = this.model as tf.LayersModel | undefined;
    for (const layer of model?.layers ?? []) for (const w of layer.trainableWeights) map.set(w.name, layer.name);
    return map;
  }

  /** Builds, logs and hands out the report of one step. */
  private async report(record: StepRecord, vars: VariableStats[]): Promise<void> {
    const report = this.diagnose(record, vars);
    this.reports.push(report);
    if (this.log) for (const m of report.messages) console.warn(`gradclip: ${m}`);
    if (this.onReport) await this.onReport(report);
  }

  private diagnose(record: StepRecord, vars: VariableStats[]): GradientHealthReport {
    const owner = this.layerOf();
    const groups = new Map<string, VariableStats[]>();
    for (const v of vars) {
      const layer = owner.get(v.name) ?? (v.name.includes('/') ? v.name.slice(0, v.name.lastIndexOf('/')) : v.name);
      groups.set(layer, [...(groups.get(layer) ?? []), v]);
    }
    const layers: LayerHealth[] = [...groups].map(([layer, vs]) => {
      const gradNorm = Math.sqrt(vs.reduce((a, v) => a + v.gradNorm * v.gradNorm, 0));
      const weightNorm = Math.sqrt(vs.reduce((a, v) => a + v.weightNorm * v.weightNorm, 0));
      return { layer, variables: vs.map((v) => v.name), gradNorm, weightNorm, ratio: gradNorm / weightNorm, status: 'ok', message: null };
    });
    const finiteRatios = layers.map((l) => l.ratio).filter((r) => Number.isFinite(r));
    const best = layers.filter((l) => Number.isFinite(l.ratio)).sort((a, b) => b.ratio - a.ratio)[0];
    const at = `at step ${record.step} (epoch ${record.epoch})`;
    for (const l of layers) {
      const base = this.baseline.get(l.layer);
      if (!Number.isFinite(l.gradNorm)) {
        l.status = 'exploding';
        l.message =
          `Layer "${l.layer}": gradients are not finite (${l.gradNorm}) ${at}. The step will write NaN/Inf into the weights. ` +
          "Clip with withClipping(optimizer, { globalClipnorm: 1, nonFinite: 'skip' }), lower the learning rate, or normalise the inputs.";
      } else if (base != null && base.gradNorm > 0 && l.gradNorm > base.gradNorm * this.explodingFactor) {
        l.status = 'exploding';
        l.message =
          `Layer "${l.layer}": gradients are exploding: the gradient norm grew ${fmt(l.gradNorm / base.gradNorm)}x, from ` +
          `${fmt(base.gradNorm)} at step ${base.step} to ${fmt(l.gradNorm)} ${at}. ` +
          'Clip with withClipping(optimizer, { globalClipnorm: 1 }), lower the learning rate, or normalise the inputs of this layer.';
      } else if (l.gradNorm === 0) {
        l.status = 'vanishing';
        l.message =
          `Layer "${l.layer}": gradients are exactly zero ${at}, so it is not learning at all ` +
          '(dead ReLUs, a saturated activation, or a layer cut off from the loss). Try LeakyReLU/ELU, another initialisation or a lower learning rate.';
      } else if (
        Number.isFinite(l.ratio) &&
        finiteRatios.length > 0 &&
        (l.ratio < this.vanishingRatio || (best != null && best !== l && l.ratio < best.ratio * this.vanishingFactor))
      ) {
        l.status = 'vanishing';
        l.message =
          `Layer "${l.layer}": gradients are vanishing: the gradient norm ${fmt(l.gradNorm)} is only ${fmt(l.ratio)} of its weight norm ` +
          `${at}` +
          (best != null && best !== l ? `, ${fmt(best.ratio / l.ratio)}x less than layer "${best.layer}" (${fmt(best.ratio)})` : '') +
          '. It is barely learning. Try ReLU-family activations instead of sigmoid/tanh, He or Glorot initialisation, ' +
          'batch normalisation, or residual connections.';
      }
      if (base == null && Number.isFinite(l.gradNorm) && l.gradNorm > 0) this.baseline.set(l.layer, { step: record.step, gradNorm: l.gradNorm });
    }
    const messages = layers.filter((l) => l.message != null).map((l) => l.message as string);
    return {
      step: record.step,
      epoch: record.epoch,
      layers,
      vanishing: layers.filter((l) => l.status === 'vanishing').map((l) => l.layer),
      exploding: layers.filter((l) => l.status === 'exploding').map((l) => l.layer),
      messages,
    };
  }
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4) ? x.toExponential(2) : x.toPrecision(3);
}

/**
 * A `model.fit` callback that checks, at a chosen frequency, each layer's gradient norm against its
 * weight norm and against its own history, and names in plain words the layers whose gradients
 * vanish (exactly zero; `‖grad‖/‖w‖` below `vanishingRatio`, or below `vanishingFactor` times the
 * most active layer's) or explode (not finite, or grown by more than `explodingFactor` since the
 * layer's first check), with what to try. Needs a `ClippedOptimizer` (with or without clipping);
 * it turns on per-variable statistics only for the steps it checks.
 *
 * @param options - see {@link GradientHealthOptions}.
 * @returns a `tf.Callback`; `reports` holds every {@link GradientHealthReport}.
 * @throws ValueError if an option breaks its rule.
 * @example
 * ```ts
 * model.compile({ optimizer: withClipping(tf.train.sgd(0.1)), loss: 'meanSquaredError' });
 * const health = gradientHealth({ freq: 100 });
 * await model.fit(x, y, { callbacks: [health] });
 * health.lastReport?.vanishing; //=> ['dense_Dense1'] (and a console warning saying why and what to try)
 * ```
 */
export function gradientHealth(options: GradientHealthOptions = {}): GradientHealth {
  return new GradientHealth(options);
}
