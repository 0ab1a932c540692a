/**
 * NaN/Inf cases: the documented non-finite semantics of the clipping functions, the transforms and
 * the wrapper's `nonFinite` policies (the Node unit tests' cases, compared as strictly as they are
 * there: `Object.is` where Node uses deepStrictEqual, so -0 and NaN must match), and every place
 * gradclip decides "finite or not" with NaN and ±Inf in SIMD/vec4 tails and in the middle of packed
 * textures (`placement/…`).
 *
 * Float16 textures (webgl-f16) hold no ±Infinity and nothing above 65504: such a value is NaN from
 * the first GPU op on (page.ts `env: …` checks it). A check whose input holds one states its
 * float16 expectation in its name, `(float16: …)`: what the same call gives with NaN in that place.
 * Nothing else is relaxed there, except finite values to float16 rounding.
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
import { type Checks, close, equal, fail, ok, sameLists as sameListsExact, sameValues, show, throws, values } from './checks.js';

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
export async function nonFiniteChecks(checks: Checks, rounding: { rtol: number } | null, widen: (t: Tol) => Tol, float16 = false): Promise<void> {
  /** The float32 expectation, or the float16 one on float16 textures. */
  const f = <T>(f32: T, f16: T): T => (float16 ? f16 : f32);
  const sameNumbers = (got: ArrayLike<number>, expected: ArrayLike<number>, label: string): void => sameValues(got, expected, label, rounding);
  const sameLists = (got: ArrayLike<number>[], expected: ArrayLike<number>[], label: string): void => sameListsExact(got, expected, label, rounding);
  const c = (name: string, fn: () => void | Promise<void>): Promise<void> => checks.run(`nonfinite/${name}`, fn);

  // TF clip_by_norm: t * clip / max(norm, clip); an inf entry makes the norm inf: finite → 0, inf → inf/inf = NaN.
  await c('clipByNorm([[1, Inf, 2]], 1) = [[0, NaN, 0]] (float16: [[NaN, NaN, NaN]])', async () => {
    sameNumbers(await read(clipByNorm(tf.tensor([[1, Infinity, 2]]), 1)), f([0, NaN, 0], [NaN, NaN, NaN]), 'output');
  });
  await c('clipByNorm([[1, NaN, 2]], 1) = all NaN', async () => {
    sameNumbers(await read(clipByNorm(tf.tensor([[1, NaN, 2]]), 1)), [NaN, NaN, NaN], 'output');
  });
  await c('clipByNorm([[1, Inf], [2, NaN], [3, 4]], 1, axes=1): only the affected rows change (float16: row 0 all NaN)', async () => {
    const out = await read(clipByNorm(tf.tensor([[1, Infinity], [2, NaN], [3, 4]]), 1, 1));
    sameNumbers(out.slice(0, 4), f([0, NaN, NaN, NaN], [NaN, NaN, NaN, NaN]), 'rows 0-1');
    close(out.slice(4), [0.6, 0.8], widen({ rtol: 1e-5, atol: 1e-6 }), 'row 2');
  });
  await c('clipByNorm(zeros([3]), 1) stays zero', async () => {
    sameNumbers(await read(clipByNorm(tf.zeros([3]), 1)), [0, 0, 0], 'output');
  });
  // TF: (t*0)/max(0, 0) = 0/0 = NaN; tfjs-webgl's division would give 1.
  await c('clipByNorm(zeros([3]), 0) = all NaN (0/0, as TF)', async () => {
    sameNumbers(await read(clipByNorm(tf.zeros([3]), 0)), [NaN, NaN, NaN], 'output');
  });
  await c('clipByNorm([[-3, 4], [0, 0]], 0, axes=1) = [[-0, 0], [NaN, NaN]]', async () => {
    sameNumbers(await read(clipByNorm(tf.tensor([[-3, 4], [0, 0]]), 0, 1)), [-0, 0, NaN, NaN], 'output');
  });

  // TF clip_by_global_norm: a non-finite global norm makes every output NaN (also on float32 overflow of Σx²).
  for (const [label, bad] of [['NaN', NaN], ['Inf', Infinity], ['-Inf', -Infinity]] as const) {
    await c(`clipByGlobalNorm([[1, ${label}], [2, 3]], 1) = all NaN, norm not finite`, async () => {
      const [out, n] = clipByGlobalNorm([tf.tensor([1, bad]), tf.tensor([2, 3])], 1);
      sameLists((await values(out)) as number[][], [[NaN, NaN], [NaN, NaN]], 'outputs');
      ok(!Number.isFinite((await n.data())[0]), `norm ${(await n.data())[0]} should not be finite`);
    });
  }
  await c('clipByGlobalNorm([[3e20, 4e20]], 1) (Σx² overflows float32; float16: 3e20 is NaN) = all NaN', async () => {
    const [out] = clipByGlobalNorm([tf.tensor([3e20, 4e20])], 1);
    sameNumbers(await read(out[0]!), [NaN, NaN], 'output');
  });
  await c('globalNorm([[1, Inf], [2]]) = Inf (float16: NaN) and globalNorm([[1, NaN]]) = NaN', async () => {
    sameNumbers(await read(globalNorm([tf.tensor([1, Infinity]), tf.tensor([2])])), [f(Infinity, NaN)], 'inf');
    sameNumbers(await read(globalNorm([tf.tensor([1, NaN])])), [NaN], 'nan');
  });

  // PyTorch clip_grad_norm_: NaN → all NaN; inf → finite entries 0, inf entries NaN.
  await c('clipGradNorm([[1, NaN], [2]], 1) = all NaN', async () => {
    const r = clipGradNorm([tf.tensor([1, NaN]), tf.tensor([2])], 1);
    sameLists((await values(r.grads as tf.Tensor[])) as number[][], [[NaN, NaN], [NaN]], 'grads');
  });
  await c('clipGradNorm([[1, Inf], [-2]], 1) = [[0, NaN], [±0]], totalNorm Inf (float16: all NaN, totalNorm NaN)', async () => {
    const r = clipGradNorm([tf.tensor([1, Infinity]), tf.tensor([-2])], 1);
    const g = r.grads as tf.Tensor[];
    sameNumbers(await read(g[0]), f([0, NaN], [NaN, NaN]), 'grads[0]');
    if (float16) sameNumbers(await read(g[1]), [NaN], 'grads[1]');
    else equal(Math.abs((await read(g[1]))[0]), 0, 'grads[1] magnitude');
    sameNumbers(await read(r.totalNorm), [f(Infinity, NaN)], 'totalNorm');
  });
  await c('getTotalNorm([[1, NaN, 2]], Inf) = NaN (max norm propagates NaN)', async () => {
    sameNumbers(await read(getTotalNorm([tf.tensor([1, NaN, 2])], Infinity)), [NaN], 'norm');
  });
  await c('getTotalNorm([[0, 2]], -1) = 0 (|0|^-1 = Inf, as torch)', async () => {
    sameNumbers(await read(getTotalNorm([tf.tensor([0, 2])], -1)), [0], 'norm');
  });
  await c('getTotalNorm([[0, NaN]], -1) = NaN and getTotalNorm([[1], [0]], -2) = 0 (a zero norm among tensors)', async () => {
    sameNumbers(await read(getTotalNorm([tf.tensor([0, NaN])], -1)), [NaN], 'zero and NaN');
    sameNumbers(await read(getTotalNorm([tf.tensor([1]), tf.tensor([0])], -2)), [0], 'zero tensor');
  });
  await c('getTotalNorm([[1, 2, 4]], -1) = (1 + 1/2 + 1/4)^-1', async () => {
    close(await read(getTotalNorm([tf.tensor([1, 2, 4])], -1)), [1 / 1.75], widen({ rtol: 1e-6, atol: 0 }), 'norm');
  });
  await c('clipGradNorm([[1, Inf]], 1, { errorIfNonfinite: true }) throws NonFiniteError, input untouched (float16: the input reads [1, NaN] once on the device)', async () => {
    const g = tf.tensor([1, Infinity]);
    throws(() => clipGradNorm([g], 1, { errorIfNonfinite: true }), NonFiniteError, /non-finite.*set `errorIfNonfinite: false`/, 'clipGradNorm');
    sameNumbers(await read(g), f([1, Infinity], [1, NaN]), 'input');
  });

  // Value clipping: NaN kept, ±inf clamped, -0 kept.
  await c('clipGradValue([[-3, NaN, Inf, -Inf, -0]], 1) = [-1, NaN, 1, -1, -0] (float16: [-1, NaN, NaN, NaN, -0])', async () => {
    sameNumbers(await read(clipGradValue([tf.tensor([-3, NaN, Infinity, -Infinity, -0])], 1)[0]!), f([-1, NaN, 1, -1, -0], [-1, NaN, NaN, NaN, -0]), 'output');
  });
  await c('clipByValue([NaN, -5, 5], -4.4, 4.4) = [NaN, -4.4, 4.4]', async () => {
    sameNumbers(await read(clipByValue(tf.tensor([NaN, -5, 5]), -4.4, 4.4)), [NaN, f32(-4.4), f32(4.4)], 'output');
  });

  // Transforms (optax semantics, not TF's).
  await c('transforms.clipByGlobalNorm(1) on [[1, Inf]] = [[0, NaN]] (float16: [[NaN, NaN]])', async () => {
    sameLists(await readTransform(T.clipByGlobalNorm(1), [[1, Infinity]]), f([[0, NaN]], [[NaN, NaN]]), 'updates');
  });
  await c('transforms.clipByGlobalNorm(1) on [[Inf, 2], [-3]] = [[NaN, 0], [-0]] (float16: all NaN)', async () => {
    sameLists(await readTransform(T.clipByGlobalNorm(1), [[Infinity, 2], [-3]]), f([[NaN, 0], [-0]], [[NaN, NaN], [NaN]]), 'updates');
  });
  await c('transforms.clipByGlobalNorm(Infinity) on [[1, -2]] and [[NaN, 1]] = unchanged, all NaN', async () => {
    sameLists(await readTransform(T.clipByGlobalNorm(Infinity), [[1, -2]]), [[1, -2]], 'finite');
    sameLists(await readTransform(T.clipByGlobalNorm(Infinity), [[NaN, 1]]), [[NaN, NaN]], 'NaN');
  });
  await c('transforms.clipByBlockRms(1) on [[Inf, 1]] = [[NaN, 0]] (float16: [[NaN, NaN]]) and clipByBlockRms(0) on [[0, 0]] = [[NaN, NaN]] (0/0)', async () => {
    sameLists(await readTransform(T.clipByBlockRms(1), [[Infinity, 1]]), f([[NaN, 0]], [[NaN, NaN]]), 'inf');
    sameLists(await readTransform(T.clipByBlockRms(0), [[0, 0]]), [[NaN, NaN]], 'zero threshold');
  });
  await c('transforms.clipByGlobalNorm(1) on [[NaN, 2], [3]] = all NaN', async () => {
    sameLists(await readTransform(T.clipByGlobalNorm(1), [[NaN, 2], [3]]), [[NaN, NaN], [NaN]], 'updates');
  });
  await c('transforms.clipByGlobalNorm(1) on [[3e20, -4e20]] (Σx² overflows) = [[0, -0]] (float16: 3e20 is NaN → [[NaN, NaN]])', async () => {
    sameLists(await readTransform(T.clipByGlobalNorm(1), [[3e20, -4e20]]), f([[0, -0]], [[NaN, NaN]]), 'updates');
  });
  await c('transforms.clipByValue(2) on [[NaN, Inf, -Inf, 1]] = [[NaN, 2, -2, 1]] (float16: [[NaN, NaN, NaN, 1]])', async () => {
    sameLists(await readTransform(T.clipByValue(2), [[NaN, Infinity, -Infinity, 1]]), f([[NaN, 2, -2, 1]], [[NaN, NaN, NaN, 1]]), 'updates');
  });
  await c('transforms.clipByBlockRms(1) on [[NaN, 1], [0.5]] = [[NaN, NaN], [0.5]]', async () => {
    sameLists(await readTransform(T.clipByBlockRms(1), [[NaN, 1], [0.5]]), [[NaN, NaN], [0.5]], 'updates');
  });
  await c('transforms.zeroNans() on [[NaN, Inf, -1]] = [[0, Inf, -1]] (float16: Inf is NaN → [[0, 0, -1]])', async () => {
    sameLists(await readTransform(T.zeroNans(), [[NaN, Infinity, -1]]), f([[0, Infinity, -1]], [[0, 0, -1]]), 'updates');
  });
  await c('transforms.autoClip(): a non-finite first step passes through and is not recorded (float16: it reads [NaN, 1])', async () => {
    const t = T.autoClip();
    const r0 = t.update([tf.tensor([Infinity, 1])], t.init());
    sameNumbers(await read(r0.grads[0]!), f([Infinity, 1], [NaN, 1]), 'step 0');
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
      opt.enableStats(); // the statistics are recorded only on request
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
    // Value clipping clamps inf to the bound and keeps NaN (float16: the Inf is NaN, so it stays NaN).
    [{ clipvalue: 1 }, f([0.9, 1.9, NaN], [NaN, 1.9, NaN])],
  ];
  for (const [clip, expected] of propagateCases) {
    await c(`withClipping(sgd(0.1), ${JSON.stringify(clip)}) ('propagate'): gradient [Inf, 1, NaN] on [1, 2, 3] gives ${JSON.stringify(expected.map(String))}`, async () => {
      const v = tf.variable(tf.tensor1d([1, 2, 3]), true, `browser_propagate_${Object.keys(clip)[0]}`);
      const opt = withClipping(tf.train.sgd(0.1), clip);
      opt.enableStats();
      try {
        opt.applyGradients({ [v.name]: tf.tensor1d([Infinity, 1, NaN]) });
        close(await read(v), expected, widen({ rtol: 1e-6, atol: 1e-6 }), 'weights');
        // The count is exact on float16 too: it counts the Inf (stored as NaN) and the NaN.
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

  await placementChecks(c, float16);
}

/**
 * Where a non-finite entry sits: positions in the last, partly filled vec4 (tfjs-webgpu works on
 * vec4s; a packed webgl texel holds 2x2 entries), at the start, and in the middle of a packed 2D
 * texture; sizes that are and are not multiples of 4.
 */
const PLACEMENTS: { label: string; shape: number[]; at: number }[] = [
  { label: '[5] at 4 (vec4 tail)', shape: [5], at: 4 },
  { label: '[7] at 6 (vec4 tail)', shape: [7], at: 6 },
  { label: '[3, 3] at [2, 2] (packed-texel tail)', shape: [3, 3], at: 8 },
  { label: '[2, 3, 5] at [1, 2, 4] (last entry)', shape: [2, 3, 5], at: 29 },
  { label: '[6, 6] at [3, 2] (middle of a packed texture)', shape: [6, 6], at: 20 },
  { label: '[1025] at 512 (middle)', shape: [1025], at: 512 },
  { label: '[1025] at 0 (first)', shape: [1025], at: 0 },
];

/** Deterministic small finite values (never 0), with `bad` at `at`. */
function valuesWith(size: number, at: number, bad: number): Float32Array {
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = ((i % 7) - 3.5) / 4;
  v[at] = bad;
  return v;
}

/**
 * `placement/…`: each of gradclip's finite-or-not decisions with NaN, +Inf and -Inf at each
 * placement, and the all-finite control: `transforms.applyIfFinite` (skips), `transforms.zeroNans`
 * (finds only NaN, zeroes only NaN), `errorIfNonfinite` (throws), the wrapper's `nonFinite: 'skip'`
 * (skips, counts one non-finite entry), and `clipByNorm` per slice (only the bad slice changes).
 * On float16 textures ±Inf is NaN: the decisions are the NaN ones.
 */
async function placementChecks(c: (name: string, fn: () => void | Promise<void>) => Promise<void>, float16: boolean): Promise<void> {
  const bads: [string, number][] = [['NaN', NaN], ['+Inf', Infinity], ['-Inf', -Infinity], ['finite', 0.25]];
  for (const p of PLACEMENTS) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    await c(`placement: ${p.label}: applyIfFinite, zeroNans, errorIfNonfinite, nonFinite 'skip', nonFiniteCount, clipByNorm per slice`, async () => {
      for (const [name, bad] of bads) {
        const label = `${name} at ${p.label}`;
        const finite = Number.isFinite(bad);
        // What the device holds: float16 has no ±Inf.
        const stored = float16 && !finite && !Number.isNaN(bad) ? NaN : bad;
        const isNan = Number.isNaN(stored);
        const g = tf.tensor(valuesWith(size, p.at, bad), p.shape);

        const aif = T.applyIfFinite(T.chain(), { maxConsecutiveErrors: 2 });
        const r = aif.update([g], aif.init([g]));
        equal(r.skip, !finite, `${label}: applyIfFinite skip`);
        equal(r.state.lastFinite, finite, `${label}: applyIfFinite lastFinite`);

        const zn = T.zeroNans();
        const z = zn.update([g], zn.init([g]));
        equal(z.state.foundNan[0], isNan, `${label}: zeroNans foundNan`);
        const zv = await read(z.grads[0]!);
        equal(zv[p.at], isNan ? 0 : stored, `${label}: zeroNans at the bad entry`);
        equal(zv.filter((x, i) => i !== p.at && !Number.isFinite(x)).length, 0, `${label}: zeroNans elsewhere`);

        if (finite) getTotalNorm([g], 2, true).dispose();
        else throws(() => getTotalNorm([g], 2, true), NonFiniteError, /non-finite/, `${label}: getTotalNorm errorIfNonfinite`);

        const v = tf.variable(tf.zeros(p.shape), true, `browser_placement_${p.shape.join('x')}_${p.at}`);
        const opt = withClipping(tf.train.sgd(0.1), { globalClipnorm: 1, nonFinite: 'skip' });
        opt.enableStats();
        try {
          opt.applyGradients({ [v.name]: g });
          equal(opt.skippedSteps, finite ? 0 : 1, `${label}: nonFinite 'skip' skippedSteps`);
          const s = (await opt.readLastStats())!;
          equal(s.nonFiniteCount, finite ? 0 : 1, `${label}: stats.nonFiniteCount`);
          equal(Number.isFinite(s.globalNorm), finite, `${label}: stats.globalNorm finite`);
        } finally {
          opt.dispose();
          v.dispose();
        }

        // Per slice along the last axis: only the slice holding the bad entry is non-finite.
        if (p.shape.length >= 2) {
          const last = p.shape[p.shape.length - 1];
          const out = await read(clipByNorm(g, 1, -1));
          const badSlice = Math.floor(p.at / last);
          for (let i = 0; i < size; i++) {
            const inBad = Math.floor(i / last) === badSlice;
            const want = !inBad || finite ? 'finite' : isNan ? 'NaN' : i === p.at ? 'NaN' : 'zero';
            const got = Number.isNaN(out[i]) ? 'NaN' : out[i] === 0 ? 'zero' : Number.isFinite(out[i]) ? 'finite' : String(out[i]);
            if (got !== want && !(want === 'finite' && got === 'zero')) fail(`${label}: clipByNorm(…, axes=-1)[${i}] is ${show(out[i])}, expected ${want}`);
          }
        }
      }
    });
  }
}
