/** ZClip (Kumar et al. 2025) as a transform. */
import * as tf from '@tensorflow/tfjs';
import { check, checkOneOf, isFiniteNumber } from '../errors.js';
import { flattenGrads, mapPresent, type MaybeTensor } from '../core/grad-forms.js';
import { globalNorm } from '../core/global-norm.js';
import { clipGradsWithNorm, torchClipCoefficient } from '../core/clip-grads-with-norm.js';
import { cloneAll, readScalar, tidyList } from './tensor-lists.js';
import type { GradientTransformation } from './types.js';
import { checkInRange, checkKnownKeys, checkOptions } from './validate.js';

/** Options of {@link zClip}; the defaults are those of the reference `ZClip` class. */
export interface ZClipOptions {
  /** EMA smoothing factor of the mean and variance, in [0, 1] (default 0.97). */
  alpha?: number;
  /** z-score threshold (default 2.5). */
  zThresh?: number;
  /** A fixed ceiling on the clip norm, also used during warmup; `null` for none (default 1.0). */
  maxGradNorm?: number | null;
  /** Added to the standard deviation in the z-score (default 1e-6). */
  eps?: number;
  /** Steps whose norms initialise the mean and variance (default 25). */
  warmupSteps?: number;
  /** `'zscore'` (default) or `'percentile'` (always clip to `mean + zThresh·std`). */
  mode?: 'zscore' | 'percentile';
  /**
   * In `'zscore'` mode: `'adaptiveScaling'` (default; `'adaptive_scaling'` is accepted too) clips
   * to `mean + zThresh·std / (z / zThresh)`, times `clipFactor`; `'mean'` clips to the mean.
   */
  clipOption?: 'adaptiveScaling' | 'adaptive_scaling' | 'mean';
  /** Multiplier of the adaptive threshold (default 1.0; 0.5–0.9 is aggressive). */
  clipFactor?: number;
  /** Leave the EMA statistics unchanged on a step where a spike was clipped (default false). */
  skipUpdateOnSpike?: boolean;
}

/** State of {@link zClip} (plain data; the names follow the reference class). */
export type ZClipState = {
  /** Norms collected during warmup (emptied when the statistics are initialised). */
  buffer: number[];
  /** The EMA statistics have been initialised (warmup is over). */
  initialized: boolean;
  /** EMA mean of the norm (null during warmup). */
  mean: number | null;
  /** EMA variance of the norm (null during warmup). */
  var: number | null;
  /** The last step's global norm before clipping (null before the first step). */
  lastNorm: number | null;
  /**
   * The norm the last step was clipped to (`maxGradNorm` during warmup and for a non-finite norm),
   * or null when it was not clipped.
   */
  lastClip: number | null;
};

const KEYS = ['alpha', 'zThresh', 'maxGradNorm', 'eps', 'warmupSteps', 'mode', 'clipOption', 'clipFactor', 'skipUpdateOnSpike'] as const;
const TORCH_EPS = 1e-6;

/** What a step does to the gradients: copy them, PyTorch's norm clip to `maxNorm`, or scale by `coef`. */
type ClipAction = { kind: 'copy' } | { kind: 'torch'; maxNorm: number } | { kind: 'scale'; coef: number };

/** Python's `min(a, b)`: keeps `a` unless `b < a` (so `min(NaN, 1)` is NaN and `min(1, NaN)` is 1). */
function pyMin(a: number, b: number): number {
  return b < a ? b : a;
}

