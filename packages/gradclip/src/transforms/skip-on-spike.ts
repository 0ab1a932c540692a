/** Loss / gradient-norm spike skipping (OLMo-core, Levanter) as a transform. */
import * as tf from '@tensorflow/tfjs';
import { ValueError, check, formatValue, isFiniteNumber } from '../errors.js';
import { flattenGrads } from '../core/grad-forms.js';
import { globalNorm } from '../core/global-norm.js';
import { cloneAll, readScalar, tidyList, zerosAll } from './tensor-lists.js';
import type { GradientTransformation } from './types.js';
import { checkKnownKeys, checkOptions } from './validate.js';

/** Options of {@link skipOnSpike}. */
export interface SkipOnSpikeOptions {
  /** Rolling window length: statistics use the last `window + 1` steps (default 128). */
  window?: number;
  /** A step is a spike when its value exceeds `mean + sigma·std` (default 6). */
  sigma?: number;
  /**
   * Steps recorded before any skip is possible (default `max(2, floor(window / 2))`), an integer in
   * [2, window + 1].
   */
  warmup?: number;
}

/** State of {@link skipOnSpike}: the recorded history, oldest first (plain data). */
export type SkipOnSpikeState = {
  /** The last (at most `window + 1`) losses, including skipped steps. */
  losses: number[];
  /** The last (at most `window + 1`) global gradient norms, including skipped steps. */
  gradNorms: number[];
  /** Whether the last step was skipped. */
  lastSkipped: boolean;
  /** Skipped steps in total. */
  totalSkipped: number;
};

const F32_MAX = 3.4028234663852886e38;
const STD_FLOOR = 1e-6;

/** `mean + sigma·max(std, 1e-6)` over the non-NaN values, with Levanter's `nan_to_num` fallbacks. */
function threshold(values: readonly number[], sigma: number): number {
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

/**
 * Skips the optimizer step when the loss **or** the global gradient norm spikes above
 * `mean + sigma·std` of the recent history, as Levanter's `SkipStepConfig` (a JAX/optax port of
 * OLMo-core's `SkipStepOptimizer`, same defaults 128 and 6):
 *
 * ```
 * history: the last window+1 (loss, ‖g‖) pairs recorded before this step
 * if history.length >= warmup and (loss > μ_L + σ·max(std_L, 1e-6) or ‖g‖ > μ_G + σ·max(std_G, 1e-6)):
 *   skip: grads = zeros, skip = true        (the caller must not call the optimizer)
 * record (loss, ‖g‖), skipped or not
 * ```
 *
 * Mean and (population) standard deviation ignore NaN entries. The test is one-sided (only upward
 * spikes). A NaN loss or norm after warmup fails the test, so the step is skipped. Before warmup
 * every step is applied. Differences from OLMo-core, which are Levanter's: population rather than
 * sample std, a 1e-6 floor on the std, and one-sided rather than absolute z-scores.
 *
 * `update` needs the step's loss: `update(grads, state, params, { loss })` (a number or a scalar
 * tensor, not disposed); `withClipping` passes the loss `minimize` computed.
 *
 * Host reads: **syncs** once per step (the global norm, and the loss when it is a tensor). The
 * statistics are float64 on the host (Levanter: float32 on the device).
 *
 * @param options `window` (default 128), `sigma` (default 6), `warmup` (default max(2, window/2)).
 * @returns A {@link GradientTransformation} with state {@link SkipOnSpikeState}.
 * @throws ValueError for bad options; at `update`, when `extra.loss` is missing.
 *
 * References: OLMo-core `SkipStepOptimizer` (src/olmo_core/optim/skip_step_optimizer.py),
 * https://github.com/allenai/OLMo-core ; Levanter `SkipStepConfig` (src/levanter/optim/skipstep.py),
 * https://github.com/stanford-crfm/levanter ; OLMo Team, "2 OLMo 2 Furious", 2024,
 * https://arxiv.org/abs/2501.00656 .
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const t = transforms.skipOnSpike({ window: 8 });
 * let state = t.init();
 * for (let i = 0; i < 8; i++) state = t.update([tf.tensor([1 + (i % 2) * 0.1])], state, null, { loss: 2 + (i % 2) * 0.1 }).state;
 * t.update([tf.tensor([100])], state, null, { loss: 2 }).skip; //=> true (gradient-norm spike)
 * ```
 */
export function skipOnSpike(options: SkipOnSpikeOptions = {}): GradientTransformation<SkipOnSpikeState> {
  checkOptions('skipOnSpike', options);
  checkKnownKeys('skipOnSpike', options, ['window', 'sigma', 'warmup']);
  const window = options.window ?? 128;
  check(Number.isInteger(window) && window >= 1, 'window', 'an integer >= 1', window);
  const sigma = options.sigma ?? 6;
  check(isFiniteNumber(sigma) && sigma > 0, 'sigma', 'a finite number > 0', sigma);
  const warmup = options.warmup ?? Math.max(2, Math.floor(window / 2));
  check(Number.isInteger(warmup) && warmup >= 2 && warmup <= window + 1, 'warmup', `an integer in [2, window + 1] = [2, ${window + 1}]`, warmup);
  const keep = window + 1;
  return {
    init: () => ({ losses: [], gradNorms: [], lastSkipped: false, totalSkipped: 0 }),
    update(grads, state, _params, extra) {
      const lossIn = extra?.loss;
      if (!(typeof lossIn === 'number' || (lossIn instanceof tf.Tensor && lossIn.size === 1))) {
        throw new ValueError(
          `\`extra.loss\` must be the step's loss (a number or a scalar tensor) in skipOnSpike.update(grads, state, params, { loss }). ` +
            `Received: extra.loss=${formatValue(lossIn)}`,
        );
      }
      const loss = typeof lossIn === 'number' ? lossIn : readScalar(lossIn);
      const flat = flattenGrads(grads);
      const normT = globalNorm(flat.list);
      const norm = readScalar(normT);
      normT.dispose();
      const canSkip = state.losses.length >= warmup;
      const ok = loss <= threshold(state.losses, sigma) && norm <= threshold(state.gradNorms, sigma);
      const skip = canSkip && !ok;
      const losses = [...state.losses, loss].slice(-keep);
      const gradNorms = [...state.gradNorms, norm].slice(-keep);
      const out = tidyList(() => (skip ? zerosAll(flat.list) : cloneAll(flat.list)));
      return {
        grads: flat.rebuild(out),
        state: { losses, gradNorms, lastSkipped: skip, totalSkipped: state.totalSkipped + (skip ? 1 : 0) },
        skip,
      };
    },
  };
}
