import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { readWeights, tinyRegressionData, tinyRegressionModel } from '../../test/helpers/tiny-regression.js';
import { inPlaceWrites, setInPlaceEnabled } from '../core/fast/fast-path.js';
import { withClipping, type StepStats } from './clipped-optimizer.js';
import type { ClippingOptions } from './clipping-options.js';
import { setFoldedClipEnabled } from './fused-update.js';

// In-place clipping is what the wrapper does when it cannot fold the clip into the fused update
// (issue 15: a subclassed or custom inner optimizer, a transform): these tests turn folding off to
// exercise it with tfjs's own optimizers.
setFoldedClipEnabled(false);

const CLIPS: ClippingOptions[] = [{ clipnorm: 0.5 }, { clipvalue: 0.1 }, { globalClipnorm: 0.5 }, {}];
const OPTIMIZERS: Record<string, () => tf.Optimizer> = {
  sgd: () => tf.train.sgd(0.05),
  adam: () => tf.train.adam(0.01),
  rmsprop: () => tf.train.rmsprop(0.01),
};

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/**
 * Trains a fresh seeded model for 24 steps (fit, batch 8) and returns weights, stats and in-place
 * writes; `record`: whether statistics are asked for (else each step records none).
 */
async function train(
  make: () => tf.Optimizer,
  clip: ClippingOptions,
  inPlace: boolean,
  record = true,
): Promise<{ w: number[][]; stats: (StepStats | null)[]; writes: number }> {
  const before = setInPlaceEnabled(inPlace);
  try {
    const { x, y } = tinyRegressionData(48, 1.7);
    const m = tinyRegressionModel(undefined, [1, 2]);
    const opt = withClipping(make(), clip);
    if (record) opt.enableStats();
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const stats: (StepStats | null)[] = [];
    const w0 = inPlaceWrites.tensors;
    await m.fit(x, y, {
      epochs: 4,
      batchSize: 8,
      shuffle: false,
      verbose: 0,
      callbacks: { onBatchEnd: async () => void stats.push(await opt.readLastStats()) },
    });
    const writes = inPlaceWrites.tensors - w0;
    const w = (await readWeights(m)).map(bitsOf);
    tf.dispose([x, y]);
    m.dispose();
    return { w, stats, writes };
  } finally {
    setInPlaceEnabled(before);
  }
}

after(() => setInPlaceEnabled(true));

describeBackends('ClippedOptimizer in-place clipping', () => {
  it('minimize clips its own gradients in place, with bit-identical weights and statistics to the copying path', async () => {
    for (const [name, make] of Object.entries(OPTIMIZERS)) {
      for (const clip of CLIPS) {
        const label = `${name} ${JSON.stringify(clip)}`;
        const on = await train(make, clip, true);
        const off = await train(make, clip, false);
        const unobserved = await train(make, clip, true, false);
        assert.deepEqual(on.w, off.w, `${label}: weights`);
        assert.deepEqual(on.stats, off.stats, `${label}: stats`);
        assert.deepEqual(on.stats.map((st) => st?.step), [...Array(24).keys()].map((i) => i + 1), `${label}: every step recorded`);
        assert.deepEqual(unobserved.w, on.w, `${label}: weights without statistics`);
        assert.ok(unobserved.stats.every((st) => st === null), `${label}: nothing recorded unasked`);
        assert.equal(unobserved.writes, on.writes, `${label}: in place as often without statistics`);
        assert.equal(off.writes, 0, `${label}: nothing in place when disabled`);
        if (Object.keys(clip).length > 0) assert.ok(on.writes > 0, `${label}: some steps clipped in place (${on.writes})`);
        else assert.equal(on.writes, 0, `${label}: no clipping, nothing written`);
      }
    }
  });

  it('a public applyGradients never modifies the caller’s tensors', () => {
    const v = tf.variable(tf.tensor([1, 2, 3]), true, 'inplace_apply_v');
    const opt = withClipping(tf.train.sgd(0.1), { clipvalue: 0.5 });
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(tf.square(v), 10)) as tf.Scalar, [v]);
    const before = Array.from(grads[v.name].dataSync());
    const w0 = inPlaceWrites.tensors;
    opt.applyGradients(grads);
    assert.equal(inPlaceWrites.tensors, w0);
    assert.deepEqual(Array.from(grads[v.name].dataSync()), before);
    assert.deepEqual(Array.from(v.dataSync()), [0.95, 1.95, 2.95].map(Math.fround));
    tf.dispose([value, grads[v.name], v]);
    opt.dispose();
  });

  it('gradients that share data with each other are copied, not written in place', () => {
    // d(sum((a + b)^2))/da and /db are reshapes of one tensor: reference count 2.
    const run = (inPlace: boolean): { a: number[]; b: number[]; writes: number } => {
      const prev = setInPlaceEnabled(inPlace);
      try {
        const a = tf.variable(tf.tensor([1, -2, 3]), true, `inplace_share_a_${inPlace}`);
        const b = tf.variable(tf.tensor([4, 5, -6]), true, `inplace_share_b_${inPlace}`);
        const opt = withClipping(tf.train.sgd(0.1), { globalClipnorm: 1 });
        const w0 = inPlaceWrites.tensors;
        opt.minimize(() => tf.sum(tf.square(tf.add(a, b))) as tf.Scalar, false, [a, b]);
        const r = { a: Array.from(a.dataSync()), b: Array.from(b.dataSync()), writes: inPlaceWrites.tensors - w0 };
        tf.dispose([a, b]);
        opt.dispose();
        return r;
      } finally {
        setInPlaceEnabled(prev);
      }
    };
    const on = run(true);
    const off = run(false);
    assert.equal(on.writes, 0);
    assert.deepEqual(on.a, off.a);
    assert.deepEqual(on.b, off.b);
  });

  it('keepGradients keeps the gradients before clipping (no in place while it is on)', async () => {
    const { x, y } = tinyRegressionData(8, 1.7);
    const kept: number[][][] = [];
    for (const inPlace of [true, false]) {
      const prev = setInPlaceEnabled(inPlace);
      const m = tinyRegressionModel(undefined, [1, 2]);
      const opt = withClipping(tf.train.sgd(0.01), { clipvalue: 0.01 });
      const release = opt.enableStats({ keepGradients: true });
      m.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const w0 = inPlaceWrites.tensors;
      await m.trainOnBatch(x, y);
      assert.equal(inPlaceWrites.tensors, w0);
      kept.push((opt.lastGradients ?? []).map((g) => Array.from(g.tensor.dataSync())));
      assert.ok(kept[kept.length - 1].some((g) => g.some((v) => Math.abs(v) > 0.01)), 'unclipped values kept');
      release();
      m.dispose();
      setInPlaceEnabled(prev);
    }
    assert.deepEqual(kept[0], kept[1]);
    tf.dispose([x, y]);
  });

  it('leaks no tensor over many in-place steps', async () => {
    const { x, y } = tinyRegressionData(32, 1.7);
    const m = tinyRegressionModel(undefined, [1, 2]);
    m.compile({ optimizer: withClipping(tf.train.adam(0.01), { globalClipnorm: 0.1 }), loss: 'meanSquaredError' });
    await m.trainOnBatch(x, y);
    const n0 = tf.memory().numTensors;
    const w0 = inPlaceWrites.tensors;
    for (let i = 0; i < 20; ++i) await m.trainOnBatch(x, y);
    assert.equal(tf.memory().numTensors, n0);
    assert.ok(inPlaceWrites.tensors > w0);
    m.dispose();
    tf.dispose([x, y]);
  });
});
