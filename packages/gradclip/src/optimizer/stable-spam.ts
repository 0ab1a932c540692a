/**
 * Stable-SPAM (Huang et al. 2025, arXiv 2502.17055) as a `tf.Optimizer`, following the official
 * reference code `TianjinYellow/StableSPAM` `galore_torch/stablespam.py` (class `StableSPAM`),
 * commit 6a66da1.
 */
import * as tf from '@tensorflow/tfjs';
import { check, checkInteger, isFiniteNumber } from '../errors.js';
import type { NamedTensor } from '../core/grad-forms.js';
import type { ClippedOptimizer } from './clipped-optimizer.js';
import {
  ConstantScalars,
  SlotStore,
  checkAdamHyper,
  checkHyperObject,
  checkLearningRate,
  checkUnitInterval,
  disposeMomentSlot,
  fromFactoryOptions,
  gradEntries,
  stepScalars,
  type GradEntry,
  type MomentSlot,
  type NoClippingOptions,
  type WrapperOptions,
} from './spam-shared.js';
import { fromHyperConfig, hyperConfig, registerOptimizerClass, restoreSlots, slotWeights } from './spam-serialization.js';

/** Hyper-parameters of {@link StableSPAM}; the defaults are those of the reference code. */
export interface StableSpamConfig {
  /** Learning rate (default 1e-3). */
  learningRate?: number;
  /** First-moment decay β1, in [0, 1) (default 0.9). */
  beta1?: number;
  /** Second-moment decay β2, in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to the bias-corrected `sqrt(v̂)`, as in tfjs Adam (default 1e-8); also AdaGN's ε. */
  epsilon?: number;
  /** Decoupled weight decay `p ← p·(1 - lr·wd)`, applied first (default 0). */
  weightDecay?: number;
  /** AdaGN's decay of the mean gradient norm, in [0, 1), or -1 for β1 (default 0.7). */
  gamma1?: number;
  /** AdaGN's decay of the mean squared gradient norm, in [0, 1) (default 0.9). */
  gamma2?: number;
  /** AdaClip's decay θ of the running max |g|, in [0, 1) (default 0.999). */
  gamma3?: number;
  /**
   * Length of the cosine schedule that scales β1 and γ1 by `etaMin + (1-etaMin)·(1+cos(π·t/(totalT+1)))/2`
   * (no clamp: past totalT + 1 the cosine rises again, as in the reference); null for none (default null).
   */
  totalT?: number | null;
  /** Floor of that schedule, in [0, 1] (default 0.5). */
  etaMin?: number;
  /** Momentum reset interval ΔT (`update_proj_gap`); 0 turns resets off (default 1000). */
  resetInterval?: number;
}

/** Options of {@link stableSpam}: the hyper-parameters, plus the clipping wrapper's options. */
export type StableSpamOptions = StableSpamConfig & WrapperOptions;

/** What the last {@link StableSPAM} step did (all host numbers). */
export interface StableSpamStepInfo {
  /** 1-based step t (the optimizer's `iterations` after the step). */
  readonly step: number;
  /** The schedule factor on β1 and γ1 (1 without `totalT`). */
  readonly scale: number;
  /** MoRet ran on this step (t % resetInterval == 0): the step used k = 1, then m and v were zeroed. */
  readonly momentumReset: boolean;
  /** Names of the variables updated (those with a gradient), in order. */
  readonly variableNames: readonly string[];
  /** Number of entries of each of these variables. */
  readonly sizes: readonly number[];
  /** Entries AdaClip rescaled (|g| > m̂_max) per variable. */
  readonly clipped: readonly number[];
  /** Sum of `clipped`. */
  readonly clippedTotal: number;
  /** `clippedTotal` over the number of entries updated (0 when there were none). */
  readonly clippedFraction: number;
  /** AdaClip's threshold m̂_max (bias-corrected running max of max|g|) per variable. */
  readonly maxThreshold: readonly number[];
  /** ‖g‖ after AdaClip per variable. */
  readonly gradNorm: readonly number[];
  /** AdaGN's target norm c = m̂_norm / (sqrt(v̂_norm) + ε) per variable (g is rescaled to norm c when ‖g‖ > 0). */
  readonly targetNorm: readonly number[];
  /** Each variable's step counter k after the step (1 after a reset). */
  readonly stepCounts: readonly number[];
}

/** A variable's Stable-SPAM state: Adam's m, v, k, and the AdaClip/AdaGN statistics (float32 values). */
interface StableSlot extends MomentSlot {
  mMax: number;
  mNorm: number;
  vNorm: number;
}

