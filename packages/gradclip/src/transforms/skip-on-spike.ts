/** Loss / gradient-norm spike skipping (OLMo-core, Levanter) as a transform. */
import * as tf from '@tensorflow/tfjs';
import { ValueError, check, formatValue, isFiniteNumber } from '../errors.js';
import { SpikeRules, type SpikeRuleOptions } from '../spikes/spike-rules.js';
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
  /**
   * Whether a skipped step's loss and norm enter the statistics (default `true`, Levanter: every
   * step is recorded; `lossSpikeDetector` defaults to `false`).
   */
  recordSpikes?: boolean;
}

/** State of {@link skipOnSpike}: the recorded history, oldest first (plain data). */
export type SkipOnSpikeState = {
  /** The last (at most `window + 1`) recorded losses (skipped steps included unless `recordSpikes: false`). */
  losses: number[];
  /** The last (at most `window + 1`) recorded global gradient norms. */
  gradNorms: number[];
  /** Whether the last step was skipped. */
  lastSkipped: boolean;
  /** Skipped steps in total. */
  totalSkipped: number;
};

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
 * The rules are the library's one spike vocabulary (`SpikeRules`, shared with `lossSpikeDetector`).
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
 * @param options `window` (default 128), `sigma` (default 6), `warmup` (default max(2, window/2)),
 *   `recordSpikes` (default true).
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
  checkKnownKeys('skipOnSpike', options, ['window', 'sigma', 'warmup', 'recordSpikes']);
  const window = options.window ?? 128;
  check(Number.isInteger(window) && window >= 1, 'window', 'an integer >= 1', window);
  const sigma = options.sigma ?? 6;
  check(isFiniteNumber(sigma) && sigma > 0, 'sigma', 'a finite number > 0', sigma);
  const warmup = options.warmup ?? Math.max(2, Math.floor(window / 2));
  check(Number.isInteger(warmup) && warmup >= 2 && warmup <= window + 1, 'warmup', `an integer in [2, window + 1] = [2, ${window + 1}]`, warmup);
  const recordSpikes = options.recordSpikes ?? true;
  check(typeof recordSpikes === 'boolean', 'recordSpikes', 'a boolean', recordSpikes);
  const rules: SpikeRuleOptions = { history: window + 1, warmup, sigma, maxFactor: null, recordSpikes, nonFiniteDuringWarmup: false };
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
      const lossRules = new SpikeRules(rules, state.losses);
      const normRules = new SpikeRules(rules, state.gradNorms);
      const skip = lossRules.check(loss) !== null || normRules.check(norm) !== null;
      lossRules.record(loss, skip);
      normRules.record(norm, skip);
      const losses = [...lossRules.history];
      const gradNorms = [...normRules.history];
      const out = tidyList(() => (skip ? zerosAll(flat.list) : cloneAll(flat.list)));
      return {
        grads: flat.rebuild(out),
        state: { losses, gradNorms, lastSkipped: skip, totalSkipped: state.totalSkipped + (skip ? 1 : 0) },
        skip,
      };
    },
  };
}
