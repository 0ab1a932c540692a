/**
 * The adaptive2 reference trajectories in the page (test/fixtures/adaptive2-vectors.json: AdaGC +
 * AdamW, SPAM and Stable-SPAM made by the official reference code), run by the same runners as the
 * Node tests (test/helpers/adaptive2-cases.ts; src/transforms/ada-gc-vectors.test.ts,
 * src/optimizer/spam.test.ts, src/optimizer/stable-spam.test.ts), through the public API of the
 * bundled dist: `withClipping(tf.train.adam(…), { transform: { name: 'adaGC', … }, weightDecay })`,
 * `transforms.adaGC`, `spam()` and `stableSpam()`. Every case of the file runs, dispatched on its
 * `method`; each check also requires `tf.memory().numTensors` to stay the same from step to step and
 * to be back where it was once the optimizer is disposed.
 *
 * Float16 textures (webgl-f16) cannot reproduce these float32 trajectories. The checks run every
 * case there too, and say in their names what they do not compare (nothing is skipped):
 * - The parameters. The cases' ε (1e-8, 1e-12, 1e-6) is below float16's smallest normal (1e-8 and
 *   1e-12 are 0 in float16), and Adam's and SPAM's `(1 − β2)·g²` underflows for |g| < ~7.7e-3, so
 *   `m/(√v + ε)` is `0/0` (NaN) on zero gradients and `m/0` (Inf) on small ones: the parameters
 *   leave the reference trajectory (they turn NaN within 1 to 16 steps in this Chromium). Which
 *   hyper-parameters are at risk comes from gradclip's own float16 check (`float16Risks`, what its
 *   float16 warning names), as in fit-checks.ts; a case without such a risk is compared.
 * - The entries SPAM and AdaClip clip (SPAM tests g² against θ·v, AdaClip against an EMA of the
 *   gradients' maxima stored in float16: entries near the bound flip).
 * What does not depend on the moments is compared with the float16 tolerance page.ts passes
 * (`widen`): AdaGC's clipped gradients and γ after every step (the transform alone and inside the
 * wrapper: its decisions are made on the host from the norms), SPAM's warm-up factor, momentum
 * resets and clip window, Stable-SPAM's schedule factor, MoRet, each tensor's k, AdaClip's m̂_max
 * and AdaGN's c.
 */
import * as tf from '@tensorflow/tfjs';
import { spam, stableSpam, transforms as T, withClipping, type ClippedOptimizer } from 'gradclip';
import { float16Risks } from '../../dist/core/float16.js';
import {
  ADAPTIVE2_METHODS,
  adaGCAdamW,
  adaGCOptions,
  adaGCTransformSteps,
  casesOf,
  checkAdaGCState,
  checkSpamStep,
  checkStableSpamStep,
  replay,
  spamConfig,
  stableSpamConfig,
  type AdaGCStateLike,
  type Tol,
  type TrajectoryCase,
} from '../helpers/adaptive2-cases.js';
import { type Checks, equal, ok } from './checks.js';

/**
 * On float16 textures: what the check does not compare, for its name (see the file comment), or
 * '' when it compares everything. `make` builds the optimizer whose hyper-parameters are checked.
 */
function float16Note(float16: boolean, make: () => tf.Optimizer, counts: boolean): string {
  if (!float16) return '';
  const opt = make();
  let risks: string[];
  try {
    risks = float16Risks(opt.getConfig()).map((r) => `${r.name}=${r.value}`);
  } finally {
    opt.dispose();
  }
  const not = [...(risks.length > 0 ? ['parameters'] : []), ...(counts ? ['clip counts'] : [])];
  if (not.length === 0) return '';
  return ` (float16: ${risks.length > 0 ? `${risks.join(', ')} at risk, ` : ''}${not.join(' and ')} not compared)`;
}

/** `hook`, then: `tf.memory().numTensors` is the same after every step as after the first. */
function steady(c: TrajectoryCase, hook: (t: number) => void | Promise<void>): (t: number) => Promise<void> {
  let first: number | null = null;
  return async (t) => {
    await hook(t);
    const n = tf.memory().numTensors;
    first ??= n;
    equal(n, first, `${c.name} step ${t}: tf.memory().numTensors (after step 1: ${first})`);
  };
}

