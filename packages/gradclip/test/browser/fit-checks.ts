/**
 * `model.fit` through the wrapper: the seven tfjs optimizers × `clipnorm`/`clipvalue`/
 * `globalClipnorm` × each `nonFinite` policy, every transform, `tf.memory().numTensors` across
 * epochs (also with the monitoring callbacks), and (cpu, wasm) whether gradclip's fused kernels are
 * in use. Sized for SwiftShader: a 49-parameter model, 16 rows, one batch per epoch, 4 epochs.
 *
 * On a backend other than `cpu`, each fit is also run on the page's `cpu` backend and the final
 * weights are compared (with the tolerance page.ts passes: wider for float16 textures).
 */
import * as tf from '@tensorflow/tfjs';
import {
  ClippedOptimizer,
  NonFiniteError,
  gradientHealth,
  lossSpikeDetector,
  terminateOnNaN,
  transforms as T,
  withClipping,
  type ClippingOptions,
  type NonFinitePolicy,
  type StepStats,
} from 'gradclip';
import { float16Risks } from '../../dist/core/float16.js';
import { tinyRegressionData, tinyRegressionModel } from '../helpers/tiny-regression.js';
import { type Checks, close, equal, fail, ok, rejects, sameLists, show } from './checks.js';
import type { TfBackend } from './protocol.js';

export type FitTolerance = { rtol: number; atol: number };

const EPOCHS = 4;
const ROWS = 16;
const BATCH = 16;
const STEPS = EPOCHS * (ROWS / BATCH);

/**
 * Epsilon given explicitly: tfjs's default is the backend's `epsilon()`, which is 1e-7 on cpu and
 * wasm but 1e-4 on webgl (also with float32 textures), and the clipped gradients are small enough
 * for that to change the trajectory by percents (Adam) or more (RMSProp's ε sits inside the sqrt).
 * (Adagrad has no epsilon argument; it adds the backend's at every step.)
 *
 * Float16 textures (page.ts calls {@link useFloat16Textures}):
 * - 1e-7 is below float16's smallest normal (6.1e-5): stored as a subnormal, it makes Adam's step
 *   `m/(√v + ε)` up to 1e7·m where `v` underflows (gradclip's float16 warning names it), so the
 *   optimizers there use 1e-4 — tfjs's own webgl epsilon — on both backends compared.
 * - Even so Adam's `(1 - β2)·g²` underflows for the clipped gradients' small entries (|g| < 7.7e-3)
 *   and its step there is `m/ε`: its weights leave the float32 trajectory (gradclip's float16
 *   warning names beta2 for this). Where gradclip flags an optimizer hyper-parameter
 *   (`float16Risks`), the fit check requires training, clipping and constant memory but does not
 *   compare the weights with the cpu backend's, and says so in its name; the transforms are fitted
 *   with Adamax there (its second moment is a maximum, which does not underflow), so that their
 *   weights are compared.
 */
export const EPS_FLOAT32 = 1e-7;
export const EPS_FLOAT16 = 1e-4;
let EPS = EPS_FLOAT32;
let FLOAT16 = false;
/** Float16 textures: every optimizer below gets epsilon {@link EPS_FLOAT16}, and the float16 rules above apply. */
export function useFloat16Textures(): void {
  EPS = EPS_FLOAT16;
  FLOAT16 = true;
}

/** Why this optimizer's weights are not compared with the cpu backend's on float16 textures, or null. */
function float16Trajectory(make: () => tf.Optimizer): string | null {
  if (!FLOAT16) return null;
  const opt = make();
  try {
    const risks = float16Risks(opt.getConfig());
    return risks.length === 0 ? null : `float16: ${risks.map((r) => `${r.name}=${r.value}`).join(', ')} at risk, weights not compared with cpu`;
  } finally {
    opt.dispose();
  }
}
export const OPTIMIZERS: Record<string, () => tf.Optimizer> = {
  sgd: () => tf.train.sgd(0.05),
  momentum: () => tf.train.momentum(0.05, 0.9),
  adam: () => tf.train.adam(0.01, 0.9, 0.999, EPS),
  adamax: () => tf.train.adamax(0.01, 0.9, 0.999, EPS),
  rmsprop: () => tf.train.rmsprop(0.01, 0.9, 0, EPS),
  adagrad: () => tf.train.adagrad(0.05),
  adadelta: () => tf.train.adadelta(0.1, 0.95, EPS),
};
const adam = (): tf.Optimizer => OPTIMIZERS.adam();
/** The inner optimizer of the transform fits: Adam, or Adamax on float16 textures (see above). */
const transformInner = (): tf.Optimizer => (FLOAT16 ? OPTIMIZERS.adamax() : OPTIMIZERS.adam());
const CLIPS: Record<string, ClippingOptions> = { clipnorm: { clipnorm: 0.5 }, clipvalue: { clipvalue: 0.1 }, globalClipnorm: { globalClipnorm: 0.5 } };
const POLICIES: NonFinitePolicy[] = ['propagate', 'error', 'skip'];