const KEYS = ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'gamma1', 'gamma2', 'gamma3', 'totalT', 'etaMin', 'resetInterval'] as const;

const f32 = Math.fround;

/**
 * Stable-SPAM's schedule factor at step t (1-based): `etaMin + (1-etaMin)·(1+cos(π·t/(totalT+1)))/2`,
 * or 1 without `totalT`. Not clamped, as in the reference (`CosineDecay.get_dr`).
 */
export function stableSpamScale(step: number, totalT: number | null, etaMin: number): number {
  if (totalT == null) return 1;
  return etaMin + ((1 - etaMin) * (1 + Math.cos((Math.PI * step) / (totalT + 1)))) / 2;
}

/**
 * The moment updates fold AdaGN's g/n·c into their factors (saving two kernels per variable) only
 * while max|g| is in [FOLD_RANGE, 1/FOLD_RANGE] and the factors are normal floats; outside it g² may
 * be subnormal where (g/n·c)² is not, so g/n·c is formed first, as in the reference.
 */
const FOLD_RANGE = 1e-15;
/** Smallest magnitude of a folded float32 factor (normal, not subnormal). */
const NORMAL_MIN = 1e-36;

function normal(x: number): boolean {
  return Number.isFinite(x) && Math.abs(x) >= NORMAL_MIN;
}

/**
 * Stable-SPAM: Adam with AdaClip (spiked entries rescaled by a running max), AdaGN (each gradient
 * rescaled to a running mean norm) and MoRet (periodic momentum reset) (Huang, Jin, Liu, Wang, Liu,
 * Chen, Liu: "Stable-SPAM: How to Train in 4-Bit More Stably than 16-Bit Adam", arXiv 2502.17055).
 * It reproduces the official code (`TianjinYellow/StableSPAM`, `galore_torch/stablespam.py` at
 * 6a66da1) step for step; each step t, with s = {@link stableSpamScale}, β1' = β1·s, γ1' = γ1·s, for
 * every variable with a gradient:
 *
 * ```
 * p ← p·(1 - lr·wd)
 * k ← k + 1 ; G = max|g|
 * AdaClip: m_max ← θ·m_max + (1-θ)·G ;  m̂ = m_max/(1-θ^k) ;  where |g| > m̂: g ← g/G·m̂
 * AdaGN:   n = ‖g‖ ; m_n ← γ1'·m_n + (1-γ1')·n ; v_n ← γ2·v_n + (1-γ2)·n²
 *          c = (m_n/(1-γ1'^k)) / (sqrt(v_n/(1-γ2^k)) + ε) ;  if n > 0: g ← g/n·c
 * MoRet:   if ΔT ≠ 0 and t % ΔT == 0: this step bias-corrects with k = 1, then m, v ← 0 and k ← 1
 * m ← β1'·m + (1-β1')·g ;  v ← β2·v + (1-β2)·g²
 * p ← p - lr/(1-β1'^k) · m/(sqrt(v)/sqrt(1-β2^k) + ε)
 * ```
 *
 * Where the paper and the code differ, this follows the code (test/fixtures/adaptive2-SPEC.md §3.4):
 * on a reset step the update still uses the old moments (updated with this g) with k = 1, and the
 * zeros take effect on the next step, at k = 2; the k reset also re-biases m̂_max, m̂_n and v̂_n (so
 * right after a reset AdaClip's threshold is inflated, ×500 at θ = 0.999); the `totalT` cosine scales
 * β1 and γ1 (not the learning rate) and is not clamped; the weight decay comes first. There is no
 * warm-up of the update after a reset (unlike SPAM). `amsgrad` is not supported (off in the reference's
 * defaults).
 *
 * AdaClip and AdaGN need each variable's max|g| and ‖g‖: they are read back to the host (two small
 * vectors per step), where m_max, m_n and v_n are kept as float32 numbers and updated with the
 * reference's float32 arithmetic. On `cpu` and `wasm` that read costs microseconds; on `webgl` or
 * `webgpu` it is a sync per step.
 *
 * Non-finite gradients behave as in the reference: a NaN or ±Inf entry makes the variable's max|g|
 * and ‖g‖ non-finite, which poisons its m_max / m_n / v_n: that step and every later step of that
 * variable are NaN. Build it with `stableSpam({ nonFinite: 'skip' })` to skip such steps (the
 * wrapper checks the raw gradient norm before Stable-SPAM sees it).
 *
 * Monitoring: {@link StableSPAM.lastStep} says per step how many entries AdaClip rescaled, its
 * threshold, ‖g‖, AdaGN's target norm, each variable's k and whether MoRet ran.
 *
 * State per variable: m, v, k and [m_max, m_n, v_n] (`getWeights` names them `<variable>/m`, `/v`,
 * `/step`, `/stats`), plus `iterations` (= the reference's `total_steps`), so `model.save(…,
 * { includeOptimizer: true })` and `tf.loadLayersModel` continue training exactly. Registered for
 * serialization as `GradclipStableSPAM`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { StableSPAM } from 'gradclip';
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
 * const opt = new StableSPAM({ learningRate: 1e-3, gamma1: 0.7, gamma2: 0.9, gamma3: 0.999, resetInterval: 1000 });
 * model.compile({ optimizer: opt, loss: 'meanSquaredError' });
 * await model.fit(tf.randomNormal([64, 3]), tf.randomNormal([64, 1]), { epochs: 2, verbose: 0 });
 * console.log(opt.lastStep?.clippedTotal, opt.lastStep?.targetNorm);
 * ```
 */
