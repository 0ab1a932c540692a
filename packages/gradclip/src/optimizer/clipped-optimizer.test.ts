import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { readWeights, saveToMemory, tinyRegressionData, tinyRegressionModel } from '../../test/helpers/tiny-regression.js';
import { NonFiniteError } from '../errors.js';
import { ClippedOptimizer, withClipping } from './clipped-optimizer.js';
import type { ClippingOptions } from './clipping-options.js';

type Factory = () => tf.Optimizer;
const OPTIMIZERS: Record<string, Factory> = {
  sgd: () => tf.train.sgd(0.05),
  momentum: () => tf.train.momentum(0.05, 0.9),
  adam: () => tf.train.adam(0.01),
  adamax: () => tf.train.adamax(0.01),
  rmsprop: () => tf.train.rmsprop(0.01),
  adagrad: () => tf.train.adagrad(0.05),
  adadelta: () => tf.train.adadelta(0.1),
};
const CLIPS: ClippingOptions[] = [{ clipnorm: 0.5 }, { clipvalue: 0.1 }, { globalClipnorm: 0.5 }];

const data = (n = 64) => tinyRegressionData(n, 1.7);
const model = (init?: tf.Tensor[]) => tinyRegressionModel(init, [1, 2]);
const weights = readWeights;

