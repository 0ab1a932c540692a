/**
 * exact-ops.ts: the IEEE results of gradclip's clipping functions must not depend on a backend's
 * quirks. A `quirky` backend — the cpu kernels, except that division, NaN tests, maximum/minimum
 * and pow deviate as tfjs-webgl/webgpu do on some devices — must give exactly the cpu backend's
 * results (Object.is per entry: NaN, ±Inf and -0 included). And on cpu/wasm the helpers are the
 * plain tfjs ops (bit-identical, no extra op).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeBackends, expectNoLeak, useBackend } from '@gradclip/testing/backends';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { clipByNorm } from './clip-by-norm.js';
import { clipGradNorm } from './clip-grad-norm.js';
import { clipGradsWithNorm } from './clip-grads-with-norm.js';
import { countNonFinite, finiteMask, ieeeDiv, joinCount, maximumKeepNaN, minimumKeepNaN, nanMask, splitCount } from './exact-ops.js';
import { getTotalNorm } from './get-total-norm.js';
import { globalNorm } from './global-norm.js';
import * as T from '../transforms/index.js';

const QUIRKY = 'quirky';

/** Index of each output entry into an input of shape `s` broadcast to `out`. */
function broadcastIndex(s: number[], out: number[]): (i: number) => number {
  const rank = out.length;
  const shape = [...Array(rank - s.length).fill(1), ...s];
  const strides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
  const outStrides = out.map((_, k) => out.slice(k + 1).reduce((a, b) => a * b, 1));
  return (i) => {
    let j = 0;
    for (let k = 0; k < rank; k++) {
      const c = Math.floor(i / outStrides[k]) % out[k];
      j += shape[k] === 1 ? 0 : c * strides[k];
    }
    return j;
  };
}

/** A float32 binary kernel for the quirky backend, computed in JS with broadcasting. */
function binary(kernelName: string, f: (a: number, b: number) => number): tf.KernelConfig {
  return {
    kernelName,
    backendName: QUIRKY,
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as { readSync(id: unknown): ArrayLike<number>; makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo };
      const [x, y] = [inputs.a, inputs.b] as tf.TensorInfo[];
      const out = tf.backend_util.assertAndGetBroadcastShape(x.shape, y.shape);
      const xv = b.readSync(x.dataId);
      const yv = b.readSync(y.dataId);
      const ix = broadcastIndex(x.shape, out);
      const iy = broadcastIndex(y.shape, out);
      const n = out.reduce((p, q) => p * q, 1);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = f(xv[ix(i)], yv[iy(i)]);
      return b.makeTensorInfo(out, 'float32', v);
    },
  };
}

/** A unary bool kernel for the quirky backend. */
function unaryBool(kernelName: string, f: (x: number) => boolean): tf.KernelConfig {
  return {
    kernelName,
    backendName: QUIRKY,
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as { readSync(id: unknown): ArrayLike<number>; makeTensorInfo(s: number[], d: string, v: Uint8Array): tf.TensorInfo };
      const x = inputs.x as tf.TensorInfo;
      const xv = b.readSync(x.dataId);
      return b.makeTensorInfo(x.shape, 'bool', Uint8Array.from(Array.from(xv, (q) => (f(q) ? 1 : 0))));
    },
  };
}

/** IEEE-754-2008 maxNum/minNum: a NaN operand is dropped (D3D's max/min once GLSL's isnan is compiled away). */
const maxNum = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));
const minNum = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b));

/**
 * Registers `quirky`: every cpu kernel, except
 * - RealDiv: `a == b → 1` (tfjs-webgl: Inf/Inf and 0/0 are 1);
 * - IsNan: always false, IsFinite: `!isInf` (a driver that compiles `isnan` away, tfjs #5800/#7270);
 * - Maximum/Minimum: NaN dropped (the same drivers: tfjs's NaN check uses isnan);
 * - Pow: `pow(0, p < 0) = 0` (tfjs-webgl and tfjs-webgpu).
 */