/**
 * The transforms run through the wrapper in fit, by export name. Every function `transforms`
 * exports that is not in {@link NOT_TRANSFORMS} must have a case (a new transform fails
 * `transforms-fit: every transform has a fit case` until it gets one).
 */
const TRANSFORM_CASES: Record<string, () => T.GradientTransformation<any>> = {
  clipByValue: () => T.clipByValue(0.1),
  clipByGlobalNorm: () => T.clipByGlobalNorm(0.5),
  clipByBlockRms: () => T.clipByBlockRms(0.1),
  adaptiveGradClip: () => T.adaptiveGradClip(0.05),
  autoClip: () => T.autoClip({ percentile: 10 }),
  zClip: () => T.zClip({ warmupSteps: 2 }),
  adaGC: () => T.adaGC({ warmupSteps: 2 }),
  zeroNans: () => T.zeroNans(),
  applyIfFinite: () => T.applyIfFinite(T.clipByBlockRms(1), { maxConsecutiveErrors: 2 }),
  skipOnSpike: () => T.skipOnSpike({ window: 4, warmup: 2 }),
  chain: () => T.chain(T.zeroNans(), T.clipByGlobalNorm(0.5)),
  fromSpec: () => T.fromSpec({ name: 'chain', args: [{ name: 'zeroNans' }, { name: 'zClip', args: [{ warmupSteps: 2 }] }] }),
};
/** `transforms` exports that are functions but not transform factories. */
const NOT_TRANSFORMS = new Set(['serializeState', 'deserializeState', 'unitwiseNorm', 'unitwiseAxes', 'percentile', 'perExampleGlobalNormClip', 'isTransformSpec']);

interface FitRun {
  weights: Float32Array[];
  losses: number[];
  /** numTensors at the end of each epoch. */
  counts: number[];
  iterations: number;
  skippedSteps: number;
  /** The wrapper's statistics of the last step. */
  stats: StepStats | null;
}

