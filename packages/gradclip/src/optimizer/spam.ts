/**
 * SPAM (Spike-Aware Adam with Momentum Reset; Huang et al. 2025, arXiv 2501.06842) as a
 * `tf.Optimizer`, following the official reference code `TianjinYellow/SPAM-Optimizer`
 * `galore_torch/SPAM.py` (class `AdamW`, exported as `SPAM`), commit e8185fb.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInteger, checkNonNegative } from '../errors.js';
import type { NamedTensor } from '../core/grad-forms.js';
import type { ClippedOptimizer } from './clipped-optimizer.js';
import {
  ConstantScalars,
  SlotStore,
  checkAdamHyper,
  checkHyperObject,
  checkLearningRate,
  disposeMomentSlot,
  fromFactoryOptions,
  gradEntries,
  stepScalars,
  type MomentSlot,
  type NoClippingOptions,
  type WrapperOptions,
} from './spam-shared.js';
import { fromHyperConfig, hyperConfig, registerOptimizerClass, restoreSlots, slotWeights } from './spam-serialization.js';

/** Hyper-parameters of {@link SPAM}; the defaults are those of the reference code. */
export interface SpamConfig {
  /** Learning rate (default 1e-3). */
  learningRate?: number;
  /** First-moment decay β1, in [0, 1) (default 0.9). */
  beta1?: number;
  /** Second-moment decay β2, in [0, 1) (default 0.999). */
  beta2?: number;
  /** Added to `sqrt(v)` **before** the bias correction (default 1e-6, the reference's; tfjs Adam's is 1e-7). */
  epsilon?: number;
  /** Decoupled weight decay, applied after the update and not warm-up scaled (default 0). */
  weightDecay?: number;
  /** Spike threshold θ: an entry with `g² > θ·v` is clipped to `sign(g)·sqrt(θ·v)`; 0 turns clipping off (default 5000). */
  threshold?: number;
  /** Momentum reset interval ΔT (`DeltaT`): m and v are zeroed on every step t with t % ΔT == 0 (default 500). */
  resetInterval?: number;
  /** Length N_w of the cosine warm-up of the update after each reset (default 150). */
  warmupSteps?: number;
  /** N_a (`grad_accu_steps`): no spike clipping on steps t < N_a nor in the first N_a steps of each reset window (default 20). */
  gradAccuSteps?: number;
}

/** Options of {@link spam}: the hyper-parameters, plus the clipping wrapper's options. */
export type SpamOptions = SpamConfig & WrapperOptions;

/** What the last {@link SPAM} step did (host values, known without reading the device). */
export interface SpamStepInfo {
  /** 1-based step t (the optimizer's `iterations` after the step). */
  readonly step: number;
  /** Warm-up factor s_t of the update (0.01 on a reset step, then the cosine back to 1). */
  readonly updateScale: number;
  /** m and v were zeroed at the start of this step (t % resetInterval == 0). */
  readonly momentumReset: boolean;
  /** Spike clipping was active on this step (θ ≠ 0, t ≥ N_a and t % ΔT ≥ N_a). */
  readonly clipActive: boolean;
  /** Names of the variables updated (those with a gradient), in order. */
  readonly variableNames: readonly string[];
  /** Number of entries of each of these variables. */
  readonly sizes: readonly number[];
  /**
   * Int32 tensor: entries clipped as spikes in each variable (zeros when clipping was inactive).
   * Owned by the optimizer (replaced at the next step); read it with {@link SPAM.readLastStep}.
   */
  readonly clippedCounts: tf.Tensor1D;
}

/** {@link SpamStepInfo} with the clip counts read into numbers. */
export interface SpamStepReport extends Omit<SpamStepInfo, 'clippedCounts'> {
  /** Entries clipped as spikes per variable. */
  clipped: number[];
  /** Sum of `clipped`. */
  clippedTotal: number;
  /** `clippedTotal` over the number of entries updated (0 when there were none). */
  clippedFraction: number;
}

