import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { clipByGlobalNorm } from '../clip-by-global-norm.js';
import { clipGradNorm } from '../clip-grad-norm.js';
import { clipGradValue } from '../clip-grad-value.js';
import { clipGradsWithNorm } from '../clip-grads-with-norm.js';
import { getTotalNorm } from '../get-total-norm.js';
import { globalNorm } from '../global-norm.js';
import { sumOfSquares, sumsOfSquares, totalSumOfSquares } from '../sum-of-squares.js';
import { kerasClipGradients, type KerasClipOptions } from '../keras-clip-gradients.js';
import { fastPathBackend, fusedScale, setFastPathEnabled } from './fast-path.js';
import { cpuBufferPoolBytes, releaseCpuBufferPool } from './cpu-buffer-pool.js';

/** Deterministic pseudo-random float32 values in [-scale, scale]. */
function values(n: number, seed: number, scale = 3): Float32Array {
  let s = seed * 2654435761 + 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Runs `f` with the fast path off (the tfjs composition) and returns what it read back. */
function composed<T>(f: () => T): T {
  const before = setFastPathEnabled(false);
  try {
    return f();
  } finally {
    setFastPathEnabled(before);
  }
}

/** The float32 bit patterns, with every NaN as one canonical NaN (sign and payload carry no meaning). */
const bits = (t: tf.Tensor): Uint32Array =>
  new Uint32Array(Float32Array.from(t.dataSync() as Float32Array, (v) => (Number.isNaN(v) ? NaN : v)).buffer);

function sameBits(a: tf.Tensor, b: tf.Tensor, label: string): void {
  assert.deepEqual(a.shape, b.shape, label);
  assert.deepEqual(Array.from(bits(a)), Array.from(bits(b)), label);
}

// Sizes around the SIMD block (512), vector (4/16) and unroll boundaries, and empty tensors.
const SIZES = [0, 1, 3, 4, 5, 15, 16, 17, 511, 512, 513, 1023, 1027, 4099];

after(() => setFastPathEnabled(true));

describeBackends('fused clipping kernels', (backend) => {
  it('the fast path is active on this backend and off when disabled or under a gradient tape', () => {
    assert.equal(fastPathBackend(), backend);
    composed(() => assert.equal(fastPathBackend(), null));
    tf.grad((x: tf.Tensor) => {
      assert.equal(fastPathBackend(), null, 'tape recording -> composition');
      return tf.sum(x);
    })(tf.ones([2]));
  });

  it('Σx² agrees with float64 to 1e-6 and with the float32 composition to 1e-5 (sizes around block edges)', () => {
    for (const [k, n] of SIZES.entries()) {
      const v = values(n, k + 1);
      const x = tf.tensor1d(v);
      let ref = 0;
      for (const a of v) ref += a * a;
      const fast = sumOfSquares(x).dataSync()[0];
      const slow = composed(() => sumOfSquares(x).dataSync()[0]);
      assert.ok(Math.abs(fast - ref) <= 1e-6 * ref, `n=${n}: fused ${fast} vs float64 ${ref}`);
      // (+1e-30: tfjs-wasm's Sum of an empty tensor returns an uninitialised value, e.g. 3.6e-41.)
      assert.ok(Math.abs(fast - slow) <= 1e-5 * ref + 1e-30, `n=${n}: fused ${fast} vs composition ${slow}`);
      x.dispose();
    }
  });

  it('global norm and per-tensor sums over many tensors match the composition', () => {
    const xs = SIZES.map((n, k) => tf.tensor1d(values(n, 100 + k, 10)));
    const fastTotal = totalSumOfSquares(xs).dataSync()[0];
    const slowTotal = composed(() => totalSumOfSquares(xs).dataSync()[0]);
    assert.ok(Math.abs(fastTotal - slowTotal) <= 1e-5 * slowTotal);
    const fastEach = sumsOfSquares(xs).dataSync();
    const slowEach = composed(() => sumsOfSquares(xs).dataSync());
    fastEach.forEach((v, i) => assert.ok(Math.abs(v - slowEach[i]) <= 1e-5 * slowEach[i] + 1e-30, `tensor ${i}`));
    const n1 = globalNorm(xs).dataSync()[0];
    const n2 = getTotalNorm(xs).dataSync()[0];
    assert.ok(Math.abs(n1 - Math.sqrt(slowTotal)) <= 1e-6 * n1 && Math.abs(n2 - n1) <= 1e-6 * n1);
    tf.dispose(xs);
  });

  it('scale and clamp outputs are bit-identical to the composition (holes, shapes, int inputs)', () => {
    const gs: (tf.Tensor | null)[] = [
      ...SIZES.map((n, k) => tf.tensor1d(values(n, 200 + k, 5))),
      null,
      tf.tensor2d(values(6, 9), [2, 3]),
      tf.tensor1d([3, -4, 0, 7], 'int32'),
    ];
    // The fused Σx² is more accurate than the float32 reduction, so the norms may differ in the last
    // bits; with the same norm (useNorm) every output bit must match.
    const nf0 = globalNorm(gs).dataSync()[0];
    const ns0 = composed(() => globalNorm(gs).dataSync()[0]);
    assert.ok(Math.abs(nf0 - ns0) <= 1e-5 * ns0, 'norms agree');
    const [fast, nf] = clipByGlobalNorm(gs, 2, ns0);
    const [slow, ns] = composed(() => clipByGlobalNorm(gs, 2, ns0));
    fast.forEach((t, i) => (t == null ? assert.equal(slow[i], null) : sameBits(t, slow[i]!, `clipByGlobalNorm[${i}]`)));
    const total = tf.scalar(123.5);
    const f2 = clipGradsWithNorm(gs, 1, total);
    const s2 = composed(() => clipGradsWithNorm(gs, 1, total));
    f2.forEach((t, i) => (t == null ? assert.equal(s2[i], null) : sameBits(t, s2[i]!, `clipGradsWithNorm[${i}]`)));
    const f3 = clipGradValue(gs, 0.75);
    const s3 = composed(() => clipGradValue(gs, 0.75));
    f3.forEach((t, i) => (t == null ? assert.equal(s3[i], null) : sameBits(t, s3[i]!, `clipGradValue[${i}]`)));
    for (const t of [...f2, ...f3, ...s2, ...s3, ...fast, ...slow]) t?.dispose();
    tf.dispose([nf, ns, total]);
    for (const g of gs) g?.dispose();
  });

  it('per-tensor scales (a vector) multiply each tensor by its own scale', () => {
    const xs = [tf.tensor1d(values(37, 1)), tf.tensor1d(values(5, 2))];
    const s = tf.tensor1d([0.5, -2]);
    const out = fusedScale(xs, s)!;
    sameBits(out[0], tf.mul(xs[0], 0.5), 'first');
    sameBits(out[1], tf.mul(xs[1], -2), 'second');
    tf.dispose([...xs, s, ...out]);
  });

  it('NaN/Inf and signed zeros: same bits as the composition', () => {
    const special = [NaN, Infinity, -Infinity, -0, 0, 1e-45, -3.4e38, 3.4e38, 2, -2];
    const gs = [tf.tensor1d(special), tf.tensor1d(values(33, 4))];
    for (const c of [0, 0.5, 1e30]) {
      const f = clipGradValue(gs, c);
      const s = composed(() => clipGradValue(gs, c));
      f.forEach((t, i) => sameBits(t, s[i], `clipGradValue c=${c} [${i}]`));
      tf.dispose([...f, ...s]);
    }
    const [out, n] = clipByGlobalNorm(gs, 1);
    assert.ok(Number.isNaN(n.dataSync()[0]), 'NaN norm');
    assert.ok(out.every((t) => Array.from(t.dataSync()).every(Number.isNaN)), 'every output NaN (TF policy)');
    tf.dispose([...gs, ...out, n]);
    const inf = [tf.tensor1d([1, Infinity, 2])];
    assert.equal(globalNorm(inf).dataSync()[0], Infinity);
    const r = clipGradNorm(inf, 1);
    const rs = composed(() => clipGradNorm(inf, 1));
    sameBits(r.grads[0], rs.grads[0], 'inf norm -> coefficient 0 (torch policy)');
    tf.dispose([...inf, r.grads[0], r.totalNorm, rs.grads[0], rs.totalNorm]);
  });

  it('a Σx² above float32 max is inf, like the float32 anchors (overflow_1e20), not a finite float64 norm', () => {
    const big = [tf.tensor1d([3e20, 4e20])];
    assert.equal(globalNorm(big).dataSync()[0], Infinity);
    assert.equal(getTotalNorm(big).dataSync()[0], Infinity);
    const [out] = clipByGlobalNorm(big, 1);
    assert.ok(Array.from(out[0].dataSync()).every(Number.isNaN));
    // Just below the edge stays finite: 1.8e19² = 3.24e38 < 3.4028e38.
    const edge = [tf.tensor1d([1.8e19])];
    assert.ok(Math.abs(globalNorm(edge).dataSync()[0] / 1.8e19 - 1) < 1e-6);
    tf.dispose([...big, ...out, ...edge]);
  });

  it('empty lists and empty tensors', () => {
    assert.equal(globalNorm([]).dataSync()[0], 0);
    assert.equal(totalSumOfSquares([]).dataSync()[0], 0);
    assert.deepEqual(sumsOfSquares([]).shape, [0]);
    const e = [tf.tensor1d([]), tf.zeros([0, 3])];
    assert.equal(globalNorm(e).dataSync()[0], 0);
    const [out, n] = clipByGlobalNorm(e, 1);
    assert.deepEqual(out.map((t) => t.shape), [[0], [0, 3]]);
    const v = clipGradValue(e, 1);
    assert.deepEqual(v.map((t) => t.shape), [[0], [0, 3]]);
    tf.dispose([...e, ...out, n, ...v]);
  });

  it('leaks no tensors (fast path and composition)', async () => {
    const gs = [tf.tensor1d(values(1000, 7)), null, tf.tensor2d(values(12, 8), [3, 4])];
    for (const fast of [true, false]) {
      setFastPathEnabled(fast);
      await expectNoLeak(() => tf.dispose(globalNorm(gs)), 'globalNorm');
      await expectNoLeak(() => tf.dispose(getTotalNorm(gs)), 'getTotalNorm');
      await expectNoLeak(() => {
        const [o, n] = clipByGlobalNorm(gs, 1);
        tf.dispose([...(o.filter((t) => t != null) as tf.Tensor[]), n]);
      }, 'clipByGlobalNorm');
      await expectNoLeak(() => {
        const r = clipGradNorm(gs, 1);
        tf.dispose([...(r.grads.filter((t) => t != null) as tf.Tensor[]), r.totalNorm]);
      }, 'clipGradNorm');
      await expectNoLeak(() => tf.dispose(clipGradValue(gs, 0.1).filter((t) => t != null) as tf.Tensor[]), 'clipGradValue');
      await expectNoLeak(() => tf.dispose(sumsOfSquares(gs.filter((t) => t != null) as tf.Tensor[])), 'sumsOfSquares');
    }
    setFastPathEnabled(true);
    tf.dispose(gs.filter((t) => t != null) as tf.Tensor[]);
  });

  it('the fused Keras step (GradclipKerasClipStats) agrees with the composition, NaN/inf included, and passes unchanged gradients through', () => {
    const cases: { name: string; data: (number[] | Float32Array | null)[] }[] = [
      { name: 'small', data: [values(30, 1, 0.01), null, values(5, 2, 0.01)] },
      { name: 'large', data: [values(1027, 3), values(17, 4), null, values(513, 5, 40)] },
      { name: 'inf', data: [[1, Infinity, -2], values(16, 6)] },
      { name: 'nan', data: [[NaN, 5, 0.25], values(4, 7, 0.1), [NaN, NaN]] },
      { name: 'zero', data: [[0, 0], [0]] },
    ];
    const optionsList: KerasClipOptions[] = [{}, { globalClipnorm: 1 }, { clipnorm: 1 }, { clipvalue: 0.5 }, { clipvalue: 100 }];
    for (const c of cases) {
      const list: (tf.Tensor | null)[] = c.data.map((d) => (d == null ? null : tf.tensor1d(d as number[])));
      for (const o of optionsList) {
        const label = `${c.name} ${JSON.stringify(o)}`;
        type Read = { grads: (Float32Array | null)[]; same: boolean[]; stats: number[]; ss: Float32Array };
        const read = (): Read => {
          let out: Read | null = null;
          tf.tidy(() => {
            const r = kerasClipGradients(list, o);
            out = {
              grads: r.grads.map((g) => (g == null ? null : Float32Array.from(g.dataSync() as Float32Array))),
              same: r.grads.map((g, i) => g === list[i]),
              stats: [r.globalNorm, r.clippedNorm, r.clipped, r.nonFiniteCount].map((t) => t.dataSync()[0]),
              ss: Float32Array.from(r.sumsOfSquares.dataSync() as Float32Array),
            };
          });
          return out as unknown as Read;
        };
        const fast = read();
        const slow = composed(read);
        const near = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-6 * Math.abs(b);
        fast.stats.forEach((v, i) => assert.ok(near(v, slow.stats[i]), `${label} stat ${i}: ${v} vs ${slow.stats[i]}`));
        Array.from(fast.ss).forEach((v, i) => assert.ok(near(v, slow.ss[i]), `${label} ss[${i}]`));
        fast.grads.forEach((g, i) => {
          const h = slow.grads[i];
          if (g == null || h == null) return assert.equal(g, h, label);
          // The composition's float32 Σx² differs from the fused float64 one in the last bits.
          g.forEach((v, j) => assert.ok(near(v, h[j]) || Math.abs(v - h[j]) <= 1e-6 * Math.abs(v), `${label} grad ${i}[${j}]: ${v} vs ${h[j]}`));
        });
        // Unchanged gradients are passed through, changed ones are new tensors.
        const changed = fast.stats[2] !== 0 || Number.isNaN(fast.stats[0]) || !Number.isFinite(fast.stats[0]);
        if (!changed) assert.ok(fast.same.every((x, i) => x || list[i] == null), `${label}: passed through`);
      }
      tf.dispose(list.filter((t): t is tf.Tensor => t != null));
    }
  });

  it('recycles large cpu outputs only when nothing outside the backend saw them', () => {
    if (backend !== 'cpu') return;
    releaseCpuBufferPool();
    const n = 20000;
    const a = [tf.tensor1d(values(n, 11)), tf.tensor1d(values(n, 12))];
    const b = [tf.tensor1d(values(n, 13)), tf.tensor1d(values(n, 14))];
    const expectA = composed(() => clipGradValue(a, 1).map((t) => Float32Array.from(t.dataSync() as Float32Array)));
    // Disposed unseen outputs go back to the pool and are reused, with correct contents.
    tf.dispose(clipGradValue(a, 1) as tf.Tensor[]);
    assert.equal(cpuBufferPoolBytes(), 2 * 4 * n);
    const again = clipGradValue(a, 1) as tf.Tensor[];
    assert.equal(cpuBufferPoolBytes(), 0);
    again.forEach((t, i) => assert.deepEqual(Array.from(t.dataSync()), Array.from(expectA[i])));
    // Read data (dataSync) and slices (views on the cpu backend) keep their buffers out of the pool.
    const read = again[0].dataSync();
    const slice = tf.slice(again[1], 0, 10);
    tf.dispose(again);
    assert.equal(cpuBufferPoolBytes(), 0);
    const other = clipGradValue(b, 1) as tf.Tensor[];
    assert.deepEqual(Array.from(read), Array.from(expectA[0]));
    assert.deepEqual(Array.from(slice.dataSync()), Array.from(expectA[1].subarray(0, 10)));
    tf.dispose([...a, ...b, ...other, slice]);
    releaseCpuBufferPool();
  });

  it('stays differentiable: under tf.grad the composition runs (the fused kernels have no gradient)', () => {
    const x = tf.tensor1d([3, 4]);
    const g = tf.grad((t: tf.Tensor) => globalNorm([t]))(x);
    const d = g.dataSync();
    assert.ok(Math.abs(d[0] - 0.6) < 1e-6 && Math.abs(d[1] - 0.8) < 1e-6);
    tf.dispose([x, g]);
  });
});

describeBackends('fallback when the fast path is off (as on webgl/webgpu)', () => {
  it('every function still works through the composition', () => {
    setFastPathEnabled(false);
    try {
      assert.equal(fastPathBackend(), null);
      const gs = [tf.tensor1d([3, 0]), tf.tensor1d([4])];
      assert.equal(globalNorm(gs).dataSync()[0], 5);
      assert.equal(getTotalNorm(gs).dataSync()[0], 5);
      const [out, n] = clipByGlobalNorm(gs, 1);
      assert.ok(Math.abs(out[0].dataSync()[0] - 0.6) < 1e-6);
      const v = clipGradValue(gs, 1);
      assert.deepEqual(Array.from(v[1].dataSync()), [1]);
      tf.dispose([...gs, ...out, n, ...v]);
    } finally {
      setFastPathEnabled(true);
    }
  });
});