/**
 * ZClip: adaptive spike mitigation with an EMA of the gradient norm and its z-score, with the exact
 * formulas of the reference implementation (`zclip/zclip.py`):
 *
 * ```
 * g = ‖grads‖ (global L2)
 * warmup (first warmupSteps steps): buffer.push(g); at the end mean = avg(buffer),
 *                                   var = population variance; clip_grad_norm_(maxGradNorm)
 * after:  std = sqrt(var)
 *   zscore:     z = (g - mean) / (std + eps); if z > zThresh:
 *                 adaptiveScaling: clip = (mean + zThresh·std / (z / zThresh)) · clipFactor
 *                 mean:            clip = mean
 *   percentile: τ = mean + zThresh·std; if g > τ: clip = τ
 *   eff = min(clip ?? g, maxGradNorm)      (Python min; no ceiling when maxGradNorm is null)
 *   if g > eff: grads *= eff / (g + 1e-6)
 *   unless (clip != null and skipUpdateOnSpike):
 *     v = clip ?? g;  mean = α·mean + (1-α)·v;  var = α·var + (1-α)·(v - mean)²   (new mean)
 * ```
 *
 * Host reads: **syncs** once per step (reads the global norm; the statistics are float64 on the
 * host, as in the reference, which calls `.item()`).
 *
 * NaN/Inf policy (deliberate difference): a non-finite norm leaves the statistics (buffer, mean,
 * variance) unchanged, where the reference would make them NaN for good; the gradients of that
 * step go through PyTorch's `clip_grad_norm_(maxGradNorm)` (NaN norm → all NaN; inf norm → finite
 * entries ±0), or unchanged when `maxGradNorm` is null. Wrap in `applyIfFinite` to skip it.
 *
 * @param options See {@link ZClipOptions}; defaults `alpha=0.97, zThresh=2.5, maxGradNorm=1.0,
 *   eps=1e-6, warmupSteps=25, mode='zscore', clipOption='adaptiveScaling', clipFactor=1.0,
 *   skipUpdateOnSpike=false`.
 * @returns A {@link GradientTransformation} with state {@link ZClipState}. It never asks to skip a
 *   step (`skipUpdateOnSpike` only freezes the statistics).
 * @throws ValueError naming the option for a bad value.
 *
 * References: Kumar, Owen, Roy Chowdhury, Güra, "ZClip: Adaptive Spike Mitigation for LLM
 * Pre-Training", 2025, https://arxiv.org/abs/2504.02507 ; https://github.com/bluorion-com/ZClip.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const z = transforms.zClip({ warmupSteps: 3, maxGradNorm: null });
 * let state = z.init();
 * for (const n of [1, 1.2, 0.8, 50]) {
 *   const r = z.update([tf.tensor([n])], state);
 *   state = r.state;
 * }
 * state.lastClip; //=> 1.0034014018510187   (the spike of 50 is clipped to just above the mean)
 * ```
 */