const KEYS = ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'threshold', 'resetInterval', 'warmupSteps', 'gradAccuSteps'] as const;

/**
 * Variables from this size on clip spikes with {@link clipSpikesBlend}, smaller ones with
 * {@link clipSpikesSelect} (same values; on wasm the blend's kernels are ~10x faster per entry, the
 * select's fewer: ~2,000 entries is where they cost the same).
 */
export const BLEND_MIN_SIZE = 2048;
/** 2^126: |g|·2^126 >= 1 for every normal float32 g, so clamping it to [-1, 1] gives sign(g). */
const SIGN_SCALE = 2 ** 126;
/** Largest float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The reference's spike clipping `mask = g² > θ·v; g[mask] = sign(g)·sqrt(θ·v)` with tf.where
 * (few kernels). Returns the clipped gradient and the number of entries clipped (int32).
 */
export function clipSpikesSelect(g: tf.Tensor, thetaV: tf.Tensor): { g: tf.Tensor; count: tf.Scalar } {
  const mask = tf.greater(tf.square(g), thetaV);
  return { g: tf.where(mask, tf.mul(tf.sign(g), tf.sqrt(thetaV)), g), count: tf.sum(mask) as tf.Scalar };
}

/**
 * The same clipping as {@link clipSpikesSelect}, with the same values, in kernels that are fast on
 * every backend (wasm's compare, select and sign run ~10-50x slower per entry than its arithmetic):
 * `spike = step(g² - θ·v)` (1 exactly where g² > θ·v, NaN where g is NaN) blends
 * `g·(1 - spike) + sign(g)·sqrt(θ·v)·spike`, where g is first clamped to ±FLOAT32_MAX so that an
 * infinite entry (a spike) gives 0 rather than ∞·0, and sign(g) = clamp(g·2^126, -1, 1). A NaN
 * entry stays NaN through `spike`; it is not counted (the int32 cast of NaN is 0), as the
 * reference's `NaN > x` is false.
 */
export function clipSpikesBlend(g: tf.Tensor, thetaV: tf.Tensor, c: (x: number) => tf.Scalar): { g: tf.Tensor; count: tf.Scalar } {
  const spike = tf.step(tf.sub(tf.square(g), thetaV));
  const finite = tf.clipByValue(g, -FLOAT32_MAX, FLOAT32_MAX);
  const sign = tf.clipByValue(tf.mul(g, c(SIGN_SCALE)), -1, 1);
  const kept = tf.mul(finite, tf.sub(c(1), spike));
  const clipped = tf.mul(tf.mul(sign, tf.sqrt(thetaV)), spike);
  return { g: tf.add(kept, clipped), count: tf.sum(tf.cast(spike, 'int32')) as tf.Scalar };
}

/**
 * The warm-up factor s_t of SPAM's update at step t (1-based): the reference's
 * `1 - CosineDecay(0.99, N_w).get_dr(current_step)`, in closed form. Steps before the first reset
 * (and step 1) get 1; from a reset step r (a multiple of ΔT, r ≥ 2) on, j = t - r gives
 * `1 - 0.99·(1 + cos(π·j/(N_w + 1)))/2` while j < N_w, then 1.
 */
export function spamUpdateScale(step: number, resetInterval: number, warmupSteps: number): number {
  const lastReset = Math.floor(step / resetInterval) * resetInterval;
  if (lastReset < 2) return 1;
  const j = step - lastReset;
  if (j >= warmupSteps) return 1;
  return 1 - (0.99 * (1 + Math.cos((Math.PI * j) / (warmupSteps + 1)))) / 2;
}