/** Runs `f`, then requires the live tensor count to be back where it was. */
async function noLeak(label: string, f: () => Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await f();
  equal(tf.memory().numTensors, before, `${label}: tf.memory().numTensors after the optimizer was disposed`);
}

/**
 * Registers the adaptive2 checks: `adaptive2/<case>: …` per case and method. `widen` gives the
 * tolerance of a case on this backend (page.ts: wider on float16 textures); `float16`: the
 * backend stores float16 (see the file comment).
 */
export async function adaptive2Checks(checks: Checks, cases: TrajectoryCase[], widen: (tol: Tol) => Tol, float16: boolean): Promise<void> {
  await checks.run('adaptive2: the reference set has AdaGC, SPAM and Stable-SPAM trajectories', () => {
    for (const m of ADAPTIVE2_METHODS) ok(casesOf(cases, m).length > 0, `no '${m}' case in adaptive2-vectors.json`);
    const unknown = cases.filter((c) => !(ADAPTIVE2_METHODS as readonly string[]).includes(c.method)).map((c) => `${c.name} (${c.method})`);
    equal(unknown.join(', '), '', 'cases with a method the page has no runner for');
  });

  for (const c of casesOf(cases, 'adagc')) {
    const tol = widen(c.tolerance);
    const h = adaGCAdamW(c);
    const adam = (): tf.Optimizer => tf.train.adam(h.lr, h.beta1, h.beta2, h.eps);
    const note = float16Note(float16, adam, false);
    await checks.run(`adaptive2/${c.name}: AdaGC through withClipping + weightDecay, parameters and γ after every step${note}`, () =>
      noLeak(c.name, async () => {
        const opt = withClipping(adam(), { transform: { name: 'adaGC', args: [adaGCOptions(c)] }, weightDecay: h.weightDecay });
        const state = (t: number): void => checkAdaGCState(c, (opt as ClippedOptimizer).transformStateValue as AdaGCStateLike, t, tol);
        try {
          await replay(c, opt, steady(c, state), { form: 'array', tol, params: note.includes('parameters') ? 'none' : 'reference' });
        } finally {
          opt.dispose();
        }
      }),
    );
    await checks.run(`adaptive2/${c.name}: transforms.adaGC alone, clipped gradients and γ after every step`, () =>
      noLeak(c.name, () => adaGCTransformSteps(c, T.adaGC(adaGCOptions(c)), tol)),
    );
  }

  for (const c of casesOf(cases, 'spam')) {
    const tol = widen(c.tolerance);
    const note = float16Note(float16, () => spam(spamConfig(c)), true);
    await checks.run(`adaptive2/${c.name}: spam(), weights and step diagnostics after every step${note}`, () =>
      noLeak(c.name, async () => {
        const opt = spam(spamConfig(c));
        try {
          const check = async (t: number): Promise<void> => checkSpamStep(c, await opt.readLastStep(), t, { tol, counts: !float16 });
          await replay(c, opt, steady(c, check), { tol, params: note.includes('parameters') ? 'none' : 'reference' });
        } finally {
          opt.dispose();
        }
      }),
    );
  }

  for (const c of casesOf(cases, 'stablespam')) {
    const tol = widen(c.tolerance);
    const note = float16Note(float16, () => stableSpam(stableSpamConfig(c)), true);
    await checks.run(`adaptive2/${c.name}: stableSpam(), weights and step diagnostics after every step${note}`, () =>
      noLeak(c.name, async () => {
        const opt = stableSpam(stableSpamConfig(c));
        try {
          const check = async (t: number): Promise<void> => checkStableSpamStep(c, await opt.readLastStep(), t, { tol, counts: !float16 });
          await replay(c, opt, steady(c, check), { tol, params: note.includes('parameters') ? 'none' : 'reference' });
        } finally {
          opt.dispose();
        }
      }),
    );
  }
}
