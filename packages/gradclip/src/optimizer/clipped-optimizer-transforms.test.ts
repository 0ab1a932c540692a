import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { readWeights, saveToMemory, tinyRegressionData, tinyRegressionModel } from '../../test/helpers/tiny-regression.js';
import { ValueError } from '../errors.js';
import * as transforms from '../transforms/index.js';
import { ClippedOptimizer, withClipping } from './clipped-optimizer.js';
import { adam } from './factories.js';

const data = (n = 32) => tinyRegressionData(n, 1.3);
const model = (init?: tf.Tensor[]) => tinyRegressionModel(init, [3, 4]);
const weights = readWeights;

describeBackends('ClippedOptimizer with transforms', () => {
  it('transforms.clipByGlobalNorm in fit matches the Keras globalClipnorm option (to float32 rounding)', async () => {
    const { x, y } = data();
    const init = model().getWeights().map((w) => w.clone());
    const a = model(init);
    const b = model(init);
    const oa = withClipping(tf.train.sgd(0.01), transforms.clipByGlobalNorm(1));
    const ob = withClipping(tf.train.sgd(0.01), { globalClipnorm: 1 });
    oa.enableStats();
    a.compile({ optimizer: oa, loss: 'meanSquaredError' });
    b.compile({ optimizer: ob, loss: 'meanSquaredError' });
    await a.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    await b.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    const [wa, wb] = [await weights(a), await weights(b)];
    wa.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - wb[i][j]) <= 1e-5 * Math.abs(wb[i][j]) + 1e-6, `${v} vs ${wb[i][j]}`)));
    const s = await oa.readLastStats();
    assert.ok(s!.globalNorm > 1 && Math.abs(s!.clippedNorm - 1) < 1e-5 && s!.clipped, JSON.stringify(s));
    tf.dispose([...init, x, y]);
    [a, b].forEach((m) => m.dispose());
    [oa, ob].forEach((o) => o.dispose());
  });

  it('feeds the variables as params: AGC bounds each unit update relative to its weights', async () => {
    const { x, y } = data(16);
    const m = model();
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const before = await Promise.all(vars.map((v) => v.data()));
    const opt = withClipping(tf.train.sgd(1), transforms.adaptiveGradClip(0.01));
    opt.minimize(() => tf.losses.meanSquaredError(y, m.predict(x) as tf.Tensor) as tf.Scalar, false, vars);
    const after = await Promise.all(vars.map((v) => v.data()));
    // Dense kernel [4, 8]: per output unit (column j), ||Δw_j|| <= 0.01 * max(||w_j||, 1e-3).
    const k = 0;
    for (let j = 0; j < 8; j++) {
      let dw = 0;
      let w = 0;
      for (let i = 0; i < 4; i++) {
        dw += (after[k][i * 8 + j] - before[k][i * 8 + j]) ** 2;
        w += before[k][i * 8 + j] ** 2;
      }
      assert.ok(Math.sqrt(dw) <= 0.01 * Math.max(Math.sqrt(w), 1e-3) * (1 + 1e-4), `unit ${j}: ${Math.sqrt(dw)} vs ${0.01 * Math.sqrt(w)}`);
    }
    assert.ok(before[k].some((v, i) => v !== after[k][i]), 'weights moved');
    opt.dispose();
    m.dispose();
    tf.dispose([x, y]);
  });

  for (const [optName, makeOpt] of [['adam', () => tf.train.adam(0.001)], ['momentum', () => tf.train.momentum(0.001, 0.9)]] as const) {
  it(`skipOnSpike sees the loss in fit and leaves weights, slots and iterations bit-identical on a skipped step (${optName})`, async () => {
    const { x, y } = data(64);
    // The last batch has targets 1000x larger: its loss spikes.
    const ys = tf.tidy(() => tf.concat([y.slice([0, 0], [56, 1]), y.slice([56, 0], [8, 1]).mul(1000)]));
    const m = model();
    const opt = withClipping(makeOpt(), transforms.skipOnSpike({ window: 16, sigma: 6, warmup: 4 }));
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const w0 = await weights(m);
    const s0 = await Promise.all((await opt.getWeights()).map(async (w) => [w.name, Array.from(await w.tensor.data())]));
    await m.fit(x.slice([56, 0], [8, 4]), ys.slice([56, 0], [8, 1]), { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    assert.equal(opt.skippedSteps, 1);
    assert.deepEqual(await weights(m), w0);
    const s1 = await Promise.all((await opt.getWeights()).map(async (w) => [w.name, Array.from(await w.tensor.data())]));
    // Slots and iterations identical; the transform's own state entry may record the spike.
    assert.deepEqual(s1.filter(([n]) => n !== 'gradclip/transformState'), s0.filter(([n]) => n !== 'gradclip/transformState'));
    assert.equal(opt.iterations, 8, 'the skipped step did not count');
    m.dispose();
    opt.dispose();
    tf.dispose([x, y, ys]);
  });
  }

  it('has no tensor leak over 200 fit steps for each adaptive transform', async () => {
    const { x, y } = data(64);
    const cases: [string, transforms.GradientTransformation<any>][] = [
      ['zClip', transforms.zClip({ warmupSteps: 5 })],
      ['autoClip', transforms.autoClip({ percentile: 10 })],
      ['adaptiveGradClip', transforms.adaptiveGradClip(0.05)],
      ['chain(zeroNans, clipByGlobalNorm)', transforms.chain(transforms.zeroNans(), transforms.clipByGlobalNorm(1))],
      ['applyIfFinite(clipByBlockRms)', transforms.applyIfFinite(transforms.clipByBlockRms(1), { maxConsecutiveErrors: 2 })],
      ['skipOnSpike', transforms.skipOnSpike({ window: 32 })],
    ];
    for (const [name, t] of cases) {
      const m = model();
      const opt = withClipping(tf.train.adam(0.01), t);
      m.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const counts: number[] = [];
      const h = await m.fit(x, y, { epochs: 25, batchSize: 8, shuffle: false, verbose: 0, callbacks: { onEpochEnd: async () => void counts.push(tf.memory().numTensors) } });
      assert.equal(counts[1], counts[counts.length - 1], `${name}: ${counts}`);
      assert.equal(opt.iterations + opt.skippedSteps, 200, name);
      assert.ok((h.history.loss as number[]).every(Number.isFinite), name);
      m.dispose();
      opt.dispose();
    }
    tf.dispose([x, y]);
  });

  it('saves a spec-built transform with its state and resumes identically after tf.loadLayersModel', async () => {
    const { x, y } = data(32);
    const m = model();
    const opt = adam({ learningRate: 0.01, transform: { name: 'zClip', args: [{ warmupSteps: 3, zThresh: 2 }] } });
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const saved = await saveToMemory(m);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
    const lo = loaded.optimizer as ClippedOptimizer;
    assert.ok(lo instanceof ClippedOptimizer);
    assert.deepEqual(lo.options.transformSpec, { name: 'zClip', args: [{ warmupSteps: 3, zThresh: 2 }] });
    assert.deepEqual(lo.transformStateValue, opt.transformStateValue);
    assert.equal(lo.iterations, opt.iterations);
    await m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    await loaded.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    assert.deepEqual(await weights(loaded), await weights(m));
    assert.deepEqual(lo.transformStateValue, opt.transformStateValue);
    [m, loaded].forEach((x) => x.dispose());
    [opt, lo].forEach((o) => o.dispose());
    tf.dispose([x, y]);
  });

  it('a transform object saves, and loading it explains how to make it loadable', async () => {
    const m = model();
    m.compile({ optimizer: withClipping(tf.train.sgd(0.1), transforms.zClip()), loss: 'meanSquaredError' });
    const saved = await saveToMemory(m);
    await assert.rejects(tf.loadLayersModel(tf.io.fromMemory(saved)), /transform given as an object.*Pass the transform as a spec/);
    m.dispose();
  });

  it('validates transform options at construction', () => {
    assert.throws(() => withClipping(tf.train.sgd(0.1), { clipnorm: 1, transform: transforms.zClip() }), (e: Error) => e instanceof ValueError && /`transform` cannot be combined with `clipnorm`.*transforms\.chain/.test(e.message));
    assert.throws(() => withClipping(tf.train.sgd(0.1), { transform: { name: 'nope' } as any }), /Unknown transform `nope` in spec/);
    assert.throws(() => withClipping(tf.train.sgd(0.1), { transform: 5 as any }), /`transform` must be a gradient transformation.*Received: transform=5/);
    assert.ok(!(tf.train.sgd(0.1) instanceof ClippedOptimizer), 'instanceof checks the prototype chain, not duck typing');
  });
});