/**
 * SPAM: Adam with spike-aware clipping, periodic momentum reset and a cosine warm-up of the update
 * after each reset (Huang, Zhu, Jin, Liu, Wang, Liu: "SPAM: Spike-Aware Adam with Momentum Reset
 * for Stable LLM Training", ICLR 2025, arXiv 2501.06842). It reproduces the official code
 * (`TianjinYellow/SPAM-Optimizer`, `galore_torch/SPAM.py` at e8185fb) step for step; each step t,
 * for every variable with a gradient:
 *
 * ```
 * s_t = warm-up factor (spamUpdateScale): 0.01 on a reset step, cosine back to 1 over N_w steps
 * if t % ΔT == 0:                  m ← 0, v ← 0           (the counter k is NOT reset)
 * k ← k + 1
 * if θ ≠ 0 and t ≥ N_a and t % ΔT ≥ N_a:
 *   where g² > θ·v:                g ← sign(g)·sqrt(θ·v)  (v: the raw v of the previous step)
 * m ← β1·m + (1-β1)·g ;  v ← β2·v + (1-β2)·g²
 * p ← p - lr·sqrt(1-β2^k)/(1-β1^k)·s_t · m/(sqrt(v) + ε)
 * p ← p - lr·wd·p                  (when weightDecay > 0)
 * ```
 *
 * Where the paper and the code differ, this follows the code (test/fixtures/adaptive2-SPEC.md §2.4):
 * the clipping window N_a (`gradAccuSteps`, no clipping on steps t < N_a nor in the first N_a steps
 * after each reset), the bias-correction counter that a reset does not restart, ε added to `sqrt(v)`
 * before the bias correction (so it is not tfjs Adam's ε), the warm-up starting at 0.01 rather than 0
 * and scaling the Adam update only (not the weight decay), and the weight decay applied after the
 * update. The official training script passes its LR-scheduler warm-up (1000) as `warmup_steps`.
 * Not covered: the reference's param groups with a `density` key (sparse random masks).
 *
 * Non-finite gradients behave as in the reference: a NaN entry is never a spike (`NaN > x` is
 * false), so it reaches m, v and the weight; an infinite entry is a spike while clipping is active
 * and is clipped to `±sqrt(θ·v)`, else it propagates. To skip such steps, build it with
 * `spam({ nonFinite: 'skip' })` (the wrapper checks the raw gradient norm first).
 *
 * Monitoring: {@link SPAM.lastStep} says per step whether m and v were reset, the warm-up factor and
 * whether clipping was active; {@link SPAM.readLastStep} adds how many entries were clipped.
 *
 * State per variable: m, v and the counter k (`getWeights` names them `<variable>/m`, `/v`, `/step`),
 * plus `iterations` (= the reference's `total_step`), so `model.save(…, { includeOptimizer: true })`
 * and `tf.loadLayersModel` continue training exactly. Registered for serialization as `GradclipSPAM`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { SPAM } from 'gradclip';
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
 * const opt = new SPAM({ learningRate: 1e-3, resetInterval: 500, warmupSteps: 150 });
 * model.compile({ optimizer: opt, loss: 'meanSquaredError' });
 * await model.fit(tf.randomNormal([64, 3]), tf.randomNormal([64, 1]), { epochs: 2, verbose: 0 });
 * console.log(opt.lastStep?.momentumReset, (await opt.readLastStep())?.clippedTotal);
 * ```
 */
export class SPAM extends tf.Optimizer {
  /** Serialization name (cannot clash with tfjs's optimizer names). */
  static get className(): string {
    return 'GradclipSPAM';
  }

  /** Learning rate (may be changed between steps, e.g. by a schedule). */
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly threshold: number;
  readonly resetInterval: number;
  readonly warmupSteps: number;
  readonly gradAccuSteps: number;

  private readonly store = new SlotStore<MomentSlot>();
  private readonly constants = new ConstantScalars();
  private last: SpamStepInfo | null = null;