export class StableSPAM extends tf.Optimizer {
  /** Serialization name (cannot clash with tfjs's optimizer names). */
  static get className(): string {
    return 'GradclipStableSPAM';
  }

  /** Learning rate (may be changed between steps, e.g. by a schedule). */
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** As given (-1 means β1). */
  readonly gamma1: number;
  readonly gamma2: number;
  readonly gamma3: number;
  readonly totalT: number | null;
  readonly etaMin: number;
  readonly resetInterval: number;

  private readonly store = new SlotStore<StableSlot>();
  /** β2, and β1 when it is not scheduled (`totalT` null). */
  private readonly constants = new ConstantScalars();
  private last: StableSpamStepInfo | null = null;

  /**
   * @param config Hyper-parameters; every one is checked here (a ValueError names the first bad one).
   */
  constructor(config: StableSpamConfig = {}) {
    super();
    checkHyperObject('StableSPAM', config, KEYS);
    const {
      learningRate = 1e-3,
      beta1 = 0.9,
      beta2 = 0.999,
      epsilon = 1e-8,
      weightDecay = 0,
      gamma1 = 0.7,
      gamma2 = 0.9,
      gamma3 = 0.999,
      totalT = null,
      etaMin = 0.5,
      resetInterval = 1000,
    } = config;
    checkAdamHyper({ learningRate, beta1, beta2, epsilon, weightDecay });
    check(gamma1 === -1 || (isFiniteNumber(gamma1) && gamma1 >= 0 && gamma1 < 1), 'gamma1', 'a finite number in [0, 1), or -1 (= beta1)', gamma1);
    checkUnitInterval('gamma2', gamma2);
    checkUnitInterval('gamma3', gamma3);
    if (totalT != null) checkInteger('totalT', totalT, 1);
    check(isFiniteNumber(etaMin) && etaMin >= 0 && etaMin <= 1, 'etaMin', 'a finite number in [0, 1]', etaMin);
    checkInteger('resetInterval', resetInterval, 0);
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.gamma1 = gamma1;
    this.gamma2 = gamma2;
    this.gamma3 = gamma3;
    this.totalT = totalT;
    this.etaMin = etaMin;
    this.resetInterval = resetInterval;
  }