function registerQuirky(): void {
  const cpu = tf.findBackend('cpu') as unknown as { constructor: new () => tf.KernelBackend };
  tf.registerBackend(QUIRKY, () => new cpu.constructor(), -1);
  const own = new Map<string, tf.KernelConfig>([
    ['RealDiv', binary('RealDiv', (a, b) => (a === b ? 1 : a / b))],
    ['Maximum', binary('Maximum', maxNum)],
    ['Minimum', binary('Minimum', minNum)],
    ['Pow', binary('Pow', (a, b) => (a === 0 && b < 0 ? 0 : Math.pow(a, b)))],
    ['IsNan', unaryBool('IsNan', () => false)],
    ['IsFinite', unaryBool('IsFinite', (x) => x !== Infinity && x !== -Infinity)],
  ]);
  for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel(own.get(k.kernelName) ?? { ...k, backendName: QUIRKY });
  for (const k of own.values()) if (tf.getKernel(k.kernelName, QUIRKY) == null) tf.registerKernel(k);
}

/** Reads each (possibly null) tensor's values. */
async function readAll(ts: (tf.Tensor | null | undefined)[]): Promise<(number[] | null)[]> {
  return Promise.all(ts.map(async (t) => (t == null ? null : Array.from(await t.data()))));
}

/** Runs `f` on cpu and on quirky; the results must be the same numbers (Object.is). */
async function sameOnQuirky(label: string, f: () => (tf.Tensor | null | undefined)[]): Promise<void> {
  await useBackend('cpu');
  const want = await readAll(tf.tidy(() => f() as tf.Tensor[]));
  await tf.setBackend(QUIRKY);
  const got = await readAll(tf.tidy(() => f() as tf.Tensor[]));
  const same = want.length === got.length && want.every((w, i) => (w == null ? got[i] == null : got[i] != null && w.length === got[i]!.length && w.every((x, j) => Object.is(x, got[i]![j]))));
  assert.ok(same, `${label}: quirky ${JSON.stringify(got.map((g) => g?.map(String)))} != cpu ${JSON.stringify(want.map((w) => w?.map(String)))}`);
}

