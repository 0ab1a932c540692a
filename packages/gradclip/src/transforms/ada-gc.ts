/** AdaGC (Wang et al. 2025) as a transform: per-tensor clipping against an EMA of each tensor's own norm. */
import * as tf from '@tensorflow/tfjs';
import { checkInteger, checkNonNegative, checkPositive } from '../errors.js';
import { flattenGrads, type Grads, type MaybeTensor } from '../core/grad-forms.js';
import { sumsOfSquares } from '../core/sum-of-squares.js';
import { l2Norm } from '../core/exact-ops.js';
import { isFloat16Backend } from '../core/float16.js';
import { fusedScaleBy } from '../core/fast/fast-path.js';
import { tidyList } from './tensor-lists.js';
import type { GradientTransformation } from './types.js';
import { checkInRange, checkKnownKeys, checkOptions } from './validate.js';

/** Options of {@link adaGC}; the defaults are those of the official code (`clip_grads.py`, class `AdaGC`). */
export interface AdaGCOptions {
  /** λ_abs: the global-norm bound of the warm-up steps (Megatron's `--clip-grad`; default 1.0). */
  maxNorm?: number;
  /** λ_rel: a tensor is clipped when its norm exceeds `clipRatio·γ_i` (default 1.04). */
  clipRatio?: number;
  /** EMA factor of γ_i in the adaptive phase, in [0, 1) (default 0.99). */
  beta?: number;
  /** ε added to the norm in both clip coefficients (default 1e-6). */
  eps?: number;
  /**
   * T_s: steps `t <= warmupSteps` (1-based, inclusive, as the official code) use global-norm
   * clipping and record each tensor's running minimum norm (default 100; 0 for no warm-up).
   */
  warmupSteps?: number;
}

/**
 * State of {@link adaGC} (plain data). γ is kept per position in the gradient list (tfjs's
 * optimizers key their slots by position too); the `last…` fields describe the last step, for
 * monitoring (`(opt.transformStateValue as AdaGCState).lastClipped` in the optimizer wrapper).
 */
export type AdaGCState = {
  /** Steps taken so far (the clipper's `steps`; the next step is `step + 1`). */
  step: number;
  /** γ_i of each gradient position, a float32 value; null until that tensor got a finite norm. */
  gamma: (number | null)[];
  /** The phase of the last step (`'warmup'` while `step <= warmupSteps`), or null before the first. */
  lastPhase: 'warmup' | 'adaptive' | null;
  /** How many gradient tensors the last step scaled (every present one when the warm-up clip fired). */
  lastClipped: number;
  /** `lastClipped` over the number of gradients present in the last step (0 when none was). */
  lastClippedFraction: number;
};

const KEYS = ['maxNorm', 'clipRatio', 'beta', 'eps', 'warmupSteps'] as const;
const f = Math.fround;

/**
 * `list` with each present tensor `xs[k]` (at position `at[k]`) times `coefs[k]`: the scaled ones
 * in one fused kernel (scales passed from the host; `tf.mul` each elsewhere than cpu/wasm), the
 * others as new tensors sharing the data (a reshape to the same shape: no copy on any backend,
 * where a clone copies on wasm). One pass, no closures: this runs on every training step.
 */
function scaleGrads(list: MaybeTensor[], at: readonly number[], xs: readonly tf.Tensor[], coefs: readonly number[]): MaybeTensor[] {
  const out: MaybeTensor[] = list.slice();
  const picked: tf.Tensor[] = [];
  const scales: number[] = [];
  for (let k = 0; k < xs.length; ++k) {
    if (coefs[k] !== 1) {
      picked.push(xs[k]);
      scales.push(coefs[k]);
    } else {
      out[at[k]] = tf.reshape(xs[k], xs[k].shape);
    }
  }
  if (picked.length === 0) return out;
  const scaled = fusedScaleBy(picked, scales) ?? mulEach(picked, scales);
  for (let k = 0, j = 0; k < xs.length; ++k) if (coefs[k] !== 1) out[at[k]] = scaled[j++];
  return out;
}

/** `xs[j]·scales[j]` with tfjs ops (the backends without the fused kernels), each scale a float32 scalar. */
function mulEach(xs: readonly tf.Tensor[], scales: readonly number[]): tf.Tensor[] {
  return tidyList(() => xs.map((x, j) => tf.mul(x.toFloat(), tf.scalar(scales[j], 'float32')))) as tf.Tensor[];
}

/**
 * Each tensor's Σx², read on the host (the one sync of a step): one fused kernel on cpu/wasm. On
 * a float16 backend Σx² overflows above a norm of 256, so the (scaled) norms are read instead and
 * squared on the host.
 */