  /**
   * One Stable-SPAM step on the variables named in `variableGradients` (a `NamedTensorMap` or a
   * `NamedTensor[]`; missing gradients are skipped, as the reference skips a `None` grad). The
   * gradient tensors are not disposed.
   */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = gradEntries('StableSPAM', variableGradients).filter((e) => e.variable.size > 0);
    checkLearningRate(this.learningRate);
    const t = this.iterations + 1;
    const scale = stableSpamScale(t, this.totalT, this.etaMin);
    const reset = this.resetInterval !== 0 && t % this.resetInterval === 0;
    const slots = this.store.forEntries(entries, () => ({ mMax: 0, mNorm: 0, vNorm: 0 }));
    const n = entries.length;
    const info = {
      clipped: new Array<number>(n).fill(0),
      maxThreshold: new Array<number>(n).fill(0),
      gradNorm: new Array<number>(n).fill(0),
      targetNorm: new Array<number>(n).fill(0),
    };
    if (n > 0) tf.tidy(() => this.step(entries, slots, scale, reset, info));
    const total = info.clipped.reduce((a, b) => a + b, 0);
    const sizes = entries.map((e) => e.variable.size);
    const size = sizes.reduce((a, b) => a + b, 0);
    this.last = {
      step: t,
      scale,
      momentumReset: reset,
      variableNames: entries.map((e) => e.variable.name),
      sizes,
      ...info,
      clippedTotal: total,
      clippedFraction: size === 0 ? 0 : total / size,
      stepCounts: slots.map((s) => s.step),
    };
    this.incrementIterations();
  }

  /** The step proper (inside a tidy): AdaClip, AdaGN, MoRet and Adam for every entry. */
  private step(
    entries: GradEntry[],
    slots: StableSlot[],
    scale: number,
    reset: boolean,
    info: { clipped: number[]; maxThreshold: number[]; gradNorm: number[]; targetNorm: number[] },
  ): void {
    const { beta1, beta2, epsilon: eps, gamma2, gamma3: theta } = this;
    const g1 = (this.gamma1 === -1 ? beta1 : this.gamma1) * scale;
    const b1 = beta1 * scale;
    const shared = stepScalars();
    const beta2T = this.constants.get(beta2);
    const b1T = this.totalT == null ? this.constants.get(b1) : tf.scalar(b1);
    const grads = entries.map((e) => (e.grad.dtype === 'float32' ? e.grad : tf.cast(e.grad, 'float32')));
    // AdaClip: one read of every variable's max|g|.
    const abs = grads.map((g) => tf.abs(g));
    const maxAbs = tf.stack(abs.map((a) => tf.max(a))).dataSync();
    const clippedGrads: tf.Tensor[] = [];
    const counts: tf.Scalar[] = [];
    const countOf: number[] = [];
    slots.forEach((s, i) => {
      s.step += 1;
      const G = maxAbs[i];
      s.mMax = f32(f32(f32(theta) * s.mMax) + f32(f32(1 - theta) * G));
      const threshold = f32(s.mMax / f32(1 - theta ** s.step));
      info.maxThreshold[i] = threshold;
      if (G > threshold) {
        // Only then can an entry exceed it: rescale those by m̂_max / G.
        const mask = tf.greater(abs[i], threshold);
        clippedGrads.push(tf.where(mask, tf.mul(grads[i], f32(threshold / G)), grads[i]));
        countOf[i] = counts.length;
        counts.push(tf.sum(mask) as tf.Scalar);
      } else {
        clippedGrads.push(grads[i]);
        countOf[i] = -1;
      }
    });
    // AdaGN: one read of every variable's Σg² (after AdaClip), plus the clip counts.
    const squares = clippedGrads.map((g) => tf.square(g));
    const sums = squares.map((q) => tf.sum(q));
    const read = tf.concat([tf.stack(sums), ...(counts.length > 0 ? [tf.cast(tf.stack(counts), 'float32')] : [])]).dataSync();
    slots.forEach((s, i) => {
      const G = maxAbs[i];
      // ‖g‖ from float32 squares, as torch's float32 norm: it over- or underflows where the reference's does.
      const norm = f32(Math.sqrt(read[i]));
      if (countOf[i] >= 0) info.clipped[i] = read[slots.length + countOf[i]];
      info.gradNorm[i] = norm;
      const k = s.step;
      s.mNorm = f32(f32(f32(g1) * s.mNorm) + f32(f32(1 - g1) * norm));
      s.vNorm = f32(f32(f32(gamma2) * s.vNorm) + f32(f32(1 - gamma2) * f32(norm * norm)));
      const mHat = f32(s.mNorm / f32(1 - g1 ** k));
      const vHat = f32(s.vNorm / f32(1 - gamma2 ** k));
      const c = f32(mHat / f32(f32(Math.sqrt(vHat)) + f32(eps)));
      info.targetNorm[i] = c;
      // MoRet: this step bias-corrects with k = 1; the zeros come after the update.
      if (reset) s.step = 1;
      const kA = s.step;
      const bc1 = 1 - b1 ** kA;
      const sqrtBc2 = Math.sqrt(1 - beta2 ** kA);
      // g'' = g/n·c (when n > 0) is folded into the moment updates' factors when they stay normal floats.
      const factor = norm > 0 ? c / norm : 1;
      const mFactor = factor * (1 - b1);
      const vFactor = factor * factor * (1 - beta2);
      let m: tf.Tensor;
      let v: tf.Tensor;
      if (G >= FOLD_RANGE && G <= 1 / FOLD_RANGE && normal(mFactor) && normal(vFactor)) {
        m = tf.add(tf.mul(s.m, b1T), tf.mul(clippedGrads[i], mFactor));
        v = tf.add(tf.mul(s.v, beta2T), tf.mul(squares[i], vFactor));
      } else {
        const g = norm > 0 ? tf.mul(tf.div(clippedGrads[i], norm), c) : clippedGrads[i];
        m = tf.add(tf.mul(s.m, b1T), tf.mul(g, 1 - b1));
        v = tf.add(tf.mul(s.v, beta2T), tf.mul(tf.square(g), 1 - beta2));
      }
      const p = entries[i].variable;
      // p - lr/bc1 · m/(sqrt(v)/sqrt(bc2) + ε) = p - (lr·sqrt(bc2)/bc1) · m/(sqrt(v) + ε·sqrt(bc2))
      const update = tf.mul(tf.div(m, tf.add(tf.sqrt(v), shared(eps * sqrtBc2))), shared((this.learningRate * sqrtBc2) / bc1));
      const decayed = this.weightDecay > 0 ? tf.mul(p, shared(1 - this.learningRate * this.weightDecay)) : p;
      p.assign(tf.sub(decayed, update));
      if (reset) {
        s.m.assign(tf.zerosLike(s.m));
        s.v.assign(tf.zerosLike(s.v));
      } else {
        s.m.assign(m);
        s.v.assign(v);
      }
    });
  }

  /** What the last step did (null before the first step). */
  get lastStep(): StableSpamStepInfo | null {
    return this.last;
  }

  /** {@link lastStep}, as a promise (the same shape as `SPAM.readLastStep`; nothing to read from the device). */
  async readLastStep(): Promise<StableSpamStepInfo | null> {
    return this.last;
  }

  /** `iter`, then for each variable `<name>/m`, `<name>/v`, `<name>/step` (int32) and `<name>/stats` ([m_max, m_n, v_n]). */
  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...slotWeights(this.store.slots, (s) => ({ stats: tf.tensor1d([s.mMax, s.mNorm, s.vNorm], 'float32') }))];
  }

  /** Restores what {@link getWeights} returned (slots are matched to variables by name, else by position). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const slots = await restoreSlots<StableSlot>('StableSPAM', rest, ['stats'], async (w) => {
      const [mMax, mNorm, vNorm] = await w.stats.data();
      return { mMax, mNorm, vNorm };
    });
    this.store.replace(slots, disposeMomentSlot);
  }

  /** Disposes the slots. */
  override dispose(): void {
    super.dispose();
    this.store.replace([], disposeMomentSlot);
    this.constants.dispose();
    this.last = null;
  }

  /** The hyper-parameters (those of {@link StableSpamConfig}, in its order; `totalT` null included). */
  getConfig(): tf.serialization.ConfigDict {
    return hyperConfig(this, KEYS);
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return fromHyperConfig(cls, config, KEYS);
  }
}