async function readWeights(m: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(m.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

/**
 * Trains a fresh tiny model with `opt` (on the active backend) and reads what happened; `then`
 * runs before the model is disposed.
 */
async function fitOnce(opt: ClippedOptimizer, then?: (m: tf.LayersModel, r: FitRun) => Promise<void>): Promise<FitRun> {
  const { x, y } = tinyRegressionData(ROWS, 1.7);
  const m = tinyRegressionModel(undefined, [1, 2]);
  const releaseStats = opt.enableStats(); // `stats` below (the wrapper records them only on request)
  try {
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const counts: number[] = [];
    const h = await m.fit(x, y, {
      epochs: EPOCHS,
      batchSize: BATCH,
      shuffle: false,
      verbose: 0,
      callbacks: { onEpochEnd: async () => void counts.push(tf.memory().numTensors) },
    });
    const run: FitRun = {
      weights: await readWeights(m),
      losses: h.history.loss as number[],
      counts,
      iterations: opt.iterations,
      skippedSteps: opt.skippedSteps,
      stats: await opt.readLastStats(),
    };
    if (then) await then(m, run);
    return run;
  } finally {
    releaseStats();
    m.dispose();
    tf.dispose([x, y]);
  }
}

/** {@link fitOnce}, then disposes the optimizer. */
async function fitDisposing(opt: ClippedOptimizer): Promise<FitRun> {
  try {
    return await fitOnce(opt);
  } finally {
    opt.dispose();
  }
}

function checkMemory(r: FitRun, label: string): void {
  // Epoch 0 creates the optimizer's slots; from then on every epoch must end with the same count.
  if (!r.counts.slice(1).every((n) => n === r.counts[1])) fail(`${label}: numTensors at the end of each epoch ${show(r.counts)} (a leak)`);
}

function checkTrained(r: FitRun, label: string): void {
  ok(r.losses.every(Number.isFinite), `${label}: non-finite losses ${show(r.losses)}`);
  ok(r.losses[r.losses.length - 1] < r.losses[0], `${label}: loss did not decrease ${show(r.losses)}`);
  for (const w of r.weights) ok(w.every(Number.isFinite), `${label}: non-finite weights`);
}

/**
 * The targets are large (|y| up to ~100): every step's gradients exceed the thresholds, so the last
 * step was clipped, and what reached the optimizer respects the bound (4 variables: per-variable
 * norms <= 0.5 give a global norm <= 0.5·√4).
 */
function checkClipped(s: StepStats | null, clipName: string, tol: FitTolerance): void {
  ok(s != null, 'no step statistics');
  ok(s.clipped, `the last step was not clipped: ${show(s)}`);
  const bound = clipName === 'globalClipnorm' ? 0.5 : clipName === 'clipnorm' ? 1 : 0.1 * Math.sqrt(49);
  ok(s.clippedNorm <= bound * (1 + tol.rtol) + tol.atol, `clipped norm ${s.clippedNorm} > ${bound} (${clipName})`);
}

function checkSameWeights(got: Float32Array[], ref: Float32Array[], tol: FitTolerance, label: string): void {
  equal(got.length, ref.length, `${label}: number of weights`);
  got.forEach((w, i) => close(w, ref[i], tol, `${label} weight ${i} vs the cpu backend`));
}

/** Runs `f` on the `cpu` backend, then switches back. */
async function onCpu<R>(back: TfBackend, f: () => Promise<R>): Promise<R> {
  if (back === 'cpu') return f();
  await tf.setBackend('cpu');
  let out: R;
  try {
    out = await f();
  } finally {
    await tf.setBackend(back);
  }
  if (tf.getBackend() !== back) throw new Error(`could not switch back to '${back}'`);
  return out;
}

/** The fit matrix: `fit/<optimizer>/<clip>/<policy>`, then one non-finite step under that policy. */
export async function fitChecks(checks: Checks, backend: TfBackend, tol: FitTolerance): Promise<void> {
  for (const [optName, make] of Object.entries(OPTIMIZERS)) {
    for (const [clipName, clip] of Object.entries(CLIPS)) {
      // The cpu backend's weights for this optimizer and option (the policy changes nothing on finite batches).
      let ref: Promise<Float32Array[]> | null = null;
      const reference = (): Promise<Float32Array[]> => (ref ??= onCpu(backend, async () => (await fitDisposing(withClipping(make(), clip))).weights));
      const notCompared = float16Trajectory(make);
      for (const policy of POLICIES) {
        const label = `fit/${optName}/${clipName}/${policy}${notCompared ? ` (${notCompared})` : ''}`;
        await checks.run(
          label,
          async () => {
            const opt = withClipping(make(), { ...clip, nonFinite: policy });
            try {
              await fitOnce(opt, async (m, r) => {
                equal(r.iterations, STEPS, 'iterations');
                checkMemory(r, 'finite batches');
                checkTrained(r, 'finite batches');
                checkClipped(r.stats, clipName, tol);
                if (backend !== 'cpu' && notCompared == null) checkSameWeights(r.weights, await reference(), tol, 'final weights');
                await nonFiniteStep(m, opt, policy);
              });
            } finally {
              opt.dispose();
            }
          },
          { scope: false },
        );
      }
    }
  }
}

/** A tfjs optimizer whose every step throws. */
class ThrowingOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'ThrowingOptimizerForBrowserSuite';
  }
  applyGradients(): void {
    throw new Error('step refused');
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

let fitLeak: Promise<number> | null = null;

/** How many tensors one `fit` step leaves behind on this backend when a bare tfjs optimizer throws. */
function tfjsFitLeakOnThrow(): Promise<number> {
  return (fitLeak ??= (async () => {
    const m = tinyRegressionModel(undefined, [1, 2]);
    const x = tf.tidy(() => tinyRegressionData(BATCH, 1.7).x);
    const y = tf.fill([BATCH, 1], NaN);
    try {
      m.compile({ optimizer: new ThrowingOptimizer(), loss: 'meanSquaredError' });
      const n0 = tf.memory().numTensors;
      await rejects(m.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 }), Error, /step refused/, 'bare throwing optimizer');
      return tf.memory().numTensors - n0;
    } finally {
      m.dispose();
      tf.dispose([x, y]);
    }
  })());
}