describeBackends('ClippedOptimizer', (backend) => {
  it('trains inside model.fit with every built-in optimizer and option, with no tensor leak over 200 steps', async () => {
    const { x, y } = data();
    for (const [name, make] of Object.entries(OPTIMIZERS)) {
      for (const clip of CLIPS) {
        const m = model();
        const opt = withClipping(make(), clip);
        m.compile({ optimizer: opt, loss: 'meanSquaredError' });
        const counts: number[] = [];
        const h = await m.fit(x, y, {
          epochs: 25,
          batchSize: 8,
          shuffle: false,
          verbose: 0,
          callbacks: { onEpochEnd: async () => void counts.push(tf.memory().numTensors) },
        });
        const label = `${name} ${JSON.stringify(clip)}`;
        assert.equal(opt.iterations, 200, label);
        assert.equal(counts[1], counts[counts.length - 1], `${label}: numTensors per epoch ${counts}`);
        const loss = h.history.loss as number[];
        assert.ok(loss.every(Number.isFinite), `${label}: losses ${loss}`);
        assert.ok(loss[loss.length - 1] < loss[0], `${label}: loss did not decrease ${loss[0]} -> ${loss[loss.length - 1]}`);
        m.dispose();
        opt.dispose();
      }
    }
    tf.dispose([x, y]);
  });

  it('gives bit-identical weights to the bare optimizer when no clipping fires', async () => {
    const d = data(32);
    const x = d.x;
    const y = tf.tidy(() => d.y.mul(0.02));
    d.y.dispose();
    const init = model().getWeights().map((w) => w.clone());
    for (const [name, make] of Object.entries(OPTIMIZERS)) {
      for (const clip of [{ clipnorm: 1e9 }, { clipvalue: 1e9 }, { globalClipnorm: 1e9 }, {}]) {
        const bare = model(init);
        const wrapped = model(init);
        const b = make();
        const w = withClipping(make(), clip);
        bare.compile({ optimizer: b, loss: 'meanSquaredError' });
        wrapped.compile({ optimizer: w, loss: 'meanSquaredError' });
        await bare.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
        await wrapped.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
        const [wb, ww] = [await weights(bare), await weights(wrapped)];
        assert.ok(wb.every((a) => a.every((v) => Math.abs(v) < 100)), `${name}: the bare run stayed tame`);
        wb.forEach((a, i) => assert.deepEqual(ww[i], a, `${name} ${JSON.stringify(clip)} weight ${i}`));
        bare.dispose();
        wrapped.dispose();
        b.dispose();
        w.dispose();
      }
    }
    tf.dispose([x, y, ...init]);
  });

  it('records the pre-clip norm and clips to the threshold (checked against an independent SGD update)', async () => {
    const { x, y } = data(16);
    const m = model();
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = () => tf.losses.meanSquaredError(y, m.predict(x) as tf.Tensor) as tf.Scalar;
    const { grads, value } = tf.variableGrads(loss, vars);
    const expectedNorm = Math.sqrt(
      (await Promise.all(Object.values(grads).map((g) => g.square().sum().data()))).reduce((s, d) => s + d[0], 0),
    );
    tf.dispose([value, ...Object.values(grads)]);
    const before = await Promise.all(vars.map((v) => v.data()));
    const opt = withClipping(tf.train.sgd(1), { globalClipnorm: 0.25 });
    opt.enableStats();
    opt.minimize(loss, false, vars);
    const after = await Promise.all(vars.map((v) => v.data()));
    let stepNorm = 0;
    before.forEach((b, i) => b.forEach((v, j) => (stepNorm += (v - after[i][j]) ** 2)));
    const stats = await opt.readLastStats();
    assert.ok(stats && expectedNorm > 0.25);
    assert.ok(Math.abs(stats.globalNorm - expectedNorm) <= 1e-5 * expectedNorm, `${stats.globalNorm} vs ${expectedNorm}`);
    assert.ok(Math.abs(Math.sqrt(stepNorm) - 0.25) < 1e-5, `update norm ${Math.sqrt(stepNorm)}`);
    assert.ok(Math.abs(stats.clippedNorm - 0.25) < 1e-6);
    assert.equal(stats.clipped, true);
    assert.equal(stats.skipped, false);
    opt.dispose();
    m.dispose();
    tf.dispose([x, y]);
  });

  it('works in custom loops: minimize (map and varList forms, null gradients) and variableGrads + applyGradients', async () => {
    const w = tf.variable(tf.tensor1d([0, 0]), true, `loopW_${backend}`);
    const b = tf.variable(tf.scalar(0), true, `loopB_${backend}`);
    const frozen = tf.variable(tf.scalar(3), true, `loopFrozen_${backend}`);
    const xs = tf.tensor2d([[1, 2], [3, 1], [0, 1], [2, 2]]);
    const ys = tf.tensor1d([5.5, 5.5, 2.5, 6.5]); // y = 1*x0 + 2*x1 + 0.5
    const loss = () => tf.losses.meanSquaredError(ys, tf.add(tf.matMul(xs, w.expandDims(1)).squeeze([1]), b)) as tf.Scalar;
    const opt = withClipping(tf.train.adam(0.05), { globalClipnorm: 5 });
    const warn = console.warn;
    console.warn = () => {};
    let n0 = 0;
    for (let i = 0; i < 600; i++) {
      if (i === 3) n0 = tf.memory().numTensors;
      const form = i % 3;
      if (form === 0) opt.minimize(loss);
      else if (form === 1) opt.minimize(loss, false, [w, b, frozen]);
      else {
        const { value, grads } = tf.variableGrads(loss, [w, b]);
        opt.applyGradients(grads);
        tf.dispose([value, ...Object.values(grads)]);
      }
    }
    console.warn = warn;
    assert.equal(tf.memory().numTensors, n0, 'no leak across 600 custom-loop steps');
    assert.equal(opt.iterations, 600);
    const wv = await w.data();
    assert.ok(Math.abs(wv[0] - 1) < 1e-2 && Math.abs(wv[1] - 2) < 1e-2 && Math.abs((await b.data())[0] - 0.5) < 2e-2, `w=${wv}`);
    assert.equal((await frozen.data())[0], 3, 'a variable with a null gradient is not updated');
    opt.dispose();
    tf.dispose([w, b, frozen, xs, ys]);
  });

  it('works with trainOnBatch and fitDataset', async () => {
    const { x, y } = data(32);
    const m = model();
    const opt = withClipping(tf.train.adam(0.01), { clipnorm: 1 });
    opt.enableStats();
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const l0 = (await m.trainOnBatch(x, y)) as number;
    const ds = tf.data.zip({ xs: tf.data.array(tf.unstack(x)), ys: tf.data.array(tf.unstack(y)) }).batch(8);
    await m.fitDataset(ds as any, { epochs: 20, verbose: 0 });
    const l1 = (await m.trainOnBatch(x, y)) as number;
    assert.equal(opt.iterations, 2 + 20 * 4);
    assert.ok(l1 < l0, `${l0} -> ${l1}`);
    const s = await opt.readLastStats();
    assert.ok(s != null && s.clippedNorm <= Math.sqrt(m.trainableWeights.length) + 1e-5);
    m.dispose();
    opt.dispose();
  });

  for (const name of ['adam', 'momentum'] as const) {
    it(`nonFinite 'skip' leaves weights, slots and iterations bit-identical (${name})`, async () => {
      const v = tf.variable(tf.tensor1d([1, -2, 3]), true, `skip_${name}_${backend}`);
      const opt = withClipping(OPTIMIZERS[name](), { clipnorm: 1, nonFinite: 'skip' });
      opt.enableStats();
      for (let i = 0; i < 3; i++) opt.applyGradients({ [v.name]: tf.tensor1d([0.5, 1, -1]) });
      const wBefore = await v.data();
      const slotsBefore = await Promise.all((await opt.getWeights()).map(async (s) => [s.name, Array.from(await s.tensor.data())]));
      const itBefore = opt.iterations;
      const n = tf.memory().numTensors;
      opt.applyGradients({ [v.name]: tf.tensor1d([NaN, 1, 1]) });
      opt.applyGradients([{ name: v.name, tensor: tf.tensor1d([Infinity, 1, 1]) }]);
      assert.equal(tf.memory().numTensors, n + 2, 'only the two caller-owned gradient tensors remain');
      assert.deepEqual(await v.data(), wBefore);
      const slotsAfter = await Promise.all((await opt.getWeights()).map(async (s) => [s.name, Array.from(await s.tensor.data())]));
      assert.deepEqual(slotsAfter, slotsBefore);
      assert.equal(opt.iterations, itBefore);
      assert.equal(opt.skippedSteps, 2);
      assert.equal((await opt.readLastStats())!.skipped, true);
      opt.applyGradients({ [v.name]: tf.tensor1d([0.5, 1, -1]) });
      assert.equal(opt.iterations, itBefore + 1, 'a finite step applies again');
      opt.dispose();
      v.dispose();
    });
  }

  it("nonFinite 'error' throws a NonFiniteError naming the step and leaves weights and state untouched", async () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, `errVar_${backend}`);
    const opt = withClipping(tf.train.adam(0.1), { globalClipnorm: 1, nonFinite: 'error' });
    opt.applyGradients({ [v.name]: tf.tensor1d([1, 1]) });
    const before = await v.data();
    const slots = await Promise.all((await opt.getWeights()).map((s) => s.tensor.data()));
    assert.throws(
      () => opt.applyGradients({ [v.name]: tf.tensor1d([NaN, 1]) }),
      (e: Error) => e instanceof NonFiniteError && /Non-finite gradient norm at step 2 \(globalNorm=NaN\).*not changed.*nonFinite: 'skip'/.test(e.message),
    );
    assert.deepEqual(await v.data(), before);
    assert.deepEqual(await Promise.all((await opt.getWeights()).map((s) => s.tensor.data())), slots);
    assert.equal(opt.iterations, 1);
    opt.dispose();
    v.dispose();
  });

  it("nonFinite 'skip' inside model.fit keeps the weights finite", async () => {
    const { x, y } = data(16);
    const bad = tf.tidy(() => y.concat(tf.fill([8, 1], NaN)));
    const xx = tf.tidy(() => x.concat(x.slice([0, 0], [8, 4])));
    const m = model();
    const opt = withClipping(tf.train.adam(0.01), { clipnorm: 1, nonFinite: 'skip' });
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await m.fit(xx, bad, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
    assert.equal(opt.skippedSteps, 3);
    assert.equal(opt.iterations, 6);
    for (const w of await weights(m)) assert.ok(w.every(Number.isFinite));
    m.dispose();
    opt.dispose();
    tf.dispose([x, y, bad, xx]);
  });

  it('round-trips through model.save / tf.loadLayersModel with includeOptimizer, and fit continues', async () => {
    const { x, y } = data(32);
    const m = model();
    const opt = withClipping(tf.train.adam(0.02), { globalClipnorm: 0.5, nonFinite: 'skip' });
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const saved = await saveToMemory(m);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
    const lo = loaded.optimizer as ClippedOptimizer;
    assert.ok(lo instanceof ClippedOptimizer);
    assert.deepEqual(lo.options, opt.options);
    assert.equal(lo.inner.getClassName(), 'Adam');
    assert.deepEqual(lo.inner.getConfig(), opt.inner.getConfig());
    assert.equal(lo.iterations, 8);
    const a = await opt.getWeights();
    const b = await lo.getWeights();
    assert.equal(b.length, a.length);
    for (let i = 0; i < a.length; i++) assert.deepEqual(await b[i].tensor.data(), await a[i].tensor.data(), a[i].name);
    // Same next step on both: identical weights afterwards.
    await m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    await loaded.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    assert.equal(lo.iterations, 12);
    const [wm, wl] = [await weights(m), await weights(loaded)];
    wm.forEach((w, i) => assert.deepEqual(wl[i], w));
    m.dispose();
    loaded.dispose();
    opt.dispose();
    lo.dispose();
    tf.dispose([x, y]);
  });

  it('step gates see the loss in fit, can skip a step, and a throwing gate leaves weights untouched', async () => {
    const { x, y } = data(16);
    const m = model();
    const opt = withClipping(tf.train.adam(0.01), { clipnorm: 1 });
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const seen: { step: number; loss: number | null; globalNorm: number }[] = [];
    const remove = opt.addStepGate((info) => {
      seen.push(info);
      return info.step === 2;
    });
    const batchLosses: number[] = [];
    await m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0, callbacks: { onBatchEnd: async (_b, l) => void batchLosses.push(l!.loss as number) } });
    assert.deepEqual(seen.map((s) => s.step), [1, 2]);
    seen.forEach((s, i) => assert.ok(Math.abs(s.loss! - batchLosses[i]) <= 1e-6 * batchLosses[i], `gate loss ${s.loss} vs fit ${batchLosses[i]}`));
    assert.equal(opt.skippedSteps, 1);
    assert.equal(opt.iterations, 1);
    remove();
    const before = await weights(m);
    opt.addStepGate(() => {
      throw new Error('stop here');
    });
    await assert.rejects(m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 }), /stop here/);
    const after = await weights(m);
    after.forEach((w, i) => assert.deepEqual(w, before[i]));
    m.dispose();
    opt.dispose();
    tf.dispose([x, y]);
  });

  it('explains a missing inner optimizer class when loading', () => {
    assert.throws(
      () => ClippedOptimizer.fromConfig(ClippedOptimizer, { inner: { className: 'NoSuchOpt', config: {} }, clipnorm: 1 }),
      /cannot rebuild the inner optimizer 'NoSuchOpt'.*registerClass/,
    );
  });

  it('forwards learningRate (SGD through setLearningRate), iterations and dispose', async () => {
    const v = tf.variable(tf.scalar(1), true, `lrVar_${backend}`);
    const opt = withClipping(tf.train.sgd(0.1));
    opt.learningRate = 0.5;
    assert.equal(opt.learningRate, 0.5);
    opt.applyGradients({ [v.name]: tf.scalar(1) });
    assert.equal((await v.data())[0], 0.5, 'SGD used the new rate (its cached -lr was updated)');
    assert.equal(opt.iterations, 1);
    const n = tf.memory().numTensors;
    opt.dispose();
    assert.ok(tf.memory().numTensors < n, 'dispose releases kept stats');
    v.dispose();
  });
});
