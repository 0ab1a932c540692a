import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { gradList, norm64, normOf, read, toTensors } from '../../test/helpers/arbitraries.js';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { globalNorm } from './global-norm.js';

describeBackends('clipByGlobalNorm', () => {
  it('bounds the global norm by clipNorm and preserves direction (property)', async () => {
    await fc.assert(
      fc.asyncProperty(gradList(), fc.double({ min: 0.01, max: 50, noNaN: true }), async (gs, c) => {
        const ts = toTensors(gs);
        const [out, n] = clipByGlobalNorm(ts, c);
        const vs = await read(out);
        const n64 = norm64(gs);
        assert.ok(Math.abs((await n.data())[0] - n64) <= 1e-5 * n64 + 1e-6, 'returned norm is the pre-clip norm');
        assert.ok(normOf(vs) <= c * (1 + 1e-5) + 1e-6, `clipped norm ${normOf(vs)} > ${c}`);
        // Direction: out = s * g with one s >= 0 for every entry.
        const s = n64 > c ? c / n64 : 1;
        gs.forEach((g, i) => g.values.forEach((v, j) => assert.ok(Math.abs(vs[i][j] - s * v) <= 1e-5 * Math.abs(s * v) + 1e-6)));
        tf.dispose([...ts, ...(out as tf.Tensor[]), n]);
      }),
      { numRuns: 40 },
    );
  });

  it('is idempotent: clipping twice equals clipping once', async () => {
    await fc.assert(
      fc.asyncProperty(gradList(), fc.double({ min: 0.01, max: 50, noNaN: true }), async (gs, c) => {
        const ts = toTensors(gs);
        const [once, n1] = clipByGlobalNorm(ts, c);
        const [twice, n2] = clipByGlobalNorm(once as tf.Tensor[], c);
        const a = await read(once);
        const b = await read(twice);
        a.forEach((x, i) => x.forEach((v, j) => assert.ok(Math.abs(b[i][j] - v) <= 1e-5 * Math.abs(v) + 1e-7)));
        tf.dispose([...ts, ...(once as tf.Tensor[]), ...(twice as tf.Tensor[]), n1, n2]);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps holes and the map / NamedTensor[] forms', async () => {
    const a = tf.tensor([3, 0]);
    const b = tf.tensor([[4]]);
    const [arr] = clipByGlobalNorm([a, null, b, undefined], 1);
    assert.equal(arr.length, 4);
    assert.equal(arr[1], null);
    assert.equal(arr[3], undefined);
    assert.deepEqual(Array.from(await arr[0]!.data()).map((x) => +x.toFixed(6)), [0.6, 0]);
    const [map] = clipByGlobalNorm({ a, b }, 1);
    assert.deepEqual(Object.keys(map), ['a', 'b']);
    assert.deepEqual(Array.from(await map.b.data()).map((x) => +x.toFixed(6)), [0.8]);
    const [named] = clipByGlobalNorm([{ name: 'x', tensor: a }, { name: 'y', tensor: b }], 10);
    assert.deepEqual(named.map((n) => n.name), ['x', 'y']);
    assert.deepEqual(Array.from(await named[0].tensor.data()), [3, 0]);
  });

  it('NaN/Inf policy: a non-finite norm makes every output NaN (TF/Keras)', async () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const [out, n] = clipByGlobalNorm([tf.tensor([1, bad]), tf.tensor([2, 3])], 1);
      for (const t of out) assert.ok(Array.from(await t!.data()).every(Number.isNaN), `bad=${bad}`);
      assert.ok(!Number.isFinite((await n.data())[0]));
    }
    // Float32 overflow of Σx² with finite entries: also all NaN.
    const [out] = clipByGlobalNorm([tf.tensor([3e20, 4e20])], 1);
    assert.ok(Array.from(await out[0]!.data()).every(Number.isNaN));
  });

  it('leaves zero gradients unchanged and uses a given useNorm', async () => {
    const [z, n0] = clipByGlobalNorm([tf.zeros([3])], 1);
    assert.deepEqual(Array.from(await z[0].data()), [0, 0, 0]);
    assert.equal((await n0.data())[0], 0);
    const [u, nu] = clipByGlobalNorm([tf.tensor([3, 4])], 2, 10);
    assert.deepEqual(Array.from(await u[0].data()).map((x) => +x.toFixed(6)), [0.6, 0.8]);
    assert.equal((await nu.data())[0], 10);
  });

  it('does not leak tensors beyond its outputs', async () => {
    const ts = [tf.randomNormal([5, 3]), tf.randomNormal([4])];
    await expectNoLeak(() => {
      const [out, n] = clipByGlobalNorm([ts[0], null, ts[1]], 0.5);
      tf.dispose([...(out.filter(Boolean) as tf.Tensor[]), n]);
    }, 'clipByGlobalNorm');
    await expectNoLeak(() => globalNorm(ts).dispose(), 'globalNorm');
    tf.dispose(ts);
  });

  it('validates clipNorm at the call', () => {
    assert.throws(() => clipByGlobalNorm([tf.ones([2])], -1), /`clipNorm` must be a finite number >= 0\. Received: clipNorm=-1/);
    assert.throws(() => clipByGlobalNorm([tf.ones([2])], NaN), /`clipNorm` must be a finite number >= 0\. Received: clipNorm=NaN/);
    assert.throws(() => clipByGlobalNorm([tf.ones([2]), 3 as any], 1), /`tensors` must hold tensors.*Received: tensors\[1\]=3/);
  });
});
