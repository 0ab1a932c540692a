/**
 * NaN/Inf cases: the documented non-finite semantics of the clipping functions, the transforms and
 * the wrapper's `nonFinite` policies (the Node unit tests' cases, compared as strictly as they are
 * there: `Object.is` where Node uses deepStrictEqual, so -0 and NaN must match).
 */
import * as tf from '@tensorflow/tfjs';
import {
  NonFiniteError,
  clipByGlobalNorm,
  clipByNorm,
  clipByValue,
  clipGradNorm,
  clipGradValue,
  getTotalNorm,
  globalNorm,
  transforms as T,
  withClipping,
} from 'gradclip';
import { type Checks, close, equal, ok, sameLists as sameListsExact, sameValues, throws, values } from './checks.js';

const f32 = Math.fround;

type Tol = { rtol: number; atol: number };

async function read(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Runs a transform once on `xs` (as both gradients and params) and reads the result. */
async function readTransform(t: T.GradientTransformation<any>, xs: number[][]): Promise<number[][]> {
  const g = xs.map((x) => tf.tensor(x));
  const r = t.update(g, t.init(g), g);
  return (await values(r.grads as tf.Tensor[])) as number[][];
}

/**
 * @param widen the tolerance of the comparisons that have one (wider with float16 storage).
 * @param rounding null: values compare exactly (`Object.is`), as in the Node tests; with float16
 *   storage, finite non-zero values may be off by float16 rounding (NaN, ±Infinity, ±0 stay exact).
 */
export async function nonFiniteChecks(checks: Checks, rounding: { rtol: number } | null, widen: (t: Tol) => Tol): Promise<void> {
  const sameNumbers = (got: ArrayLike<number>, expected: ArrayLike<number>, label: string): void => sameValues(got, expected, label, rounding);
  const sameLists = (got: ArrayLike<number>[], expected: ArrayLike<number>[], label: string): void => sameListsExact(got, expected, label, rounding);
  const c = (name: string, fn: () => void | Promise<void>): Promise<void> => checks.run(`nonfinite/${name}`, fn);

  // TF clip_by_norm: t * clip / max(norm, clip); an inf entry makes the norm inf: finite → 0, inf → inf/inf = NaN.
  await c('clipByNorm([[1, Inf, 2]], 1) = [[0, NaN, 0]]', async () => {
    sameNumbers(await read(clipByNorm(tf.tensor([[1, Infinity, 2]]), 1)), [0, NaN, 0], 'output');
  });
  await c('clipByNorm([[1, NaN, 2]], 1) = all NaN', async () => {
    sameNumbers(await read(clipByNorm(tf.tensor([[1, NaN, 2]]), 1)), [NaN, NaN, NaN], 'output');
  });
  await c('clipByNorm([[1, Inf], [2, NaN], [3, 4]], 1, axes=1): only the affected rows change', async () => {
    const out = await read(clipByNorm(tf.tensor([[1, Infinity], [2, NaN], [3, 4]]), 1, 1));
    sameNumbers(out.slice(0, 4), [0, NaN, NaN, NaN], 'rows 0-1');
    close(out.slice(4), [0.6, 0.8], widen({ rtol: 1e-5, atol: 1e-6 }), 'row 2');
  });
  await c('clipByNorm(zeros([3]), 1) stays zero', async () => {
    sameNumbers(await read(clipByNorm(tf.zeros([3]), 1)), [0, 0, 0], 'output');
  });

  // TF clip_by_global_norm: a non-finite global norm makes every output NaN (also on float32 overflow of Σx²).
  for (const [label, bad] of [['NaN', NaN], ['Inf', Infinity], ['-Inf', -Infinity]] as const) {
    await c(`clipByGlobalNorm([[1, ${label}], [2, 3]], 1) = all NaN, norm not finite`, async () => {
      const [out, n] = clipByGlobalNorm([tf.tensor([1, bad]), tf.tensor([2, 3])], 1);
      sameLists((await values(out)) as number[][], [[NaN, NaN], [NaN, NaN]], 'outputs');
      ok(!Number.isFinite((await n.data())[0]), `norm ${(await n.data())[0]} should not be finite`);
    });
  }
  await c('clipByGlobalNorm([[3e20, 4e20]], 1) (Σx² overflows float32) = all NaN', async () => {
    const [out] = clipByGlobalNorm([tf.tensor([3e20, 4e20])], 1);
    sameNumbers(await read(out[0]!), [NaN, NaN], 'output');
  });
  await c('globalNorm([[1, Inf], [2]]) = Inf and globalNorm([[1, NaN]]) = NaN', async () => {
    sameNumbers(await read(globalNorm([tf.tensor([1, Infinity]), tf.tensor([2])])), [Infinity], 'inf');
    sameNumbers(await read(globalNorm([tf.tensor([1, NaN])])), [NaN], 'nan');
  });

  // PyTorch clip_grad_norm_: NaN → all NaN; inf → finite entries 0, inf entries NaN.
  await c('clipGradNorm([[1, NaN], [2]], 1) = all NaN', async () => {
    const r = clipGradNorm([tf.tensor([1, NaN]), tf.tensor([2])], 1);
    sameLists((await values(r.grads as tf.Tensor[])) as number[][], [[NaN, NaN], [NaN]], 'grads');
  });
  await c('clipGradNorm([[1, Inf], [-2]], 1) = [[0, NaN], [±0]], totalNorm Inf', async () => {
    const r = clipGradNorm([tf.tensor([1, Infinity]), tf.tensor([-2])], 1);
    const g = r.grads as tf.Tensor[];
    sameNumbers(await read(g[0]), [0, NaN], 'grads[0]');
    equal(Math.abs((await read(g[1]))[0]), 0, 'grads[1] magnitude');
    sameNumbers(await read(r.totalNorm), [Infinity], 'totalNorm');
  });
  await c('getTotalNorm([[1, NaN, 2]], Inf) = NaN (max norm propagates NaN)', async () => {
    sameNumbers(await read(getTotalNorm([tf.tensor([1, NaN, 2])], Infinity)), [NaN], 'norm');
  });
  await c('getTotalNorm([[0, 2]], -1) = 0 (|0|^-1 = Inf, as torch)', async () => {
    sameNumbers(await read(getTotalNorm([tf.tensor([0, 2])], -1)), [0], 'norm');
  });
  await c('clipGradNorm([[1, Inf]], 1, { errorIfNonfinite: true }) throws NonFiniteError, input untouched', async () => {
    const g = tf.tensor([1, Infinity]);
    throws(() => clipGradNorm([g], 1, { errorIfNonfinite: true }), NonFiniteError, /non-finite.*set `errorIfNonfinite: false`/, 'clipGradNorm');
    sameNumbers(await read(g), [1, Infinity], 'input');
  });

  // Value clipping: NaN kept, ±inf clamped, -0 kept.
  await c('clipGradValue([[-3, NaN, Inf, -Inf, -0]], 1) = [-1, NaN, 1, -1, -0]', async () => {
    sameNumbers(await read(clipGradValue([tf.tensor([-3, NaN, Infinity, -Infinity, -0])], 1)[0]!), [-1, NaN, 1, -1, -0], 'output');
  });
  await c('clipByValue([NaN, -5, 5], -4.4, 4.4) = [NaN, -4.4, 4.4]', async () => {
    sameNumbers(await read(clipByValue(tf.tensor([NaN, -5, 5]), -4.4, 4.4)), [NaN, f32(-4.4), f32(4.4)], 'output');
  });

  // Transforms (optax semantics, not TF's).
  await c('transforms.clipByGlobalNorm(1) on [[1, Inf]] = [[0, NaN]]', async () => {
    sameLists(await readTransform(T.clipByGlobalNorm(1), [[1, Infinity]]), [[0, NaN]], 'updates');
  });
  await c('transforms.clipByGlobalNorm(1) on [[Inf, 2], [-3]] = [[NaN, 0], [-0]]', async () => {
    sameLists(await readTransform(T.clipByGlobalNorm(1), [[Infinity, 2], [-3]]), [[NaN, 0], [-0]], 'updates');
  });
  await c('transforms.clipByGlobalNorm(1) on [[NaN, 2], [3]] = all NaN', async () => {
    sameLists(await readTransform(T.clipByGlobalNorm(1), [[NaN, 2], [3]]), [[NaN, NaN], [NaN]], 'updates');
  });
  await c('transforms.clipByGlobalNorm(1) on [[3e20, -4e20]] (Σx² overflows) = [[0, -0]]', async () => {
    sameLists(await readTransform(T.clipByGlobalNorm(1), [[3e20, -4e20]]), [[0, -0]], 'updates');
  });
  await c('transforms.clipByValue(2) on [[NaN, Inf, -Inf, 1]] = [[NaN, 2, -2, 1]]', async () => {
    sameLists(await readTransform(T.clipByValue(2), [[NaN, Infinity, -Infinity, 1]]), [[NaN, 2, -2, 1]], 'updates');
  });
  await c('transforms.clipByBlockRms(1) on [[NaN, 1], [0.5]] = [[NaN, NaN], [0.5]]', async () => {
    sameLists(await readTransform(T.clipByBlockRms(1), [[NaN, 1], [0.5]]), [[NaN, NaN], [0.5]], 'updates');
  });
  await c('transforms.zeroNans() on [[NaN, Inf, -1]] = [[0, Inf, -1]]', async () => {
    sameLists(await readTransform(T.zeroNans(), [[NaN, Infinity, -1]]), [[0, Infinity, -1]], 'updates');
  });
  await c('transforms.autoClip(): a non-finite first step passes through and is not recorded', async () => {
    const t = T.autoClip();
    const r0 = t.update([tf.tensor([Infinity, 1])], t.init());
    sameNumbers(await read(r0.grads[0]!), [Infinity, 1], 'step 0');
    equal(JSON.stringify(r0.state.history), '[]', 'history after step 0');
    const r1 = t.update([tf.tensor([3, 4])], r0.state);
    close(r1.state.history as number[], [5], widen({ rtol: 1e-6, atol: 0 }), 'history after step 1');
  });
  await c('transforms.applyIfFinite(clipByGlobalNorm(1)) skips a NaN step and counts it', async () => {
    const t = T.applyIfFinite(T.clipByGlobalNorm(1), { maxConsecutiveErrors: 2 });
    const r = t.update([tf.tensor([NaN, 1])], t.init([tf.tensor([0, 0])]));
    equal(r.skip, true, 'skip');
    equal(r.state.notfiniteCount, 1, 'notfiniteCount');
  });

  // The wrapper's nonFinite policies with NaN and Inf gradients (applyGradients).
  for (const name of ['adam', 'momentum'] as const) {
    await c(`withClipping(${name}, { clipnorm: 1, nonFinite: 'skip' }): NaN and Inf steps leave weights, slots and iterations bit-identical`, async () => {
      const v = tf.variable(tf.tensor1d([1, -2, 3]), true, `browser_skip_${name}`);
      const opt = withClipping(name === 'adam' ? tf.train.adam(0.01) : tf.train.momentum(0.05, 0.9), { clipnorm: 1, nonFinite: 'skip' });
      try {
        for (let i = 0; i < 3; i++) opt.applyGradients({ [v.name]: tf.tensor1d([0.5, 1, -1]) });
        const w0 = await read(v);
        const s0 = await Promise.all((await opt.getWeights()).map(async (s) => read(s.tensor)));
        const it0 = opt.iterations;
        const n = tf.memory().numTensors;
        opt.applyGradients({ [v.name]: tf.tensor1d([NaN, 1, 1]) });
        opt.applyGradients([{ name: v.name, tensor: tf.tensor1d([Infinity, 1, 1]) }]);
        equal(tf.memory().numTensors, n + 2, 'numTensors (only the two caller-owned gradients remain)');
        sameNumbers(await read(v), w0, 'weights');
        sameLists(await Promise.all((await opt.getWeights()).map(async (s) => read(s.tensor))), s0, 'slots');
        equal(opt.iterations, it0, 'iterations');
        equal(opt.skippedSteps, 2, 'skippedSteps');
        equal((await opt.readLastStats())!.skipped, true, 'stats.skipped');
        opt.applyGradients({ [v.name]: tf.tensor1d([0.5, 1, -1]) });
        equal(opt.iterations, it0 + 1, 'a finite step applies again');
      } finally {
        opt.dispose();
        v.dispose();
      }
    });
  }
  await c("withClipping(adam, { globalClipnorm: 1, nonFinite: 'error' }): a NaN step throws NonFiniteError, nothing changes", async () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, 'browser_error_adam');
    const opt = withClipping(tf.train.adam(0.1), { globalClipnorm: 1, nonFinite: 'error' });
    try {
      opt.applyGradients({ [v.name]: tf.tensor1d([1, 1]) });
      const w0 = await read(v);
      const s0 = await Promise.all((await opt.getWeights()).map(async (s) => read(s.tensor)));
      throws(() => opt.applyGradients({ [v.name]: tf.tensor1d([NaN, 1]) }), NonFiniteError, /Non-finite gradient norm at step 2 \(globalNorm=NaN\).*not changed.*nonFinite: 'skip'/, 'applyGradients');
      sameNumbers(await read(v), w0, 'weights');
      sameLists(await Promise.all((await opt.getWeights()).map(async (s) => read(s.tensor))), s0, 'slots');
      equal(opt.iterations, 1, 'iterations');
    } finally {
      opt.dispose();
      v.dispose();
    }
  });
  const propagateCases: [Record<string, number>, number[]][] = [
    // A NaN entry makes the (per-variable or global) norm NaN: the whole update is NaN (Keras/TF).
    [{ clipnorm: 1 }, [NaN, NaN, NaN]],
    [{ globalClipnorm: 1 }, [NaN, NaN, NaN]],
    // Value clipping clamps inf to the bound and keeps NaN.
    [{ clipvalue: 1 }, [0.9, 1.9, NaN]],
  ];
  for (const [clip, expected] of propagateCases) {
    await c(`withClipping(sgd(0.1), ${JSON.stringify(clip)}) ('propagate'): gradient [Inf, 1, NaN] on [1, 2, 3] gives ${JSON.stringify(expected.map(String))}`, async () => {
      const v = tf.variable(tf.tensor1d([1, 2, 3]), true, `browser_propagate_${Object.keys(clip)[0]}`);
      const opt = withClipping(tf.train.sgd(0.1), clip);
      try {
        opt.applyGradients({ [v.name]: tf.tensor1d([Infinity, 1, NaN]) });
        close(await read(v), expected, widen({ rtol: 1e-6, atol: 1e-6 }), 'weights');
        equal(opt.iterations, 1, 'iterations');
        const s = (await opt.readLastStats())!;
        equal(s.nonFiniteCount, 2, 'stats.nonFiniteCount');
        equal(s.skipped, false, 'stats.skipped');
      } finally {
        opt.dispose();
        v.dispose();
      }
    });
  }
}