describe('exact-ops on a backend with the GPU quirks (quirky = cpu kernels + webgl/webgpu deviations)', () => {
  before(async () => {
    await useBackend('cpu');
    registerQuirky();
    assert.ok(await tf.setBackend(QUIRKY));
  });
  after(async () => {
    await useBackend('cpu');
    tf.removeBackend(QUIRKY);
  });

  it('the quirks are real on it (so the tests below would fail without exact-ops)', async () => {
    await tf.setBackend(QUIRKY);
    assert.deepEqual(Array.from(await tf.div(tf.tensor([Infinity, 0]), tf.tensor([Infinity, 0])).data()), [1, 1]);
    assert.deepEqual(Array.from(await tf.isNaN(tf.tensor([NaN])).data()), [0]);
    assert.deepEqual(Array.from(await tf.maximum(tf.tensor([NaN]), 1).data()), [1]);
    assert.deepEqual(Array.from(await tf.pow(tf.tensor([0]), -1).data()), [0]);
  });

  it('ieeeDiv, finiteMask, nanMask, maximumKeepNaN, minimumKeepNaN give the IEEE results', async () => {
    const a = [1, -1, 0, -0, Infinity, -Infinity, NaN, 3];
    const b = [Infinity, -Infinity, 0, 0, Infinity, -Infinity, 2, 3];
    await sameOnQuirky('ieeeDiv', () => [ieeeDiv(tf.tensor(a), tf.tensor(b)), ieeeDiv(tf.tensor(a), tf.scalar(0)), ieeeDiv(tf.tensor(a), tf.scalar(Infinity))]);
    await sameOnQuirky('masks', () => [tf.cast(finiteMask(tf.tensor(a)), 'float32'), tf.cast(nanMask(tf.tensor(a)), 'float32')]);
    await sameOnQuirky('keep NaN', () => [maximumKeepNaN(tf.tensor(a), 1), minimumKeepNaN(tf.tensor(a), 1), maximumKeepNaN(tf.tensor(a), tf.tensor([2, 2, 0.5, 0.5, 2, 2, 2, 2]))]);
  });

  it('clipByNorm: Inf slice → ±0/NaN, NaN slice → NaN, 0/0 → NaN, as on cpu', async () => {
    await sameOnQuirky('all axes', () => [clipByNorm(tf.tensor([[1, Infinity, -2]]), 1), clipByNorm(tf.tensor([[1, NaN, 2]]), 1), clipByNorm(tf.zeros([3]), 0)]);
    await sameOnQuirky('per row', () => [clipByNorm(tf.tensor([[1, Infinity], [2, NaN], [3, 4], [0, 0]]), 1, 1), clipByNorm(tf.tensor([[-3, 4], [0, 0]]), 0, 1)]);
  });

  it('clipByGlobalNorm, globalNorm: a non-finite norm makes everything NaN; a zero norm changes nothing', async () => {
    for (const bad of [NaN, Infinity]) {
      await sameOnQuirky(`clipByGlobalNorm ${bad}`, () => {
        const [out, n] = clipByGlobalNorm([tf.tensor([1, bad]), tf.tensor([2, -3])], 1);
        return [...out, n];
      });
    }
    await sameOnQuirky('zeros', () => clipByGlobalNorm([tf.zeros([2])], 1)[0]);
    await sameOnQuirky('use_norm NaN', () => clipByGlobalNorm([tf.tensor([1, 2])], 1, NaN)[0]);
    await sameOnQuirky('globalNorm', () => [globalNorm([tf.tensor([1, Infinity])]), globalNorm([tf.tensor([NaN, 1])])]);
  });

  it("getTotalNorm / clipGradNorm: PyTorch's negative p with zeros, the max norm with NaN, NaN and Inf norms", async () => {
    await sameOnQuirky('negative p', () => [
      getTotalNorm([tf.tensor([0, 2])], -1),
      getTotalNorm([tf.tensor([1]), tf.tensor([0])], -2),
      getTotalNorm([tf.tensor([0, NaN])], -1),
      getTotalNorm([tf.tensor([1, 2, 4])], -1),
      getTotalNorm([tf.tensor([Infinity, 2])], -1),
    ]);
    await sameOnQuirky('max norms', () => [getTotalNorm([tf.tensor([1, NaN, 2])], Infinity), getTotalNorm([tf.tensor([1, NaN, 2])], -Infinity)]);
    await sameOnQuirky('clipGradNorm', () => [
      ...clipGradNorm([tf.tensor([1, NaN]), tf.tensor([2])], 1).grads,
      ...clipGradNorm([tf.tensor([1, Infinity]), tf.tensor([-2])], 1).grads,
      ...clipGradNorm([tf.tensor([0, 3])], 1, { normType: -1 }).grads,
    ]);
    await sameOnQuirky('clipGradsWithNorm', () => [...clipGradsWithNorm([tf.tensor([1, 2])], 1, NaN), ...clipGradsWithNorm([tf.tensor([1, 2])], 1, Infinity), ...clipGradsWithNorm([tf.tensor([1, 2])], 1, 0)]);
  });

  it('transforms: optax semantics of the norm clips, NaN kept by clipByValue, NaN found by zeroNans, skips by applyIfFinite', async () => {
    const run = (t: T.GradientTransformation<any>, xs: number[][]): tf.Tensor[] => {
      const g = xs.map((x) => tf.tensor(x));
      return t.update(g, t.init(g), g).grads as tf.Tensor[];
    };
    await sameOnQuirky('clipByGlobalNorm', () => [...run(T.clipByGlobalNorm(1), [[1, Infinity]]), ...run(T.clipByGlobalNorm(1), [[Infinity, 2], [-3]]), ...run(T.clipByGlobalNorm(0), [[0, 0]]), ...run(T.clipByGlobalNorm(Infinity), [[NaN, 1]])]);
    await sameOnQuirky('clipByBlockRms', () => [...run(T.clipByBlockRms(1), [[Infinity, 1], [NaN, 2], [3, 4]]), ...run(T.clipByBlockRms(0), [[0, 0]]), ...run(T.clipByBlockRms(Infinity), [[Infinity, 1]])]);
    await sameOnQuirky('clipByValue', () => run(T.clipByValue(2), [[NaN, Infinity, -Infinity, 1, -0]]));
    await sameOnQuirky('zeroNans', () => run(T.zeroNans(), [[NaN, Infinity, -1]]));
    await sameOnQuirky('adaptiveGradClip', () => run(T.adaptiveGradClip(0.1), [[NaN, 1], [Infinity, 2], [300, 400]]));
    await sameOnQuirky('perExampleGlobalNormClip', () => {
      const [sum, n] = T.perExampleGlobalNormClip([tf.tensor([[3, 4], [NaN, 1], [0, 0]])], 1);
      return [...sum, n];
    });
    await tf.setBackend(QUIRKY);
    const z = T.zeroNans();
    assert.deepEqual(z.update([tf.tensor([1, NaN]), tf.tensor([Infinity])], z.init()).state.foundNan, [true, false]);
    const a = T.applyIfFinite(T.chain(), { maxConsecutiveErrors: 2 });
    assert.equal(a.update([tf.tensor([1, NaN])], a.init()).skip, true);
    assert.equal(a.update([tf.tensor([1, Infinity])], a.init()).skip, true);
    assert.equal(a.update([tf.tensor([1, 2])], a.init()).skip, false);
  });

  it('countNonFinite counts NaN and ±Inf; splitCount/joinCount round-trip', async () => {
    await tf.setBackend(QUIRKY);
    const n = countNonFinite([tf.tensor([NaN, 1, Infinity]), tf.tensor([-Infinity])]);
    assert.equal((await n.data())[0], 3);
    const [lo, hi] = splitCount(tf.scalar(2 ** 24 + 5, 'int32'), 2 ** 24);
    assert.deepEqual([(await lo.data())[0], (await hi.data())[0]], [5, 1]);
    assert.equal((await joinCount(lo, hi, 2 ** 24).data())[0], 2 ** 24 + 5);
  });
});

