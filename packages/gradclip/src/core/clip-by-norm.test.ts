import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { gradList, norm64, read, toTensors } from '../../test/helpers/arbitraries.js';
import { clipByNorm } from './clip-by-norm.js';

describeBackends('clipByNorm', () => {
  it('matches the TF docstring example bit for bit', async () => {
    const out = clipByNorm(tf.tensor([[1, 2, 3, 4, 5]]), 2);
    assert.deepEqual(Array.from(await out.data()), [0.26967996, 0.5393599, 0.80903983, 1.0787199, 1.3483998].map(Math.fround));
  });

  it('bounds the norm, preserves direction and is idempotent (property)', async () => {
    await fc.assert(
      fc.asyncProperty(gradList(), fc.double({ min: 0.01, max: 50, noNaN: true }), async (gs, c) => {
        const [t] = toTensors(gs.slice(0, 1));
        const once = clipByNorm(t, c);
        const twice = clipByNorm(once, c);
        const [a, b] = await read([once, twice]);
        const n = norm64(gs.slice(0, 1));
        const s = n > c ? c / n : 1;
        gs[0].values.forEach((v, j) => assert.ok(Math.abs(a[j] - s * v) <= 1e-5 * Math.abs(s * v) + 1e-6));
        a.forEach((v, j) => assert.ok(Math.abs(b[j] - v) <= 1e-5 * Math.abs(v) + 1e-7));
        tf.dispose([t, once, twice]);
      }),
      { numRuns: 40 },
    );
  });

  it('clips each slice on its own with axes (negative axes allowed)', async () => {
    const t = tf.tensor([[-3, 0, 0], [4, 0, 3]]);
    const cols = await clipByNorm(t, 4, [0]).data();
    assert.deepEqual(Array.from(cols).map((x) => +x.toFixed(5)), [-2.4, 0, 0, 3.2, 0, 3]);
    const rows = await clipByNorm(t, 4, -1).data();
    assert.deepEqual(Array.from(rows).map((x) => +x.toFixed(5)), [-3, 0, 0, 3.2, 0, 2.4]);
  });

  it('NaN/Inf policy: only the affected slice changes', async () => {
    const t = tf.tensor([[1, Infinity], [2, NaN], [3, 4]]);
    const out = Array.from(await clipByNorm(t, 1, 1).data());
    assert.deepEqual(out.slice(0, 2), [0, NaN]);
    assert.ok(Number.isNaN(out[2]) && Number.isNaN(out[3]));
    assert.deepEqual(out.slice(4).map((x) => +x.toFixed(5)), [0.6, 0.8]);
    assert.deepEqual(Array.from(await clipByNorm(tf.zeros([3]), 1).data()), [0, 0, 0], 'zero tensor stays zero');
  });

  it('does not leak and validates its arguments', async () => {
    const t = tf.randomNormal([4, 5]);
    await expectNoLeak(() => clipByNorm(t, 1, [0]).dispose(), 'clipByNorm');
    assert.throws(() => clipByNorm(t, -2), /`clipNorm` must be a finite number >= 0\. Received: clipNorm=-2/);
    assert.throws(() => clipByNorm(t, 1, [2]), /`axes` must hold integers in \[-2, 2\).*Received: axes=\[2\]/);
    assert.throws(() => clipByNorm([1, 2] as any, 1), /`t` must be a tf\.Tensor/);
    t.dispose();
  });
});
