/** Step statistics: the packed form, its lazily sliced scalars, and reading them into numbers. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { NON_FINITE_SPLIT } from '../core/fast/fused-kernels.js';
import { PackedStepStats, TRANSFORM_CLIPPED_FACTOR, measureTransformed, readStepStats, statsTensors, type StepStatsTensors } from './step-stats.js';

/** `[globalNorm, clippedNorm, clipped, nonFiniteLo, nonFiniteHi, Σ x_0², …]`. */
const packed = (v: number[]) => tf.tensor1d(v);

describeBackends('step statistics', () => {
  it('reads the packed measurements, with one download, into numbers', async () => {
    const s = new PackedStepStats({ packed: packed([5, 1, 1, 3, 2, 9, 16]), skipped: false, step: 4, variableNames: ['a', 'b'] });
    assert.deepEqual(await s.read(), { globalNorm: 5, clippedNorm: 1, clipped: true, nonFiniteCount: 3 + 2 * NON_FINITE_SPLIT, skipped: false, step: 4 });
    assert.deepEqual(await readStepStats(s), await s.read(), 'no per-variable part without per-variable tensors');
    tf.dispose(s.tensors());
  });

  it('slices each scalar lazily, once, with its usual dtype; tensors() lists all it owns', async () => {
    const s = new PackedStepStats({ packed: packed([5, 1, 1, 3, 0, 25]), skipped: false, step: 1, variableNames: ['a'] });
    assert.equal(s.tensors().length, 1);
    const n0 = tf.memory().numTensors;
    assert.equal(s.globalNorm.dtype, 'float32');
    assert.equal(s.clipped.dtype, 'bool');
    assert.equal(s.nonFiniteCount.dtype, 'int32');
    assert.equal(s.clippedNorm, s.clippedNorm, 'made once');
    assert.equal(tf.memory().numTensors, n0 + 4, 'four scalars and no temporaries');
    assert.deepEqual([...(await s.globalNorm.data()), ...(await s.clippedNorm.data()), ...(await s.clipped.data()), ...(await s.nonFiniteCount.data())], [5, 1, 1, 3]);
    assert.equal(s.tensors().length, 5);
    assert.deepEqual(statsTensors(s), s.tensors());
    tf.dispose(s.tensors());
    assert.equal(tf.memory().numTensors, n0 - 1);
  });

  it('a skipped step reports a clipped norm of 0, on the device and on the host', async () => {
    const s = new PackedStepStats({ packed: packed([5, 1, 1, 0, 0, 25]), skipped: true, step: 2, variableNames: ['a'] });
    assert.equal((await s.read()).clippedNorm, 0);
    assert.equal((await s.clippedNorm.data())[0], 0);
    assert.equal((await s.read()).skipped, true);
    tf.dispose(s.tensors());
  });

  it("a transform's measurement replaces the clipped norm and flag, the same float32 bits on the host as on the device", async () => {
    for (const [norm, after] of [[5, [3, 4]], [5, [0.6, 0.8]], [1, [0.6, 0.8]], [0.1, [1e-20, 0]]] as const) {
      const g = [tf.tensor1d([...after])];
      const transformed = measureTransformed(g);
      const s = new PackedStepStats({ packed: packed([norm, norm, 0, 0, 0, norm * norm]), skipped: false, step: 1, variableNames: ['a'], transformed });
      const host = await s.read();
      assert.equal(host.clippedNorm, (await s.clippedNorm.data())[0], `clippedNorm after ${after}`);
      assert.equal(host.clipped, (await s.clipped.data())[0] === 1, `clipped after ${after}`);
      const expectClipped = Math.fround(Math.hypot(...after)) < Math.fround(norm * TRANSFORM_CLIPPED_FACTOR);
      assert.equal(host.clipped, expectClipped, `${norm} -> ${after}`);
      assert.ok(s.tensors().includes(transformed.sumOfSquares));
      tf.dispose([...s.tensors(), ...g]);
    }
  });

  it('reads per-variable statistics by name (NaN for the ones not recorded)', async () => {
    const s = new PackedStepStats({
      packed: packed([5, 5, 0, 0, 0, 9, 16]),
      skipped: false,
      step: 3,
      variableNames: ['a', 'b'],
      gradNorms: tf.tensor1d([3, 4]),
      updateRatios: tf.tensor1d([0.5, 0.25]),
    });
    assert.deepEqual((await readStepStats(s)).variables, [
      { name: 'a', gradNorm: 3, weightNorm: NaN, updateRatio: 0.5 },
      { name: 'b', gradNorm: 4, weightNorm: NaN, updateRatio: 0.25 },
    ]);
    tf.dispose(s.tensors());
  });

  it('reads statistics made elsewhere (plain scalars), one download per tensor', async () => {
    const t: StepStatsTensors = {
      globalNorm: tf.scalar(2),
      clippedNorm: tf.scalar(1),
      clipped: tf.scalar(true, 'bool'),
      nonFiniteCount: tf.scalar(0, 'int32'),
      skipped: false,
      step: 9,
      variableNames: ['w'],
      gradNorms: null,
      weightNorms: tf.tensor1d([7]),
      updateRatios: null,
    };
    assert.deepEqual(await readStepStats(t), { globalNorm: 2, clippedNorm: 1, clipped: true, skipped: false, step: 9, nonFiniteCount: 0 });
    assert.equal(statsTensors(t).length, 5);
    await expectNoLeak(() => readStepStats(t), 'reading');
    tf.dispose(statsTensors(t));
  });
});