function readSumsOfSquares(xs: readonly tf.Tensor[]): ArrayLike<number> {
  if (isFloat16Backend()) {
    const ns = tf.tidy(() => tf.stack(xs.map((x) => l2Norm(x))));
    const sums = Array.from(ns.dataSync(), (n) => n * n);
    ns.dispose();
    return sums;
  }
  const ss = sumsOfSquares(xs);
  const sums = ss.dataSync();
  ss.dispose();
  return sums;
}

/**
 * AdaGC: adaptive gradient clipping per tensor, with the exact rules of the official code
 * (lishuai-97/AdaGC, `megatron/optimizer/clip_grads.py`, class `AdaGC`):
 *
 * ```
 * t = t + 1;  N = sqrt(Σ_i ‖g_i‖²)
 * warm-up, t <= warmupSteps (inclusive):
 *   c = maxNorm / (N + eps);  if c < 1: g_i ← g_i·c  (every tensor)
 *   n_i = ‖g_i‖ after that clip;  γ_i = n_i if absent, else min(γ_i, n_i)      (running minimum)
 * adaptive, t > warmupSteps, each tensor on its own:
 *   n_i = ‖g_i‖;  γ_i = n_i if absent
 *   if n_i > clipRatio·γ_i (strict):  g_i ← g_i · clipRatio·γ_i / (n_i + eps);  n_i ← clipRatio·γ_i
 *   γ_i ← beta·γ_i + (1 − beta)·n_i
 * ```
 *
 * γ_i is a float32 value and its arithmetic is rounded to float32 op by op, as the reference's 0-dim
 * float32 tensors; N and the warm-up coefficient are float64, as the reference's Python floats.
 * Consequences of the official rules, kept on purpose: a tensor whose gradient is exactly zero on
 * a warm-up step gets γ_i = 0 and every later gradient of it is scaled to 0 (frozen); with the
 * running minimum most adaptive steps clip. Combine it with decoupled weight decay in the
 * optimizer wrapper (`weightDecay`) to train like the reference's AdaGC + AdamW.
 *
 * Host reads: **syncs** once per step (reads the per-tensor sums of squares, one fused kernel on
 * cpu/wasm); the decisions are made on the host and the clipped tensors are scaled in one kernel.
 *
 * NaN/Inf policy (deliberate difference): a non-finite norm never changes γ (the reference would
 * make it NaN or 0 for good); the gradients go through the reference's rule (a non-finite global
 * norm in warm-up: NaN → unchanged, inf → coefficient 0; a per-tensor inf norm in the adaptive
 * phase → coefficient 0; NaN → unchanged). Use `nonFinite: 'skip'` or `applyIfFinite` to skip such
 * steps.
 *
 * @param options See {@link AdaGCOptions}; defaults `maxNorm=1.0, clipRatio=1.04, beta=0.99,
 *   eps=1e-6, warmupSteps=100`.
 * @returns A {@link GradientTransformation} with state {@link AdaGCState}; it never asks to skip.
 * @throws ValueError naming the option, the rule and the value, for a bad option or an unknown key.
 *
 * References: Wang et al., "AdaGC: Improving Training Stability for Large Language Model
 * Pretraining", 2025, https://arxiv.org/abs/2502.11034 ; https://github.com/lishuai-97/AdaGC.
 * The paper states the warm-up as `t < T_start` and its EMA on ‖ĝ_i‖; the code (followed here) uses
 * `t <= T_start` and the threshold `clipRatio·γ_i` for a clipped tensor.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const t = transforms.adaGC({ warmupSteps: 1 });
 * let state = t.init();
 * for (const g of [[0.3, 0.4], [0.3, 0.4], [3, 4]]) {
 *   const r = t.update([tf.tensor(g)], state);
 *   state = r.state;
 *   if (state.step === 3) r.grads[0]!.print(); //=> [0.3119999, 0.4159999]   (norm 5 clipped to 1.04·γ, γ = 0.5)
 * }
 * state.lastClipped; //=> 1
 * ```
 *
 * @example
 * ```ts
 * // AdaGC + AdamW through the optimizer wrapper (saveable: the transform is a spec), and what
 * // AdaGC did at each step, read from the wrapper's transform state in a callback.
 * import * as tf from '@tensorflow/tfjs';
 * import { withClipping, type transforms } from 'gradclip';
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3], kernelInitializer: 'zeros' })] });
 * const opt = withClipping(tf.train.adam(1e-3, 0.9, 0.999, 1e-8), { transform: { name: 'adaGC', args: [{ warmupSteps: 2 }] }, weightDecay: 0.1 });
 * model.compile({ optimizer: opt, loss: 'meanSquaredError' });
 * const x = tf.tensor2d([[1, 2, 3], [3, 2, 1], [0, 1, 0], [2, 2, 2]]);
 * const y = tf.tensor2d([[4], [4], [1], [20]]);
 * const log: string[] = [];
 * await model.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0, callbacks: { onBatchEnd: async () => {
 *   const s = opt.transformStateValue as transforms.AdaGCState;
 *   log.push(`${s.step} ${s.lastPhase} ${s.lastClipped}`);
 * } } });
 * log; //=> ['1 warmup 2', '2 warmup 2', '3 adaptive 2', '4 adaptive 2']
 * ```
 */