  /**
   * @param config Hyper-parameters; every one is checked here (a ValueError names the first bad one).
   */
  constructor(config: SpamConfig = {}) {
    super();
    checkHyperObject('SPAM', config, KEYS);
    const {
      learningRate = 1e-3,
      beta1 = 0.9,
      beta2 = 0.999,
      epsilon = 1e-6,
      weightDecay = 0,
      threshold = 5000,
      resetInterval = 500,
      warmupSteps = 150,
      gradAccuSteps = 20,
    } = config;
    checkAdamHyper({ learningRate, beta1, beta2, epsilon, weightDecay });
    checkNonNegative('threshold', threshold);
    checkInteger('resetInterval', resetInterval, 1);
    checkInteger('warmupSteps', warmupSteps, 0);
    checkInteger('gradAccuSteps', gradAccuSteps, 0);
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.threshold = threshold;
    this.resetInterval = resetInterval;
    this.warmupSteps = warmupSteps;
    this.gradAccuSteps = gradAccuSteps;
  }

  /**
   * One SPAM step on the variables named in `variableGradients` (a `NamedTensorMap` or a
   * `NamedTensor[]`; missing gradients are skipped, as the reference skips a `None` grad). The
   * gradient tensors are not disposed.
   */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = gradEntries('SPAM', variableGradients);
    checkLearningRate(this.learningRate);
    const t = this.iterations + 1;
    const reset = t % this.resetInterval === 0;
    const clipActive = this.threshold !== 0 && t >= this.gradAccuSteps && t % this.resetInterval >= this.gradAccuSteps;
    const scale = spamUpdateScale(t, this.resetInterval, this.warmupSteps);
    const slots = this.store.forEntries(entries, () => ({}));
    const { beta1, beta2 } = this;
    this.constants.prepare([this.threshold, beta1, 1 - beta1, beta2, 1 - beta2, this.epsilon, 1, SIGN_SCALE]);
    const counts = tf.tidy(() => {
      const perVariable: tf.Scalar[] = [];
      const shared = stepScalars();
      entries.forEach((e, i) => {
        const c = this.updateVariable(e.variable, e.grad, slots[i], reset, clipActive, scale, shared);
        if (c != null) perVariable.push(c);
      });
      if (!clipActive || perVariable.length === 0) return tf.zeros([entries.length], 'int32') as tf.Tensor1D;
      return tf.stack(perVariable) as tf.Tensor1D;
    });
    this.setLastStep({
      step: t,
      updateScale: scale,
      momentumReset: reset,
      clipActive,
      variableNames: entries.map((e) => e.variable.name),
      sizes: entries.map((e) => e.variable.size),
      clippedCounts: counts,
    });
    this.incrementIterations();
  }

  /** One variable's step (inside the caller's tidy); returns its clip count (int32) when clipping is active. */
  private updateVariable(
    p: tf.Variable,
    grad: tf.Tensor,
    slot: MomentSlot,
    reset: boolean,
    clipActive: boolean,
    scale: number,
    shared: (x: number) => tf.Scalar,
  ): tf.Scalar | null {
    slot.step += 1;
    const c = (x: number) => this.constants.get(x);
    let g = grad.dtype === 'float32' ? grad : tf.cast(grad, 'float32');
    let count: tf.Scalar | null = null;
    if (clipActive) {
      // θ·v with v the raw second moment of the previous step (zeros after a reset)
      const thetaV = reset ? tf.zerosLike(g) : tf.mul(slot.v, c(this.threshold));
      const clipped = g.size < BLEND_MIN_SIZE ? clipSpikesSelect(g, thetaV) : clipSpikesBlend(g, thetaV, c);
      g = clipped.g;
      count = clipped.count;
    }
    const { beta1, beta2 } = this;
    const m = reset ? tf.mul(g, c(1 - beta1)) : tf.add(tf.mul(slot.m, c(beta1)), tf.mul(g, c(1 - beta1)));
    const v = reset ? tf.mul(tf.square(g), c(1 - beta2)) : tf.add(tf.mul(slot.v, c(beta2)), tf.mul(tf.square(g), c(1 - beta2)));
    const k = slot.step;
    const stepSize = (this.learningRate * Math.sqrt(1 - beta2 ** k)) / (1 - beta1 ** k);
    // eps inside: (sqrt(v) + ε), then × lr·sqrt(1-β2^k)/(1-β1^k)·s_t
    let next = tf.sub(p, tf.mul(tf.div(m, tf.add(tf.sqrt(v), c(this.epsilon))), shared(stepSize * scale)));
    // p - lr·wd·p after the update, as the reference (p·(1 - lr·wd) would round differently)
    if (this.weightDecay > 0) next = tf.sub(next, tf.mul(next, shared(this.learningRate * this.weightDecay)));
    slot.m.assign(m);
    slot.v.assign(v);
    p.assign(next);
    return count;
  }

  /** What the last step did (null before the first step). The tensor in it is owned by the optimizer. */
  get lastStep(): SpamStepInfo | null {
    return this.last;
  }

  /** {@link lastStep} with the clip counts read from the device (awaits it; null before the first step). */
  async readLastStep(): Promise<SpamStepReport | null> {
    const s = this.last;
    if (s == null) return null;
    const counts = Array.from(await s.clippedCounts.data());
    const total = counts.reduce((a, b) => a + b, 0);
    const entries = s.sizes.reduce((a, b) => a + b, 0);
    const { clippedCounts: _, ...info } = s;
    return { ...info, clipped: counts, clippedTotal: total, clippedFraction: entries === 0 ? 0 : total / entries };
  }

  private setLastStep(s: SpamStepInfo): void {
    tf.keep(s.clippedCounts);
    this.last?.clippedCounts.dispose();
    this.last = s;
  }

  /** `iter`, then for each variable `<name>/m`, `<name>/v` and `<name>/step` (a new int32 scalar). */
  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...slotWeights(this.store.slots)];
  }

  /** Restores what {@link getWeights} returned (slots are matched to variables by name, else by position). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.store.replace(await restoreSlots<MomentSlot>('SPAM', rest), disposeMomentSlot);
  }

  /** Disposes the slots and the last step's clip counts. */
  override dispose(): void {
    super.dispose();
    this.store.replace([], disposeMomentSlot);
    this.constants.dispose();
    this.last?.clippedCounts.dispose();
    this.last = null;
  }

  /** The hyper-parameters (those of {@link SpamConfig}, in its order). */
  getConfig(): tf.serialization.ConfigDict {
    return hyperConfig(this, KEYS);
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return fromHyperConfig(cls, config, KEYS);
  }
}

