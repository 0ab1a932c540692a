/** AutoClip (Seetharaman et al. 2020) as a transform. */
import { check } from '../errors.js';
import { flattenGrads } from '../core/grad-forms.js';
import { globalNorm } from '../core/global-norm.js';
import { clipGradsWithNorm, torchClipCoefficient } from '../core/clip-grads-with-norm.js';
import { percentile as percentileOf } from './percentile.js';
import { cloneAll, readScalar, tidyList } from './tensor-lists.js';
import type { GradientTransformation } from './types.js';
import { checkInRange, checkKnownKeys, checkOptions } from './validate.js';

/** Options of {@link autoClip}. */
export interface AutoClipOptions {
  /** The percentile `p` of past norms used as the threshold, in [0, 100] (default 10, the paper's). */
  percentile?: number;
  /**
   * How many past norms to keep (default 10000, as the reference Keras `AutoClipper`); the oldest
   * is dropped first. `Infinity` keeps them all, as the paper and the PyTorch reference do.
   */
  historySize?: number;
}

/** State of {@link autoClip} (plain data). */
export type AutoClipState = {
  /** Past finite global norms, oldest first (at most `historySize`). */
  history: number[];
  /** The last step's global norm before clipping (null before the first step). */
  lastNorm: number | null;
  /** The last step's threshold (null before the first step, or while no finite norm was seen). */
  lastThreshold: number | null;
};

/**
 * AutoClip: clip the global norm to the `p`-th percentile of all gradient norms seen so far
 * (Algorithm 1 of the paper, as the PyTorch reference `autoclip.py` computes it):
 *
 * ```
 * history.append(‖g‖)                       // global L2 norm, before clipping
 * η = np.percentile(history, p)             // linear interpolation
 * g ← clip_grad_norm_(g, η)                 // PyTorch: g · min(η / (‖g‖ + 1e-6), 1)
 * ```
 *
 * Host reads: **syncs** once per step (reads the global norm to append it to the history; the
 * percentile is computed on the host in float64).
 *
 * NaN/Inf policy (deliberate difference): a non-finite norm is **not** added to the history (the
 * reference would make every later threshold NaN); that step is clipped with the threshold of the
 * existing history, with PyTorch's policy (NaN norm → all NaN; inf norm → finite entries ±0), or
 * passed through unchanged when no finite norm was seen yet. Wrap in `applyIfFinite` to skip it.
 *
 * @param options `percentile` (default 10) and `historySize` (default 10000).
 * @returns A {@link GradientTransformation} with state {@link AutoClipState}.
 * @throws ValueError for a percentile outside [0, 100] or a `historySize` that is not an integer >= 1
 *   (or Infinity).
 *
 * References: Seetharaman, Wichern, Pardo, Le Roux, "AutoClip: Adaptive Gradient Clipping for
 * Source Separation Networks", MLSP 2020, https://arxiv.org/abs/2007.14469 ;
 * https://github.com/pseeth/autoclip (`autoclip.py`, `autoclip_tf.py`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const t = transforms.autoClip({ percentile: 10 });
 * let state = t.init();
 * for (const n of [1, 2, 10]) {
 *   const r = t.update([tf.tensor([n])], state);
 *   state = r.state;
 * }
 * state.lastThreshold; //=> 1.2   (10th percentile of [1, 2, 10])
 * ```
 */
export function autoClip(options: AutoClipOptions = {}): GradientTransformation<AutoClipState> {
  checkOptions('autoClip', options);
  checkKnownKeys('autoClip', options, ['percentile', 'historySize']);
  const p = options.percentile ?? 10;
  const historySize = options.historySize ?? 10000;
  checkInRange('percentile', p, 0, 100, false, false);
  check(historySize === Infinity || (Number.isInteger(historySize) && historySize >= 1), 'historySize', 'an integer >= 1 or Infinity', historySize);
  /** The next state (history, norm, threshold) after a step whose global norm is `norm`. */
  const plan = (norm: number, state: AutoClipState): AutoClipState => {
    let history = state.history;
    if (Number.isFinite(norm)) {
      history = [...history, norm];
      if (history.length > historySize) history = history.slice(history.length - historySize);
    }
    const threshold = history.length > 0 ? percentileOf(history, p) : null;
    return { history, lastNorm: norm, lastThreshold: threshold };
  };

  return {
    init: () => ({ history: [], lastNorm: null, lastThreshold: null }),
    update(grads, state) {
      const flat = flattenGrads(grads);
      const normT = globalNorm(flat.list);
      try {
        const next = plan(readScalar(normT), state);
        const threshold = next.lastThreshold;
        const out = threshold == null ? tidyList(() => cloneAll(flat.list)) : clipGradsWithNorm(flat.list, threshold, normT);
        return { grads: flat.rebuild(out), state: next, skip: false };
      } finally {
        normT.dispose();
      }
    },
    scaleFactors(grads, state) {
      const flat = flattenGrads(grads);
      const normT = globalNorm(flat.list);
      const norm = readScalar(normT);
      normT.dispose();
      const next = plan(norm, state);
      const factor = next.lastThreshold == null ? 1 : torchClipCoefficient(next.lastThreshold, norm);
      return { factors: new Float32Array(flat.list.length).fill(factor), state: next };
    },
  };
}