/** One fit step on a batch with NaN targets (every gradient NaN), checked against `policy`. */
async function nonFiniteStep(m: tf.LayersModel, opt: ClippedOptimizer, policy: NonFinitePolicy): Promise<void> {
  const x = tf.tidy(() => tinyRegressionData(BATCH, 1.7).x);
  const y = tf.fill([BATCH, 1], NaN);
  try {
    const allowed = policy === 'error' ? await tfjsFitLeakOnThrow() : 0;
    const w0 = await readWeights(m);
    const it0 = opt.iterations;
    const n0 = tf.memory().numTensors;
    const fit = m.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
    if (policy === 'error') {
      await rejects(fit, NonFiniteError, new RegExp(`Non-finite gradient norm at step ${it0 + 1} \\(globalNorm=NaN\\)`), 'non-finite step');
    } else {
      const h = await fit;
      ok(Number.isNaN((h.history.loss as number[])[0]), `non-finite step: loss ${(h.history.loss as number[])[0]} should be NaN`);
    }
    const w1 = await readWeights(m);
    if (policy === 'propagate') {
      equal(opt.iterations, it0 + 1, 'non-finite step: iterations');
      ok(w1.every((w) => w.every(Number.isNaN)), `non-finite step: 'propagate' should make every weight NaN, got ${show(w1.map((w) => w.slice(0, 4)))}…`);
    } else {
      equal(opt.iterations, it0, 'non-finite step: iterations');
      sameLists(w1, w0, 'non-finite step: weights must stay bit-identical');
      if (policy === 'skip') equal(opt.skippedSteps, 1, 'non-finite step: skippedSteps');
    }
    // tfjs's fit itself leaves tensors behind when an optimizer throws (its batch indices), whatever
    // the optimizer: 'error' may leave exactly what a bare throwing optimizer leaves, nothing more.
    equal(tf.memory().numTensors - n0, allowed, `non-finite step: tensors left by the step (${policy === 'error' ? "what tfjs's fit leaves when any optimizer throws" : 'none'})`);
  } finally {
    tf.dispose([x, y]);
  }
}

/** `transforms-fit/<name>`: every transform through the wrapper in fit (adam; adamax on float16 textures), plus the coverage check. */
export async function transformFitChecks(checks: Checks, backend: TfBackend, tol: FitTolerance): Promise<void> {
  await checks.run('transforms-fit: every transform has a fit case', () => {
    const missing = Object.entries(T)
      .filter(([k, v]) => typeof v === 'function' && !NOT_TRANSFORMS.has(k) && !(k in TRANSFORM_CASES))
      .map(([k]) => k);
    ok(missing.length === 0, `transforms exports without a fit case in test/browser/fit-checks.ts: ${missing.join(', ')}`);
  });
  for (const [name, make] of Object.entries(TRANSFORM_CASES)) {
    await checks.run(
      `transforms-fit/${name}`,
      async () => {
        const ref = backend === 'cpu' ? null : await onCpu(backend, () => fitDisposing(withClipping(transformInner(), make())));
        const opt = withClipping(transformInner(), make());
        try {
          const r = await fitOnce(opt);
          equal(r.iterations + r.skippedSteps, STEPS, 'iterations + skippedSteps');
          checkMemory(r, name);
          checkTrained(r, name);
          if (ref != null) {
            equal(r.skippedSteps, ref.skippedSteps, 'skippedSteps vs the cpu backend');
            checkSameWeights(r.weights, ref.weights, tol, 'final weights');
          }
        } finally {
          opt.dispose();
        }
      },
      { scope: false },
    );
  }
}