describeBackends('exact-ops on an IEEE backend', (backend) => {
  it('the helpers are the plain tfjs ops there: same bits, one op', async () => {
    const a = tf.tensor([1, -1, 0, -0, Infinity, -Infinity, NaN, 3]);
    const b = tf.tensor([Infinity, -Infinity, 0, 0, Infinity, -Infinity, 2, 3]);
    const pairs: [tf.Tensor, tf.Tensor][] = [
      [ieeeDiv(a, b), tf.div(a, b)],
      [maximumKeepNaN(a, 1), tf.maximum(a, 1)],
      [minimumKeepNaN(a, 1), tf.minimum(a, 1)],
      [finiteMask(a), tf.isFinite(a)],
      [nanMask(a), tf.isNaN(a)],
    ];
    for (const [got, want] of pairs) assert.deepEqual(Array.from(await got.data()).map(String), Array.from(await want.data()).map(String), backend);
    // One kernel each (no extra op on cpu/wasm): count the tensors they allocate.
    for (const f of [() => ieeeDiv(a, b), () => maximumKeepNaN(a, b), () => finiteMask(a), () => nanMask(a)]) {
      const n0 = tf.memory().numTensors;
      const t = f();
      assert.equal(tf.memory().numTensors - n0, 1);
      t.dispose();
    }
    tf.dispose([a, b, ...pairs.flat()]);
  });

  it('leave no tensors behind', async () => {
    const a = tf.tensor([1, NaN, Infinity]);
    const zero = tf.scalar(0);
    const three = tf.scalar(3, 'int32');
    await expectNoLeak(() => {
      const [lo, hi] = splitCount(three, 2 ** 24);
      tf.dispose([ieeeDiv(a, zero), finiteMask(a), nanMask(a), countNonFinite([a]), lo, hi, joinCount(lo, hi, 2 ** 24)]);
    });
    tf.dispose([a, zero, three]);
  });
});
