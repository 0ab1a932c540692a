/** AdaGC (Wang et al. 2025) as a transform: per-tensor clipping against an EMA of each tensor's own norm. */
import * as tf from '@tensorflow/tfjs';
import { checkInteger, checkNonNegative, checkPositive } from '../errors.js';
import { flattenGrads, type MaybeTensor } from '../core/grad-forms.js';
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
 * where a clone copies on wasm).
 */
function scaleGrads(list: MaybeTensor[], at: number[], xs: tf.Tensor[], coefs: number[]): MaybeTensor[] {
  const pick: number[] = [];
  for (let k = 0; k < xs.length; ++k) if (coefs[k] !== 1) pick.push(k);
  const picked = pick.map((k) => xs[k]);
  const scales = pick.map((k) => coefs[k]);
  const scaled =
    pick.length === 0 ? [] : (fusedScaleBy(picked, scales) ?? tidyList(() => picked.map((x, j) => tf.mul(x.toFloat(), tf.scalar(scales[j], 'float32')))));
  const out: MaybeTensor[] = list.slice();
  pick.forEach((k, j) => (out[at[k]] = scaled[j]));
  for (let k = 0; k < xs.length; ++k) if (out[at[k]] === xs[k]) out[at[k]] = tf.reshape(xs[k], xs[k].shape);
  return out;
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

  return {
    init: () => ({ step: 0, gamma: [], lastPhase: null, lastClipped: 0, lastClippedFraction: 0 }),
    update(grads, state) {
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
      const step = state.step + 1;
      const gamma = state.gamma.slice();
      while (gamma.length < list.length) gamma.push(null);
      let sums: ArrayLike<number> = [];
      if (xs.length > 0) {
        if (isFloat16Backend()) {
          // Σg² overflows float16 above a norm of 256: read the (scaled) norms and square them on the host.
          const ns = tf.tidy(() => tf.stack(xs.map((x) => l2Norm(x))));
          sums = Array.from(ns.dataSync(), (n) => n * n);
          ns.dispose();
        } else {
          const ss = sumsOfSquares(xs);
          sums = ss.dataSync();
          ss.dispose();
        }
      }
      // torch.norm of a float32 tensor: a float32 value.
      const norms = Array.from(sums, (s) => f(Math.sqrt(s)));
      const coefs: number[] = new Array(xs.length).fill(1);
      let clipped = 0;
      const warmup = step <= warmupSteps;
      if (warmup) {
        let total = 0;
        for (let k = 0; k < sums.length; ++k) total += sums[k];
        const globalNorm = Math.sqrt(f(total));
        const c = maxNorm / (globalNorm + eps);
        const scale = c < 1.0;
        const c32 = f(c);
        if (scale) {
          coefs.fill(c32);
          clipped = xs.length;
        }
        if (Number.isFinite(globalNorm)) {
          for (let k = 0; k < xs.length; ++k) {
            const n = scale ? f(norms[k] * c32) : norms[k];
            const g = gamma[at[k]];
            if (g == null || n < g) gamma[at[k]] = n;
          }
        }
      } else {
        for (let k = 0; k < xs.length; ++k) {
          let n = norms[k];
          const finite = Number.isFinite(n);
          const g = gamma[at[k]] ?? (finite ? n : null);
          if (g == null) continue; // no γ yet and a non-finite norm: nothing to clip against
          const threshold = f(ratio32 * g);
          if (n > threshold) {
            coefs[k] = f(threshold / f(n + eps32));
            n = threshold;
            clipped += 1;
          }
          if (finite) gamma[at[k]] = f(f(g * beta32) + f(n * oneMinusBeta32));
        }
      }
      const out = scaleGrads(list, at, xs, coefs);
      const next: AdaGCState = {
        step,
        gamma,
        lastPhase: warmup ? 'warmup' : 'adaptive',
        lastClipped: clipped,
        lastClippedFraction: xs.length === 0 ? 0 : clipped / xs.length,
      };
      return { grads: flat.rebuild(out), state: next, skip: false };
    },
  };
}
