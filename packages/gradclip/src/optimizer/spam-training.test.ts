/**
 * SPAM and Stable-SPAM as `tf.Optimizer`s in training: model.fit (500 steps, no tensor leak),
 * minimize, save/load with the optimizer state, the clipping wrapper and its `nonFinite` policy,
 * missing gradients, and non-finite gradients as the reference code defines them.
 * (Their arithmetic is checked against the reference trajectories in spam.test.ts and
 * stable-spam.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { readWeights, saveToMemory, tinyRegressionData, tinyRegressionModel } from '../../test/helpers/tiny-regression.js';
import { ClippedOptimizer } from './clipped-optimizer.js';
import { fusedUpdates } from './fused-update.js';
import { SPAM, spam } from './spam.js';
import { StableSPAM, stableSpam } from './stable-spam.js';
import type { WrapperOptions } from './spam-shared.js';

/** Hyper-parameters with resets, warm-ups and clipping inside a few dozen steps. */
const KINDS = {
  SPAM: {
    make: (o: object = {}) => new SPAM({ learningRate: 0.01, resetInterval: 10, warmupSteps: 4, gradAccuSteps: 2, threshold: 50, weightDecay: 0.01, ...o }),
    factory: (o: WrapperOptions) => spam({ learningRate: 0.01, resetInterval: 10, warmupSteps: 4, gradAccuSteps: 2, threshold: 50, ...o }),
    slotsPerVariable: 2,
  },
  StableSPAM: {
    make: (o: object = {}) => new StableSPAM({ learningRate: 0.01, resetInterval: 10, totalT: 30, gamma3: 0.9, weightDecay: 0.01, ...o }),
    factory: (o: WrapperOptions) => stableSpam({ learningRate: 0.01, resetInterval: 10, totalT: 30, gamma3: 0.9, ...o }),
    slotsPerVariable: 2,
  },
} as const;

const model = () => tinyRegressionModel(undefined, [1, 2]);

async function read(ts: tf.Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(await t.data())));
}

