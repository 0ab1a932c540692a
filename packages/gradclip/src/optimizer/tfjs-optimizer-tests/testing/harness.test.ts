/**
 * The harness that runs tfjs's optimizer tests catches what it is there to catch: a wrapper that
 * keeps a tensor between steps (tfjs's exact numTensors counts), a result off by one float32 ulp
 * (the bit-for-bit comparison), a value outside tfjs's tolerance (its expectArraysClose rule).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { withClipping } from '../../clipped-optimizer.js';
import { VARIANTS, assertSameBits, float32Bits, makeContext, runTfjsTest, type Recorded, type TfjsTest, type Variant } from './harness.js';

/** tfjs's SGDOptimizer 'basic' test, shortened: one step, its numTensors count, its value. */
const sgdBasic: TfjsTest = async (t) => {
  const optimizer = t.wrap(tf.train.sgd(0.1));
  const x = tf.scalar(4).variable();
  let numTensors = tf.memory().numTensors;
  const cost = optimizer.minimize(() => x.square(), true);
  t.expectEqual(tf.memory().numTensors, numTensors + 1);
  t.expectArraysClose(await x.data(), [3.2]);
  cost!.dispose();
  numTensors = tf.memory().numTensors;
  optimizer.minimize(() => x.square(), false);
  t.expectEqual(tf.memory().numTensors, numTensors);
  optimizer.dispose();
  x.dispose();
};

describe('tfjs optimizer test harness', () => {
  it('passes the bare optimizer and every wrapped variant, recording the same bits', async () => {
    await useBackend('cpu');
    const bare = await runTfjsTest(sgdBasic, 'cpu', VARIANTS[0]);
    assert.deepEqual(bare, [float32Bits([3.2])]);
    for (const v of VARIANTS.slice(1)) assert.equal(assertSameBits(await runTfjsTest(sgdBasic, 'cpu', v), bare, v.name), 1);
  });

  it('fails a wrapper that keeps a statistics tensor between steps (the old always-on statistics)', async () => {
    const observed: Variant = {
      name: 'withClipping(opt, {}) with enableStats()',
      wrapped: true,
      wrap: (o) => {
        const w = withClipping(o, {});
        w.enableStats();
        return w;
      },
    };
    await assert.rejects(runTfjsTest(sgdBasic, 'cpu', observed), (e: Error) => {
      const m = /strictly deep-equal:\s+(\d+) !== (\d+)/.exec(e.message);
      return m != null && Number(m[1]) === Number(m[2]) + 1; // one tensor more than tfjs expects
    });
  });

  it('fails a result one float32 ulp off in the bit comparison, though tfjs tolerance would pass it', () => {
    const off: Recorded = [float32Bits([Math.fround(3.2) + 2 ** -22])];
    assert.throws(() => assertSameBits(off, [float32Bits([3.2])], 'sgd'), /sgd: checked array #1 differs from the bare optimizer's in its float32 bits/);
    assert.throws(() => assertSameBits([], [float32Bits([3.2])], 'sgd'), /sgd: checked 0 arrays, the bare optimizer 1/);
  });

  it("applies tfjs's expectArraysClose rule: epsilon 1e-3 on float32 backends, non-finite pairs equal, NaN never", () => {
    const rec: Recorded = [];
    const t = makeContext('cpu', VARIANTS[0], rec);
    t.expectArraysClose([1.0009, 2], [1, 2]);
    t.expectArraysClose(new Float32Array([Infinity, NaN]), [NaN, -Infinity]);
    t.expectArraysClose(5, [5]);
    assert.throws(() => t.expectArraysClose([1.0011], [1]), /Arrays differ: actual\[0\] = 1\.0011, expected\[0\] = 1 \(epsilon 0\.001\)/);
    assert.throws(() => t.expectArraysClose([NaN], [1]), /Arrays differ/);
    assert.throws(() => t.expectArraysClose([1, 2], [1]), /Arrays have different lengths actual: 2 vs expected: 1/);
    t.expectArraysClose([1.009], [1], 1e-2);
    assert.equal(rec.length, 4, 'only the passing checks are recorded');
    assert.throws(() => t.expectThrows(() => undefined), /Missing expected exception/);
    t.expectThrows(() => tf.train.rmsprop(undefined as unknown as number), /learningRate for RMSPropOptimizer must be defined/);
  });

  it('fromConfig rebuilds a wrapper around the same inner class', () => {
    const t = makeContext('cpu', VARIANTS[1], []);
    const opt = t.wrap(tf.train.adam(0.1, 0.2, 0.3, 2e-8));
    const back = t.fromConfig(tf.AdamOptimizer, opt.getConfig());
    assert.deepEqual(back.getConfig(), opt.getConfig());
    assert.throws(() => t.fromConfig(tf.SGDOptimizer, opt.getConfig()), /the rebuilt inner optimizer is a SGDOptimizer/);
  });
});
