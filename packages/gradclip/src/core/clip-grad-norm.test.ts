import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { gradList, read, toTensors, type GradData } from '../../test/helpers/arbitraries.js';
import { clipGradNorm } from './clip-grad-norm.js';
import { clipGradsWithNorm } from './clip-grads-with-norm.js';
import { getTotalNorm } from './get-total-norm.js';
import { NonFiniteError } from '../errors.js';

/** float64 p-norm of all entries, written independently of the implementation. */
function pnorm(gs: GradData[], p: number): number {
  const all = gs.flatMap((g) => g.values.map(Math.abs));
  if (p === Infinity) return Math.max(...all);
  return Math.pow(all.reduce((s, v) => s + Math.pow(v, p), 0), 1 / p);
}

describeBackends('clipGradNorm / getTotalNorm / clipGradsWithNorm', () => {
  for (const p of [1, 2, 3.5, Infinity, 0.5]) {
    it(`p=${p}: returns the pre-clip norm and bounds the clipped norm by maxNorm (property)`, async () => {
      await fc.assert(
        fc.asyncProperty(gradList(10), fc.double({ min: 0.05, max: 20, noNaN: true }), async (gs, maxNorm) => {
          const ts = toTensors(gs);
          const { grads, totalNorm } = clipGradNorm(ts, maxNorm, { normType: p });
          const n = pnorm(gs, p);
          const got = (await totalNorm.data())[0];
          assert.ok(Math.abs(got - n) <= 1e-4 * n + 1e-6, `norm ${got} vs ${n}`);
          const out = await read(grads);
          const after = pnorm(gs.map((g, i) => ({ shape: g.shape, values: out[i] })), p);
          assert.ok(after <= maxNorm * (1 + 1e-4) + 1e-6, `after ${after} > ${maxNorm}`);
          const coef = Math.min(maxNorm / (n + 1e-6), 1);
          gs.forEach((g, i) => g.values.forEach((v, j) => assert.ok(Math.abs(out[i][j] - coef * v) <= 1e-4 * Math.abs(coef * v) + 1e-6)));
          tf.dispose([...ts, ...grads, totalNorm]);
        }),
        { numRuns: 25 },
      );
    });
  }

  it('applies the absolute 1e-6 epsilon (scales even at norm == maxNorm)', async () => {
    const { grads } = clipGradNorm([tf.tensor([3e-7, 4e-7])], 1e-6);
    const out = await grads[0]!.data();
    // coef = 1e-6 / (5e-7 + 1e-6) = 2/3
    assert.ok(Math.abs(out[0] - 2e-7) < 1e-12 && Math.abs(out[1] - (4e-7 * 2) / 3) < 1e-12, `${out}`);
    const eq = await clipGradsWithNorm([tf.tensor([0.003, 0.004])], 0.005, 0.005)[0]!.data();
    assert.ok(Math.abs(eq[0] / 0.003 - 0.005 / 0.005001) < 1e-6, `factor ${eq[0] / 0.003}`);
  });

  it('empty list and all holes give norm 0; holes stay in place', async () => {
    assert.equal((await getTotalNorm([]).data())[0], 0);
    const r = clipGradNorm([null, tf.tensor([3, 4]), undefined], 1);
    assert.equal(r.grads[0], null);
    assert.equal(r.grads[2], undefined);
    assert.equal((await r.totalNorm.data())[0], 5);
  });

  it('NaN/Inf policy: NaN -> all NaN; inf -> finite entries 0, inf entries NaN', async () => {
    const nan = clipGradNorm([tf.tensor([1, NaN]), tf.tensor([2])], 1);
    for (const t of nan.grads) assert.ok(Array.from(await t!.data()).every(Number.isNaN));
    const inf = clipGradNorm([tf.tensor([1, Infinity]), tf.tensor([-2])], 1);
    assert.deepEqual(Array.from(await inf.grads[0]!.data()), [0, NaN]);
    assert.equal(Math.abs((await inf.grads[1]!.data())[0]), 0);
    const infNorm = getTotalNorm([tf.tensor([1, NaN, 2])], Infinity);
    assert.ok(Number.isNaN((await infNorm.data())[0]), 'max norm propagates NaN');
  });

  it('errorIfNonfinite throws before computing anything and names the opt-out', async () => {
    const g = tf.tensor([1, Infinity]);
    await expectNoLeak(() => {
      assert.throws(
        () => clipGradNorm([g], 1, { errorIfNonfinite: true }),
        (e: Error) => e instanceof NonFiniteError && /non-finite.*set `errorIfNonfinite: false`/.test(e.message),
      );
    }, 'error path');
    assert.deepEqual(Array.from(await g.data()), [1, Infinity]);
  });

  it('does not leak beyond its outputs', async () => {
    const ts = [tf.randomNormal([3, 3]), tf.randomNormal([2])];
    await expectNoLeak(() => {
      const r = clipGradNorm([ts[0], null, ts[1]], 0.1, { normType: 3 });
      tf.dispose([...(r.grads.filter(Boolean) as tf.Tensor[]), r.totalNorm]);
      getTotalNorm(ts, Infinity).dispose();
      tf.dispose(clipGradsWithNorm(ts, 1, 3));
    }, 'torch-style functions');
    tf.dispose(ts);
  });

  it('validates maxNorm and normType at the call', () => {
    assert.throws(() => clipGradNorm([tf.ones([1])], -1), /`maxNorm` must be a finite number >= 0\. Received: maxNorm=-1/);
    assert.throws(() => getTotalNorm([tf.ones([1])], NaN), /`normType` must be a number.*Received: normType=NaN/);
    assert.throws(() => clipGradsWithNorm([tf.ones([1])], Infinity, 1), /`maxNorm` must be a finite number >= 0\. Received: maxNorm=Infinity/);
  });
});