describeBackends('SPAM and StableSPAM in training', () => {
  for (const [kind, K] of Object.entries(KINDS)) {
    it(`${kind}: 500 steps of model.fit lower the loss with tf.memory().numTensors constant`, async () => {
      const { x, y } = tinyRegressionData(64);
      const m = model();
      const opt = K.make();
      m.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const counts: number[] = [];
      const resets: number[] = [];
      const h = await m.fit(x, y, {
        epochs: 63,
        batchSize: 8,
        shuffle: false,
        verbose: 0,
        callbacks: {
          onBatchEnd: async () => void (opt.lastStep?.momentumReset && resets.push(opt.lastStep.step)),
          onEpochEnd: async () => void counts.push(tf.memory().numTensors),
        },
      });
      assert.equal(opt.iterations, 504);
      assert.deepEqual(counts.slice(1), counts.slice(1).map(() => counts[1]), `numTensors per epoch: ${counts}`);
      const loss = h.history.loss as number[];
      assert.ok(loss.every(Number.isFinite) && loss[loss.length - 1] < 0.5 * loss[0], `loss ${loss[0]} -> ${loss[loss.length - 1]}`);
      // the monitoring reports a momentum reset on exactly the steps t % resetInterval == 0
      assert.deepEqual(resets, Array.from({ length: 50 }, (_, i) => 10 * (i + 1)));
      m.dispose();
      opt.dispose();
      tf.dispose([x, y]);
    });

    it(`${kind}: dispose() frees every tensor the optimizer made (custom loop with minimize)`, async () => {
      const w = tf.variable(tf.tensor2d([[1, -2], [3, 0.5]]));
      const b = tf.variable(tf.tensor1d([0.1, -0.1]));
      const x = tf.tensor2d([[1, 2], [3, 4], [-1, 0.5]]);
      const before = tf.memory().numTensors;
      const opt = K.make();
      for (let i = 0; i < 25; ++i) opt.minimize(() => tf.sum(tf.square(tf.add(tf.matMul(x, w), b))) as tf.Scalar, false, [w, b]);
      assert.equal(opt.iterations, 25);
      const made = tf.memory().numTensors - before;
      assert.ok(made >= 2 * K.slotsPerVariable, `made ${made}`);
      opt.dispose();
      assert.equal(tf.memory().numTensors, before);
      tf.dispose([w, b, x]);
    });

    it(`${kind}: minimize(f, true, varList) returns the cost and matches applyGradients of the same gradients`, async () => {
      const init = () => [tf.variable(tf.tensor1d([1, -2, 3])), tf.variable(tf.tensor1d([0.5]))];
      const loss = (vs: tf.Variable[]) => () => tf.sum(tf.square(tf.sub(tf.mul(vs[0], vs[1]), tf.tensor1d([2, 1, -1])))) as tf.Scalar;
      const [a, b] = [init(), init()];
      const [oa, ob] = [K.make(), K.make()];
      for (let i = 0; i < 23; ++i) {
        const cost = oa.minimize(loss(a), true, a) as tf.Scalar;
        assert.ok(Number.isFinite(cost.dataSync()[0]));
        cost.dispose();
        const { value, grads } = tf.variableGrads(loss(b), b);
        ob.applyGradients(grads);
        tf.dispose([value, ...Object.values(grads)]);
      }
      assert.deepEqual(await read(a), await read(b));
      tf.dispose([...a, ...b]);
      oa.dispose();
      ob.dispose();
    });

    for (const wrapped of [false, true]) {
      it(`${kind}${wrapped ? ' (wrapped, clipnorm)' : ''}: model.save with includeOptimizer + tf.loadLayersModel restores the state, and training continues identically`, async () => {
        const { x, y } = tinyRegressionData(32);
        const m = model();
        const opt = wrapped ? K.factory({ clipnorm: 5 }) : K.make();
        m.compile({ optimizer: opt, loss: 'meanSquaredError' });
        // 16 steps: the next fit crosses a momentum reset (step 20) and, for SPAM, its warm-up
        await m.fit(x, y, { epochs: 4, batchSize: 8, shuffle: false, verbose: 0 });
        const saved = await saveToMemory(m);
        const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
        const lo = loaded.optimizer;
        const [inner, loadedInner] = wrapped ? [(opt as ClippedOptimizer).inner, (lo as ClippedOptimizer).inner] : [opt, lo];
        assert.equal(loadedInner.getClassName(), kind === 'SPAM' ? 'GradclipSPAM' : 'GradclipStableSPAM');
        assert.ok(kind === 'SPAM' ? loadedInner instanceof SPAM : loadedInner instanceof StableSPAM);
        assert.deepEqual(loadedInner.getConfig(), inner.getConfig());
        assert.equal(lo.iterations, 16);
        // a model loaded in the same process gets new variable names: the slots are found by position
        assert.notEqual(loaded.trainableWeights[0].name, m.trainableWeights[0].name);
        const [wa, wb] = [await opt.getWeights(), await lo.getWeights()];
        assert.deepEqual(await read(wb.map((w) => w.tensor)), await read(wa.map((w) => w.tensor)));
        await m.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
        await loaded.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
        assert.equal(lo.iterations, 28);
        assert.deepEqual(await readWeights(loaded), await readWeights(m));
        m.dispose();
        loaded.dispose();
        opt.dispose();
        lo.dispose();
        tf.dispose([x, y]);
      });
    }

    it(`${kind}: setWeights matches slots to variables by name, whatever the gradient order`, async () => {
      const vs: tf.Variable[] = [tf.variable(tf.tensor1d([1, 2, 3])), tf.variable(tf.tensor2d([[1], [-1]]))];
      const g = (s: number): tf.Tensor[] => [tf.tensor1d([0.3, -0.2, 0.1]).mul(s), tf.tensor2d([[0.5], [0.25]]).mul(-s)];
      const a = K.make();
      for (let i = 1; i <= 12; ++i) {
        const gs = g(i);
        a.applyGradients(vs.map((v, j) => ({ name: v.name, tensor: gs[j] })));
        tf.dispose(gs);
      }
      const b = K.make();
      await b.setWeights(await a.getWeights());
      const snapshot = vs.map((v) => v.clone());
      const gs = g(13);
      a.applyGradients(vs.map((v, j) => ({ name: v.name, tensor: gs[j] })));
      const viaA = await read(vs);
      vs.forEach((v, j) => v.assign(snapshot[j]));
      b.applyGradients([1, 0].map((j) => ({ name: vs[j].name, tensor: gs[j] })));
      assert.deepEqual(await read(vs), viaA);
      assert.equal(b.iterations, 13);
      tf.dispose([...vs, ...snapshot, ...gs]);
      a.dispose();
      b.dispose();
    });

    it(`${kind}: a missing gradient leaves its variable and its state untouched`, async () => {
      const a = tf.variable(tf.tensor1d([1, 2]));
      const b = tf.variable(tf.tensor1d([3, 4]));
      const opt = K.make();
      const ga = tf.tensor1d([0.5, -0.5]);
      opt.applyGradients({ [a.name]: ga, [b.name]: ga });
      const bAfter1 = Array.from(await b.data());
      const aAfter1 = Array.from(await a.data());
      opt.applyGradients([
        { name: a.name, tensor: ga },
        { name: b.name, tensor: null as unknown as tf.Tensor },
      ]);
      assert.deepEqual(Array.from(await b.data()), bAfter1);
      assert.notDeepEqual(Array.from(await a.data()), aAfter1);
      assert.deepEqual(opt.lastStep?.variableNames, [a.name]);
      const steps = await Promise.all((await opt.getWeights()).filter((w) => w.name.endsWith('/step')).map(async (w) => [w.name, (await w.tensor.data())[0]]));
      assert.deepEqual(steps, [
        [`${a.name}/step`, 2],
        [`${b.name}/step`, 1],
      ]);
      tf.dispose([a, b, ga]);
      opt.dispose();
    });

    it(`${kind}: the clipping wrapper clips before the optimizer (not the fused tfjs update) and forwards learningRate`, async () => {
      const vs = [tf.variable(tf.tensor1d([1, -1, 2])), tf.variable(tf.tensor1d([0.5]))];
      const ref = [tf.variable(tf.tensor1d([1, -1, 2])), tf.variable(tf.tensor1d([0.5]))];
      const wrapped = K.factory({ clipnorm: 1 }) as ClippedOptimizer;
      assert.ok(wrapped instanceof ClippedOptimizer);
      const bare = K.factory({});
      const fusedBefore = fusedUpdates.steps;
      for (let t = 1; t <= 14; ++t) {
        const raw = [[3 * Math.sin(t), 2, -t], [t % 5 === 0 ? 40 : 0.3]];
        // Keras clipnorm, computed here in float64: g · min(1, 1/‖g‖) per tensor
        const clipped = raw.map((g) => {
          const n = Math.hypot(...g);
          return g.map((x) => (n > 1 ? x / n : x));
        });
        const gw = raw.map((g, j) => ({ name: vs[j].name, tensor: tf.tensor1d(g) }));
        const gr = clipped.map((g, j) => ({ name: ref[j].name, tensor: tf.tensor1d(g) }));
        wrapped.applyGradients(gw);
        bare.applyGradients(gr);
        tf.dispose([...gw.map((g) => g.tensor), ...gr.map((g) => g.tensor)]);
      }
      assert.equal(fusedUpdates.steps, fusedBefore, 'no fused tfjs update for an unknown class');
      const [got, want] = [await read(vs), await read(ref)];
      got.forEach((g, j) => g.forEach((x, i) => assert.ok(Math.abs(x - want[j][i]) <= 1e-5 * (1 + Math.abs(want[j][i])), `${x} vs ${want[j][i]}`)));
      wrapped.learningRate = 0.123;
      assert.equal((wrapped.inner as SPAM | StableSPAM).learningRate, 0.123);
      tf.dispose([...vs, ...ref]);
      wrapped.dispose();
      bare.dispose();
    });

    it(`${kind}: nonFinite 'skip' leaves weights, state and iterations as they were on a NaN gradient`, async () => {
      const v = tf.variable(tf.tensor1d([1, 2, 3]));
      const opt = K.factory({ nonFinite: 'skip' }) as ClippedOptimizer;
      const good = tf.tensor1d([0.1, -0.2, 0.3]);
      const bad = tf.tensor1d([0.1, NaN, 0.3]);
      opt.applyGradients({ [v.name]: good });
      const w1 = Array.from(await v.data());
      const s1 = await read((await opt.getWeights()).map((w) => w.tensor));
      opt.applyGradients({ [v.name]: bad });
      assert.equal(opt.skippedSteps, 1);
      assert.equal(opt.iterations, 1);
      assert.deepEqual(Array.from(await v.data()), w1);
      assert.deepEqual(await read((await opt.getWeights()).map((w) => w.tensor)), s1);
      tf.dispose([v, good, bad]);
      opt.dispose();
    });
  }

  it('SPAM: non-finite gradients as in the reference — NaN is never a spike, ±Inf is one while clipping is active', async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const opt = new SPAM({ learningRate: 0.01, threshold: 5000, gradAccuSteps: 2, resetInterval: 100 });
    const twin = new SPAM({ learningRate: 0.01, threshold: 5000, gradAccuSteps: 2, resetInterval: 100 });
    const g1 = tf.tensor1d([0.5, -0.5, 0.25]);
    opt.applyGradients({ [v.name]: g1 });
    twin.applyGradients({ [w.name]: g1 });
    // step 2: clipping is active; +Inf and a huge finite spike are both clipped to sqrt(θ·v)
    const inf = tf.tensor1d([0.5, Infinity, 0.25]);
    const huge = tf.tensor1d([0.5, 3e38, 0.25]);
    opt.applyGradients({ [v.name]: inf });
    twin.applyGradients({ [w.name]: huge });
    assert.deepEqual((await opt.readLastStep())?.clipped, [1]);
    const afterInf = Array.from(await v.data());
    assert.ok(afterInf.every(Number.isFinite), `${afterInf}`);
    assert.deepEqual(afterInf, Array.from(await w.data()));
    // a NaN entry passes the spike test (NaN > x is false) and reaches its weight only
    const nan = tf.tensor1d([0.5, NaN, 0.25]);
    opt.applyGradients({ [v.name]: nan });
    assert.deepEqual((await opt.readLastStep())?.clipped, [0]);
    const afterNaN = Array.from(await v.data());
    assert.ok(Number.isNaN(afterNaN[1]) && Number.isFinite(afterNaN[0]) && Number.isFinite(afterNaN[2]), `${afterNaN}`);
    tf.dispose([v, w, g1, inf, huge, nan]);
    opt.dispose();
    twin.dispose();
  });

  it('StableSPAM: non-finite gradients as in the reference — a NaN poisons its variable from the next step on', async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const u = tf.variable(tf.tensor1d([1, 1]));
    const opt = new StableSPAM({ learningRate: 0.01 });
    const g = tf.tensor1d([0.5, -0.5, 0.25]);
    const gu = tf.tensor1d([0.1, 0.2]);
    const nan = tf.tensor1d([0.5, NaN, 0.25]);
    opt.applyGradients({ [v.name]: g, [u.name]: gu });
    // max|g| and ‖g‖ are NaN: no AdaClip, no AdaGN (`n > 0` is false), so only the NaN entry is NaN now…
    opt.applyGradients({ [v.name]: nan, [u.name]: gu });
    const a = Array.from(await v.data());
    assert.ok(Number.isNaN(a[1]) && Number.isFinite(a[0]) && Number.isFinite(a[2]), `${a}`);
    assert.ok(Number.isNaN(opt.lastStep!.gradNorm[0]) && Number.isNaN(opt.lastStep!.maxThreshold[0]));
    // …but the running norm statistics are NaN: from the next step on the whole variable is NaN
    opt.applyGradients({ [v.name]: g, [u.name]: gu });
    assert.ok(Array.from(await v.data()).every(Number.isNaN));
    assert.ok(Array.from(await u.data()).every(Number.isFinite), 'other variables are not affected');
    tf.dispose([v, u, g, gu, nan]);
    opt.dispose();
  });
});