export function adaGC(options: AdaGCOptions = {}): GradientTransformation<AdaGCState> {
  checkOptions('adaGC', options);
  checkKnownKeys('adaGC', options, KEYS);
  const maxNorm = options.maxNorm ?? 1.0;
  const clipRatio = options.clipRatio ?? 1.04;
  const beta = options.beta ?? 0.99;
  const eps = options.eps ?? 1e-6;
  const warmupSteps = options.warmupSteps ?? 100;
  checkPositive('maxNorm', maxNorm);
  checkNonNegative('clipRatio', clipRatio);
  checkInRange('beta', beta, 0, 1, false, true);
  checkPositive('eps', eps);
  checkInteger('warmupSteps', warmupSteps, 0);
  // The reference's float32 scalars (Python floats cast into float32 tensor ops).
  const ratio32 = f(clipRatio);
  const beta32 = f(beta);
  const oneMinusBeta32 = f(1 - beta);
  const eps32 = f(eps);

  /** One AdaGC step's per-tensor coefficients and next state (no tensor made beyond the norm read). */
  function coefficients(grads: Grads, state: AdaGCState): { flat: ReturnType<typeof flattenGrads>; at: number[]; xs: tf.Tensor[]; coefs: number[]; next: AdaGCState } {
    const flat = flattenGrads(grads);
    const list = flat.list;
    const at: number[] = [];
    const xs: tf.Tensor[] = [];
    for (let i = 0; i < list.length; ++i) {
      const g = list[i];
      if (g != null) {
        at.push(i);
        xs.push(g);
      }
    }
    const n = xs.length;
    const step = state.step + 1;
    const gamma = state.gamma.slice();
    while (gamma.length < list.length) gamma.push(null);
    const sums = n > 0 ? readSumsOfSquares(xs) : [];
    const coefs: number[] = new Array<number>(n).fill(1);
    let clipped = 0;
    const warmup = step <= warmupSteps;
    if (warmup) {
      let total = 0;
      for (let k = 0; k < n; ++k) total += sums[k];
      const globalNorm = Math.sqrt(f(total));
      const c = maxNorm / (globalNorm + eps);
      const scale = c < 1.0;
      const c32 = f(c);
      if (scale) {
        coefs.fill(c32);
        clipped = n;
      }
      if (Number.isFinite(globalNorm)) {
        for (let k = 0; k < n; ++k) {
          // torch.norm of a float32 tensor: a float32 value.
          const norm = f(Math.sqrt(sums[k]));
          const v = scale ? f(norm * c32) : norm;
          const g = gamma[at[k]];
          if (g == null || v < g) gamma[at[k]] = v;
        }
      }
    } else {
      for (let k = 0; k < n; ++k) {
        let norm = f(Math.sqrt(sums[k]));
        const finite = Number.isFinite(norm);
        const g = gamma[at[k]] ?? (finite ? norm : null);
        if (g == null) continue; // no γ yet and a non-finite norm: nothing to clip against
        const threshold = f(ratio32 * g);
        if (norm > threshold) {
          coefs[k] = f(threshold / f(norm + eps32));
          norm = threshold;
          clipped += 1;
        }
        if (finite) gamma[at[k]] = f(f(g * beta32) + f(norm * oneMinusBeta32));
      }
    }
    const next: AdaGCState = {
      step,
      gamma,
      lastPhase: warmup ? 'warmup' : 'adaptive',
      lastClipped: clipped,
      lastClippedFraction: n === 0 ? 0 : clipped / n,
    };
    return { flat, at, xs, coefs, next };
  }

  return {
    init: () => ({ step: 0, gamma: [], lastPhase: null, lastClipped: 0, lastClippedFraction: 0 }),
    update(grads, state) {
      const { flat, at, xs, coefs, next } = coefficients(grads, state);
      return { grads: flat.rebuild(scaleGrads(flat.list, at, xs, coefs)), state: next, skip: false };
    },
    scaleFactors(grads, state) {
      const { flat, at, coefs, next } = coefficients(grads, state);
      const factors = new Float32Array(flat.list.length).fill(1);
      for (let k = 0; k < at.length; ++k) factors[at[k]] = coefs[k];
      return { factors, state: next };
    },
  };
}
