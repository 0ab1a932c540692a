import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { gradList, read, toTensors } from '../../test/helpers/arbitraries.js';
import { clipGradValue } from './clip-grad-value.js';
import { clipByValue } from './clip-by-value.js';

describeBackends('clipGradValue / clipByValue', () => {
  it('entries end within [-c, c] and entries inside are unchanged (property)', async () => {
    await fc.assert(
      fc.asyncProperty(gradList(), fc.double({ min: 0, max: 50, noNaN: true }), async (gs, c) => {
        const ts = toTensors(gs);
        const out = await read(clipGradValue(ts, c));
        const cf = Math.fround(c);
        gs.forEach((g, i) =>
          g.values.forEach((v, j) => {
            const expect = v > cf ? cf : v < -cf ? -cf : v;
            assert.equal(out[i][j], Math.fround(expect));
          }),
        );
        tf.dispose(ts);
      }),
      { numRuns: 30 },
    );
  });

  it('NaN/Inf policy: NaN kept, ±inf clamped, -0 kept (on every backend)', async () => {
    const out = await clipGradValue([tf.tensor([-3, NaN, Infinity, -Infinity, -0])], 1)[0]!.data();
    assert.deepEqual(Array.from(out), [-1, NaN, 1, -1, -0]);
    const tfStyle = await clipByValue(tf.tensor([NaN, -5, 5]), -4.4, 4.4).data();
    assert.deepEqual(Array.from(tfStyle), [NaN, Math.fround(-4.4), Math.fround(4.4)]);
  });

  it('keeps form and holes; does not leak', async () => {
    const a = tf.tensor([5]);
    const m = clipGradValue({ a, b: null as unknown as tf.Tensor }, 2);
    assert.deepEqual(Object.keys(m), ['a', 'b']);
    assert.equal(m.b, null);
    await expectNoLeak(() => {
      const out = clipGradValue([a, null], 1);
      out[0]!.dispose();
      clipByValue(a, 0, 1).dispose();
    }, 'value clipping');
  });

  it('validates at the call', () => {
    assert.throws(() => clipGradValue([tf.ones([1])], -1), /`clipValue` must be a finite number >= 0\. Received: clipValue=-1/);
    assert.throws(() => clipByValue(tf.ones([1]), 2, 1), /`clipValueMin` must be <= `clipValueMax`.*Received: clipValueMin=2, clipValueMax=1/);
    assert.throws(() => clipByValue(tf.ones([1]), NaN, 1), /`clipValueMin` must not be NaN in clipByValue.*Received: clipValueMin=NaN/);
  });
});
