/**
 * The adaptive2 reference trajectories (test/fixtures/adaptive2-vectors.json: AdaGC + AdamW, SPAM
 * and Stable-SPAM made by running their official reference code; spec in adaptive2-SPEC.md) and
 * the runners that replay them, with no Node built-ins: the Node tests (src/transforms/
 * ada-gc-vectors.test.ts, src/optimizer/spam.test.ts, src/optimizer/stable-spam.test.ts) and the
 * browser suite (test/browser/adaptive2-checks.ts) run the same code. Loading from disk is in
 * spam-vectors.ts (Node); the page gets the cases from the runner.
 *
 * gradclip itself is not imported here (the Node tests use src, the page its bundled dist): the
 * callers build the optimizers and transforms from the hyper-parameter mappings below.
 */
import * as tf from '@tensorflow/tfjs';
import { assertClose, flatten, type EncodedTensor } from './vector-compare.js';

export type { EncodedTensor } from './vector-compare.js';

export type Tol = { rtol: number; atol: number };

export interface TrajectoryCase {
  name: string;
  method: string;
  hyper: Record<string, any>;
  notes: string;
  params0: EncodedTensor[];
  grads: EncodedTensor[][];
  expected: { params: EncodedTensor[][]; clipped_grads: EncodedTensor[][]; aux?: Record<string, any>[] };
  tolerance: Tol;
}

/** The methods of the file, as its cases name them. */
export const ADAPTIVE2_METHODS = ['adagc', 'spam', 'stablespam'] as const;

/** The cases of `method` among `cases` (dispatched on the method, never the name). */
export function casesOf(cases: readonly TrajectoryCase[], method: string): TrajectoryCase[] {
  return cases.filter((c) => c.method === method);
}

/** The values of an encoded tensor, flat. */
export function values(e: EncodedTensor): number[] {
  return flatten(e.data);
}

function fail(message: string): never {
  throw new Error(message);
}