registerOptimizerClass(SPAM);

/**
 * Builds a {@link SPAM} optimizer. With a clipping option (`clipnorm`, `clipvalue`,
 * `globalClipnorm`, `transform`) or a `nonFinite` policy it returns
 * `withClipping(new SPAM(hyper), clipping)`: the gradients are clipped (or the step is skipped)
 * before SPAM sees them; the wrapped SPAM is `result.inner`. Otherwise it returns the SPAM itself.
 *
 * @param options Hyper-parameters (see {@link SpamConfig}; defaults of the reference code) and the
 *   wrapper's options.
 * @throws ValueError for an unknown option or a bad value, naming it.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { spam } from 'gradclip';
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
 * model.compile({ optimizer: spam({ learningRate: 1e-3, nonFinite: 'skip' }), loss: 'meanSquaredError' });
 * await model.fit(tf.randomNormal([64, 3]), tf.randomNormal([64, 1]), { epochs: 1, verbose: 0 });
 * ```
 */
export function spam(options?: SpamConfig & NoClippingOptions): SPAM;
export function spam(options: SpamOptions): SPAM | ClippedOptimizer;
export function spam(options: SpamOptions = {}): SPAM | ClippedOptimizer {
  return fromFactoryOptions('spam', options, KEYS, (own: SpamConfig) => new SPAM(own));
}