registerOptimizerClass(StableSPAM);

/**
 * Builds a {@link StableSPAM} optimizer. With a clipping option (`clipnorm`, `clipvalue`,
 * `globalClipnorm`, `transform`) or a `nonFinite` policy it returns
 * `withClipping(new StableSPAM(hyper), clipping)`: the gradients are clipped (or the step is
 * skipped) before Stable-SPAM sees them; the wrapped optimizer is `result.inner`. Otherwise it
 * returns the StableSPAM itself.
 *
 * @param options Hyper-parameters (see {@link StableSpamConfig}; defaults of the reference code) and
 *   the wrapper's options.
 * @throws ValueError for an unknown option or a bad value, naming it.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { stableSpam } from 'gradclip';
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
 * model.compile({ optimizer: stableSpam({ learningRate: 1e-3, totalT: 1000, nonFinite: 'skip' }), loss: 'meanSquaredError' });
 * await model.fit(tf.randomNormal([64, 3]), tf.randomNormal([64, 1]), { epochs: 1, verbose: 0 });
 * ```
 */
export function stableSpam(options?: StableSpamConfig & NoClippingOptions): StableSPAM;
export function stableSpam(options: StableSpamOptions): StableSPAM | ClippedOptimizer;
export function stableSpam(options: StableSpamOptions = {}): StableSPAM | ClippedOptimizer {
  return fromFactoryOptions('stableSpam', options, KEYS, (own: StableSpamConfig) => new StableSPAM(own));
}