function expectEqual(got: unknown, want: unknown, label: string): void {
  if (!Object.is(got, want)) fail(`${label}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

function expectSame(got: unknown, want: unknown, label: string): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${label}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

// ---- hyper-parameters -------------------------------------------------------------------------

/** `transforms.adaGC` options of an AdaGC case. */
export function adaGCOptions(c: TrajectoryCase): { maxNorm: number; clipRatio: number; beta: number; eps: number; warmupSteps: number } {
  const h = c.hyper;
  return { maxNorm: h.max_norm, clipRatio: h.clip_ratio, beta: h.beta, eps: h.clip_eps, warmupSteps: h.start_clip_steps };
}

/** The inner `tf.train.adam` arguments and the wrapper's `weightDecay` of an AdaGC case (the reference's AdamW). */
export function adaGCAdamW(c: TrajectoryCase): { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number } {
  const h = c.hyper;
  return { lr: h.lr, beta1: h.betas[0], beta2: h.betas[1], eps: h.eps, weightDecay: h.weight_decay };
}

/** The Adam-style options every SPAM / Stable-SPAM case has (the reference's `lr`, `betas`, `eps`, `weight_decay`). */
function adamHyper(c: TrajectoryCase): Record<string, number> {
  const h = c.hyper;
  return { learningRate: h.lr, beta1: h.betas[0], beta2: h.betas[1], epsilon: h.eps, weightDecay: h.weight_decay };
}

/** `SPAM` options of a SPAM case. */
export function spamConfig(c: TrajectoryCase): Record<string, number> {
  const h = c.hyper;
  if (h.correct_bias !== true) fail(`${c.name}: correct_bias=false is not supported`);
  return {
    ...adamHyper(c),
    threshold: h.threshold,
    resetInterval: h.DeltaT,
    warmupSteps: h.warmup_steps,
    gradAccuSteps: h.grad_accu_steps,
  };
}

/** `StableSPAM` options of a Stable-SPAM case. */
export function stableSpamConfig(c: TrajectoryCase): Record<string, number> {
  const h = c.hyper;
  if (!(h.amsgrad == null || h.amsgrad === false)) fail(`${c.name}: amsgrad is not supported`);
  return {
    ...adamHyper(c),
    gamma1: h.gamma1,
    gamma2: h.gamma2,
    gamma3: h.gamma3,
    totalT: h.total_T,
    etaMin: h.eta_min,
    resetInterval: h.update_proj_gap,
  };
}

// ---- replay -----------------------------------------------------------------------------------

/** What a replay observed after each step, for the caller's own checks. */
export type StepHook = (step: number) => Promise<void> | void;

/** How {@link replay} runs a case. */
export interface ReplayOptions {
  /** The form handed to `applyGradients`: a `NamedTensorMap` (default) or a `NamedTensor[]`. */
  form?: 'map' | 'array';
  /** The tolerance of the parameter comparison (default: the case's). */
  tol?: Tol;
  /**
   * `'reference'` (default): compare the parameters with the reference after every step;
   * `'finite'`: only require every entry to be finite; `'none'`: do not look at them (the caller
   * says why it cannot compare them; the bits are still returned).
   */
  params?: 'reference' | 'finite' | 'none';
  /** Variable names (default: tfjs's own unique names). */
  names?: (i: number) => string;
}

/**
 * Replays a case: variables from `params0`, then for each step `applyGradients` with that step's
 * gradients, comparing every variable with `expected.params` (the case's tolerance unless `tol`;
 * `opts` may be just the form).
 * `afterStep(t)` (1-based) runs after each step's comparison. Returns the parameters' bits after
 * every step (for bit-identity checks between two paths). Disposes everything it made.
 */
export async function replay(
  c: TrajectoryCase,
  optimizer: tf.Optimizer,
  afterStep?: StepHook,
  opts: ReplayOptions | 'map' | 'array' = {},
): Promise<Uint32Array[][]> {
  const options: ReplayOptions = typeof opts === 'string' ? { form: opts } : opts;
  const tol = options.tol ?? c.tolerance;
  const vars = tf.tidy(() => c.params0.map((p, i) => tf.variable(tf.tensor(values(p), p.shape, 'float32'), true, options.names?.(i))));
  const bits: Uint32Array[][] = [];
  try {
    for (let t = 0; t < c.grads.length; ++t) {
      const named = c.grads[t].map((g, i) => ({ name: vars[i].name, tensor: tf.tensor(values(g), g.shape, 'float32') }));
      optimizer.applyGradients(options.form === 'array' ? named : Object.fromEntries(named.map((n) => [n.name, n.tensor])));
      tf.dispose(named.map((n) => n.tensor));
      const now: Uint32Array[] = [];
      for (let i = 0; i < vars.length; ++i) {
        const got = (await vars[i].data()) as Float32Array;
        if (options.params === 'finite') {
          const bad = got.findIndex((x) => !Number.isFinite(x));
          if (bad >= 0) fail(`${c.name} step ${t + 1} param ${i}[${bad}]: ${got[bad]} is not finite`);
        } else if (options.params !== 'none') {
          assertClose(got, values(c.expected.params[t][i]), tol, `${c.name} step ${t + 1} param ${i}`);
        }
        now.push(new Uint32Array(Float32Array.from(got).buffer));
      }
      bits.push(now);
      await afterStep?.(t + 1);
    }
  } finally {
    tf.dispose(vars);
  }
  return bits;
}

// ---- per-step diagnostics -----------------------------------------------------------------------

/** What the checks read of `SPAM.readLastStep()` (a structural view: src or dist). */
export interface SpamReportLike {
  step: number;
  momentumReset: boolean;
  clipActive: boolean;
  updateScale: number;
  clipped: readonly number[];
}

/** What the checks read of `StableSPAM.readLastStep()`. */
export interface StableSpamReportLike {
  step: number;
  scale: number;
  momentumReset: boolean;
  stepCounts: readonly number[];
  clipped: readonly number[];
  maxThreshold: ArrayLike<number>;
  targetNorm: ArrayLike<number>;
}

/** Which of a step's diagnostics are compared (all by default; see the float16 notes of the browser suite). */
export interface DiagnosticsOptions {
  tol?: Tol;
  /** Compare the counts of clipped entries (they depend on Adam's second moment). Default true. */
  counts?: boolean;
  /** Stable-SPAM: compare m̂_max and c (they depend on the gradients only). Default true. */
  gradientStatistics?: boolean;
}

/**
 * SPAM's diagnostics after step `t` (1-based) against the reference's `aux`: warm-up factor,
 * momentum reset, clip window, entries clipped per tensor.
 */
export function checkSpamStep(c: TrajectoryCase, r: SpamReportLike | null, t: number, o: DiagnosticsOptions = {}): void {
  if (r == null) fail(`${c.name} step ${t}: readLastStep() is null`);
  expectEqual(r.step, t, `${c.name} step ${t}: step`);
  const aux = c.expected.aux?.[t - 1];
  if (aux == null) return;
  const at = `${c.name} step ${t}`;
  expectEqual(r.momentumReset, aux.momentum_reset, `${at}: momentumReset`);
  expectEqual(r.clipActive, aux.clip_active, `${at}: clipActive`);
  if (!(Math.abs(r.updateScale - aux.update_scale) <= 1e-12)) fail(`${at}: updateScale ${r.updateScale} vs ${aux.update_scale}`);
  if (o.counts !== false) expectSame(r.clipped, aux.n_clipped, `${at}: entries clipped per tensor`);
}

/**
 * Stable-SPAM's diagnostics after step `t` against the reference's `aux`: schedule factor, MoRet,
 * each tensor's k, entries AdaClip rescaled, AdaClip threshold m̂_max and AdaGN target norm c.
 */
export function checkStableSpamStep(c: TrajectoryCase, r: StableSpamReportLike | null, t: number, o: DiagnosticsOptions = {}): void {
  if (r == null) fail(`${c.name} step ${t}: readLastStep() is null`);
  expectEqual(r.step, t, `${c.name} step ${t}: step`);
  const aux = c.expected.aux?.[t - 1];
  if (aux == null) return;
  const at = `${c.name} step ${t}`;
  const tol = o.tol ?? c.tolerance;
  if (!(Math.abs(r.scale - aux.scale) <= 1e-12)) fail(`${at}: scale ${r.scale} vs ${aux.scale}`);
  expectEqual(r.momentumReset, aux.momentum_reset, `${at}: momentumReset`);
  expectSame(r.stepCounts, aux.state_step_after, `${at}: k after the step`);
  if (o.counts !== false) expectSame(r.clipped, aux.n_adaclipped, `${at}: entries AdaClip rescaled`);
  if (o.gradientStatistics !== false) {
    assertClose(r.maxThreshold, aux.m_max_hat, tol, `${at}: AdaClip threshold m̂_max`);
    assertClose(r.targetNorm, aux.c_norm, tol, `${at}: AdaGN target norm c`);
  }
}

/** What the AdaGC checks read of its state (`transforms.AdaGCState`). */
export interface AdaGCStateLike {
  step: number;
  gamma: readonly (number | null)[];
  lastPhase: string | null;
}

/** γ and the phase after step `t` (1-based) against the reference's `aux` (γ only where the case records it). */
export function checkAdaGCState(c: TrajectoryCase, state: AdaGCStateLike, t: number, tol: Tol = c.tolerance): void {
  expectEqual(state.step, t, `${c.name} step ${t}: state.step`);
  expectEqual(state.lastPhase, t <= c.hyper.start_clip_steps ? 'warmup' : 'adaptive', `${c.name} step ${t}: phase`);
  const gammaAfter = c.expected.aux?.[t - 1]?.gamma_after as (number | null)[] | undefined;
  if (gammaAfter == null) return;
  const exp = gammaAfter.map((v) => (v == null ? NaN : v));
  const got = state.gamma.map((v) => (v == null ? NaN : v));
  assertClose(got, exp, tol, `${c.name} gamma after step ${t}`);
}

/** The AdaGC transform's part of the contract that the checks use (src's or dist's `transforms.adaGC(…)`). */
export interface AdaGCTransformLike {
  init(): AdaGCStateLike;
  update(grads: tf.Tensor[], state: AdaGCStateLike): { grads: tf.Tensor[]; state: AdaGCStateLike };
}

/**
 * The AdaGC transform alone on a case's gradients: the clipped gradients it returns after every
 * step (against `expected.clipped_grads`), and γ and the phase ({@link checkAdaGCState}).
 */
export async function adaGCTransformSteps(c: TrajectoryCase, t: AdaGCTransformLike, tol: Tol = c.tolerance): Promise<void> {
  let state = t.init();
  for (let k = 0; k < c.grads.length; ++k) {
    const g = c.grads[k].map((e) => tf.tensor(values(e), e.shape, 'float32'));
    try {
      const r = t.update(g, state);
      state = r.state;
      try {
        for (let i = 0; i < r.grads.length; ++i) {
          assertClose(await r.grads[i].data(), values(c.expected.clipped_grads[k][i]), tol, `${c.name} clipped step ${k + 1} tensor ${i}`);
        }
      } finally {
        tf.dispose(r.grads);
      }
      checkAdaGCState(c, state, k + 1, tol);
    } finally {
      tf.dispose(g);
    }
  }
}