export function zClip(options: ZClipOptions = {}): GradientTransformation<ZClipState> {
  checkOptions('zClip', options);
  checkKnownKeys('zClip', options, KEYS);
  const alpha = options.alpha ?? 0.97;
  const zThresh = options.zThresh ?? 2.5;
  const maxGradNorm = options.maxGradNorm === undefined ? 1.0 : options.maxGradNorm;
  const eps = options.eps ?? 1e-6;
  const warmupSteps = options.warmupSteps ?? 25;
  const mode = options.mode ?? 'zscore';
  const clipOptionRaw = options.clipOption ?? 'adaptiveScaling';
  const clipFactor = options.clipFactor ?? 1.0;
  const skipUpdateOnSpike = options.skipUpdateOnSpike ?? false;
  checkInRange('alpha', alpha, 0, 1, false, false);
  check(isFiniteNumber(zThresh) && zThresh > 0, 'zThresh', 'a finite number > 0', zThresh);
  check(maxGradNorm === null || (isFiniteNumber(maxGradNorm) && maxGradNorm > 0), 'maxGradNorm', 'null or a finite number > 0', maxGradNorm);
  check(isFiniteNumber(eps) && eps >= 0, 'eps', 'a finite number >= 0', eps);
  check(Number.isInteger(warmupSteps) && warmupSteps >= 0, 'warmupSteps', 'an integer >= 0', warmupSteps);
  checkOneOf('mode', mode, ['zscore', 'percentile'] as const);
  checkOneOf('clipOption', clipOptionRaw, ['adaptiveScaling', 'adaptive_scaling', 'mean'] as const);
  check(isFiniteNumber(clipFactor) && clipFactor > 0, 'clipFactor', 'a finite number > 0', clipFactor);
  check(typeof skipUpdateOnSpike === 'boolean', 'skipUpdateOnSpike', 'a boolean', skipUpdateOnSpike);
  const adaptive = clipOptionRaw !== 'mean';

  /** The reference's `_compute_clip_val`: the adaptive clip norm, or null for no spike. */
  const clipValue = (g: number, mean: number, variance: number): number | null => {
    const std = Math.sqrt(variance);
    if (mode === 'percentile') {
      const threshold = mean + zThresh * std;
      return g > threshold ? threshold : null;
    }
    const z = (g - mean) / (std + eps);
    if (!(z > zThresh)) return null;
    if (!adaptive) return mean;
    const eta = z / zThresh;
    return (mean + (zThresh * std) / eta) * clipFactor;
  };

  const scale = (list: MaybeTensor[], coef: number): MaybeTensor[] =>
    tidyList(() => {
      const c = tf.scalar(coef);
      return mapPresent(list, (t) => tf.mul(t.toFloat(), c));
    });

  /** One step's decision from the global norm `g` (read on the host) and the next state. */
  const plan = (g: number, state: ZClipState): { action: ClipAction; next: ZClipState } => {
    const fixed: ClipAction = maxGradNorm == null ? { kind: 'copy' } : { kind: 'torch', maxNorm: maxGradNorm };
    if (!Number.isFinite(g)) return { action: fixed, next: { ...state, lastNorm: g, lastClip: maxGradNorm } };
    if (!state.initialized) {
      const buffer = [...state.buffer, g];
      let next: ZClipState = { ...state, buffer, lastNorm: g, lastClip: maxGradNorm != null && g > maxGradNorm ? maxGradNorm : null };
      if (buffer.length >= warmupSteps) {
        const mean = buffer.reduce((s, x) => s + x, 0) / buffer.length;
        const variance = buffer.reduce((s, x) => s + (x - mean) ** 2, 0) / buffer.length;
        next = { ...next, buffer: [], initialized: true, mean, var: variance };
      }
      return { action: fixed, next };
    }
    const mean = state.mean as number;
    const variance = state.var as number;
    const clip = clipValue(g, mean, variance);
    const adaptiveClip = clip ?? g;
    const effective = maxGradNorm == null ? adaptiveClip : pyMin(adaptiveClip, maxGradNorm);
    const coef = g > effective ? effective / (g + TORCH_EPS) : 1.0;
    let next: ZClipState = { ...state, lastNorm: g, lastClip: g > effective ? effective : null };
    if (!(clip != null && skipUpdateOnSpike)) {
      const v = clip ?? g;
      const newMean = alpha * mean + (1 - alpha) * v;
      const newVar = alpha * variance + (1 - alpha) * (v - newMean) ** 2;
      next = { ...next, mean: newMean, var: newVar };
    }
    return { action: coef < 1.0 ? { kind: 'scale', coef } : { kind: 'copy' }, next };
  };

  return {
    init: () => ({ buffer: [], initialized: false, mean: null, var: null, lastNorm: null, lastClip: null }),
    update(grads, state) {
      const flat = flattenGrads(grads);
      const normT = globalNorm(flat.list);
      try {
        const { action, next } = plan(readScalar(normT), state);
        const out =
          action.kind === 'torch'
            ? clipGradsWithNorm(flat.list, action.maxNorm, normT)
            : action.kind === 'scale'
              ? scale(flat.list, action.coef)
              : tidyList(() => cloneAll(flat.list));
        return { grads: flat.rebuild(out), state: next, skip: false };
      } finally {
        normT.dispose();
      }
    },
    scaleFactors(grads, state) {
      const flat = flattenGrads(grads);
      const normT = globalNorm(flat.list);
      const g = readScalar(normT);
      normT.dispose();
      const { action, next } = plan(g, state);
      const factor = action.kind === 'torch' ? torchClipCoefficient(action.maxNorm, g) : action.kind === 'scale' ? Math.fround(action.coef) : 1;
      return { factors: new Float32Array(flat.list.length).fill(factor), state: next };
    },
  };
}