/** `memory/…`: numTensors across epochs with the monitoring callbacks. */
export async function memoryChecks(checks: Checks): Promise<void> {
  const epochsWith = async (callbacks: (counts: number[]) => unknown): Promise<number[]> => {
    const { x, y } = tinyRegressionData(ROWS, 1.7);
    const m = tinyRegressionModel(undefined, [1, 2]);
    const opt = withClipping(adam(), { globalClipnorm: 0.5 });
    try {
      m.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const counts: number[] = [];
      await m.fit(x, y, { epochs: 6, batchSize: BATCH, shuffle: false, verbose: 0, callbacks: callbacks(counts) as tf.CustomCallbackArgs });
      equal(counts.length, 6, 'epochs seen by onEpochEnd');
      return counts;
    } finally {
      m.dispose();
      opt.dispose();
      tf.dispose([x, y]);
    }
  };
  const constant = (counts: number[]): void => ok(counts.slice(1).every((n) => n === counts[1]), `numTensors at the end of each epoch ${show(counts)} (a leak)`);
  const onEpochEnd = (counts: number[]) => async () => void counts.push(tf.memory().numTensors);

  await checks.run('memory: numTensors constant over 6 epochs, callbacks { onEpochEnd }', async () => constant(await epochsWith((c) => ({ onEpochEnd: onEpochEnd(c) }))), { scope: false });
  // tfjs decides how to treat a callbacks array from its first element (README "Mixing callbacks"):
  // a plain object first, or every plain object wrapped in tf.CustomCallback, are the supported orders.
  await checks.run(
    'memory: numTensors constant over 6 epochs, callbacks [{ onEpochEnd }, gradientHealth()]',
    async () => constant(await epochsWith((c) => [{ onEpochEnd: onEpochEnd(c) }, gradientHealth({ log: false })])),
    { scope: false },
  );
  await checks.run(
    'memory: numTensors constant over 6 epochs, callbacks [gradientHealth(), new tf.CustomCallback({ onEpochEnd })]',
    async () => constant(await epochsWith((c) => [gradientHealth({ log: false }), new tf.CustomCallback({ onEpochEnd: onEpochEnd(c) })])),
    { scope: false },
  );
  await checks.run(
    "memory: callbacks [gradientHealth(), { onEpochEnd }] fail inside tfjs before training (tfjs's rule: the first element decides; documented)",
    async () => {
      const { x, y } = tinyRegressionData(ROWS, 1.7);
      const m = tinyRegressionModel(undefined, [1, 2]);
      const opt = withClipping(adam(), { globalClipnorm: 0.5 });
      try {
        m.compile({ optimizer: opt, loss: 'meanSquaredError' });
        const epochs: number[] = [];
        const fit = m.fit(x, y, { epochs: 2, batchSize: BATCH, verbose: 0, callbacks: [gradientHealth({ log: false }), { onEpochEnd: async (e: number) => void epochs.push(e) }] as never });
        await rejects(fit, TypeError, /setParams is not a function/, 'fit');
        equal(opt.iterations, 0, 'iterations (no step ran)');
        equal(epochs.length, 0, 'epochs seen by the plain callback');
      } finally {
        m.dispose();
        opt.dispose();
        tf.dispose([x, y]);
      }
    },
    { scope: false },
  );
  await checks.run(
    'memory: numTensors constant over 6 epochs, callbacks [gradientHealth(), lossSpikeDetector(), terminateOnNaN(), new tf.CustomCallback({ onEpochEnd })]',
    async () => constant(await epochsWith((c) => [gradientHealth({ log: false }), lossSpikeDetector(), terminateOnNaN(), new tf.CustomCallback({ onEpochEnd: onEpochEnd(c) })])),
    { scope: false },
  );
}

/** `fastpath/…` (cpu and wasm): the wrapper's clipping ran through gradclip's fused kernels. */
export async function fastPathChecks(checks: Checks, backend: TfBackend): Promise<void> {
  if (backend !== 'cpu' && backend !== 'wasm') return;
  await checks.run(`fastpath: gradclip's fused clipping kernels are registered and used on ${backend}`, async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'browser_fastpath');
    const opt = withClipping(tf.train.sgd(0.1), { globalClipnorm: 1 });
    opt.enableStats();
    try {
      opt.applyGradients({ [v.name]: tf.tensor1d([3, 4, 12]) });
      const s = (await opt.readLastStats())!;
      close([s.globalNorm, s.clippedNorm], [13, 1], { rtol: 1e-6, atol: 0 }, 'globalNorm, clippedNorm');
      const kernel = 'GradclipKerasClipStats';
      ok(tf.getKernel(kernel, backend) != null, `kernel ${kernel} is not registered on '${backend}': the fast path is off here (its SIMD module did not load or link)`);
    } finally {
      opt.dispose();
      v.dispose();
    }
  });
}
