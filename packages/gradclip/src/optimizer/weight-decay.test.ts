/**
 * Decoupled weight decay of the optimizer wrapper (`weightDecay`): `w ← w·(1 − lr·wd)` before the
 * inner optimizer's step. The reference is always computed here without the wrapper: the float32
 * multiply done by hand, then the bare tfjs optimizer's own `applyGradients`; and a closed form
 * where the gradient is zero. The fused update (cpu/wasm) is compared with the unfused path bit for
 * bit for each of tfjs's seven optimizers.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { readWeights, saveToMemory, tinyRegressionData, tinyRegressionModel } from '../../test/helpers/tiny-regression.js';
import { ValueError } from '../errors.js';
import type { NamedTensor } from '../core/grad-forms.js';
import * as transforms from '../transforms/index.js';
import type { AdaGCState } from '../transforms/ada-gc.js';
import { ClippedOptimizer, withClipping } from './clipped-optimizer.js';
import type { ClippingOptions } from './clipping-options.js';
import { adadelta, adagrad, adam, adamax, momentum, rmsprop, sgd } from './factories.js';
import { fusedUpdates, setFusedUpdateEnabled } from './fused-update.js';

const OPTIMIZERS: Record<string, () => tf.Optimizer> = {
  sgd: () => tf.train.sgd(0.05),
  momentum: () => tf.train.momentum(0.01, 0.9),
  nesterov: () => tf.train.momentum(0.01, 0.9, true),
  adam: () => tf.train.adam(0.01),
  rmsprop: () => tf.train.rmsprop(0.01),
  'rmsprop(centered)': () => tf.train.rmsprop(0.005, 0.8, 0.9, 1e-6, true),
  adagrad: () => tf.train.adagrad(0.1),
  adadelta: () => tf.train.adadelta(0.5, 0.9),
  'adamax(decay)': () => tf.train.adamax(0.02, 0.8, 0.95, 1e-5, 0.01),
};

const SHAPES: number[][] = [[7, 5], [5], [3, 3, 4], [33]];
const WD = 0.3;

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

function makeVars(): tf.Variable[] {
  const tag = Math.random().toString(36).slice(2);
  return SHAPES.map((s, i) => {
    const init = tf.randomNormal(s, 0, 1, 'float32', 100 + i);
    const v = tf.variable(init, true, `wd_${tag}_${i}`);
    init.dispose();
    return v;
  });
}

/** Seeded gradients of step `k`; variable 1 has none on odd steps. */
function gradsFor(vars: tf.Variable[], k: number): NamedTensor[] {
  return vars.map((v, i) => ({ name: v.name, tensor: (i === 1 && k % 2 === 1 ? null : tf.randomNormal(v.shape, 0, 1 + (k % 3), 'float32', 1 + 1000 * k + i)) as tf.Tensor }));
}

/** The learning rate the test sets at step 5 (read by the decay from then on). */
function changeLearningRate(inner: tf.Optimizer): number {
  const o = inner as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  const lr = o.learningRate * 0.5;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
  return lr;
}

/**
 * 10 steps on fresh variables: through `withClipping(make(), clip + weightDecay)` (`mode` 'fused' or
 * 'unfused'), or `'reference'`: the bare optimizer, each variable that has a gradient first
 * assigned `w * f32(1 − lr·wd)` by hand.
 */
function run(make: () => tf.Optimizer, clip: ClippingOptions, mode: 'fused' | 'unfused' | 'reference'): { weights: number[][]; fused: number } {
  const before = setFusedUpdateEnabled(mode === 'fused');
  try {
    const vars = makeVars();
    const inner = make();
    const opt = mode === 'reference' ? inner : withClipping(inner, { ...clip, weightDecay: WD });
    const f0 = fusedUpdates.steps;
    for (let k = 0; k < 10; ++k) {
      if (k === 5) changeLearningRate(inner);
      const g = gradsFor(vars, k);
      const present = g.filter((n) => n.tensor != null);
      if (mode === 'reference') {
        const lr = (inner as unknown as { learningRate: number }).learningRate;
        tf.tidy(() => vars.forEach((v, i) => g[i].tensor != null && v.assign(tf.mul(v, tf.scalar(Math.fround(1 - lr * WD))))));
        // The clipping of `clip` is not applied here: only the empty options are compared with it.
        // Holes stay in place (tfjs keys its slots by position and skips a null gradient).
        inner.applyGradients(g);
      } else {
        opt.applyGradients(g);
      }
      tf.dispose(present.map((n) => n.tensor));
    }
    const out = { weights: vars.map(bits), fused: fusedUpdates.steps - f0 };
    tf.dispose(vars);
    opt.dispose();
    return out;
  } finally {
    setFusedUpdateEnabled(before);
  }
}

after(() => setFusedUpdateEnabled(true));

describeBackends('weightDecay (decoupled, AdamW formula)', () => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    it(`${name}: bit-identical to decaying by hand before tfjs's own step, fused and unfused, with the learning rate read every step`, () => {
      const ref = run(make, {}, 'reference');
      const off = run(make, {}, 'unfused');
      const on = run(make, {}, 'fused');
      assert.equal(off.fused, 0);
      assert.ok(on.fused >= 8, `fused steps: ${on.fused}`);
      assert.deepEqual(off.weights, ref.weights, 'unfused vs reference');
      assert.deepEqual(on.weights, ref.weights, 'fused vs reference');
      // With clipping and with a transform too: fused and unfused agree bit for bit.
      for (const clip of [{ clipnorm: 1.5 }, { transform: transforms.adaGC({ warmupSteps: 2 }) }] as ClippingOptions[]) {
        assert.deepEqual(run(make, clip, 'fused').weights, run(make, clip, 'unfused').weights, JSON.stringify(Object.keys(clip)));
      }
    });
  }

  it('SGD: w_k = w·(1 − lr·wd) − lr·g, against float64 (different rounding path)', () => {
    const v = tf.variable(tf.tensor([1, -2, 3.5]), true, `wd_sgd_${Math.random()}`);
    const opt = withClipping(tf.train.sgd(0.1), { weightDecay: 0.5 });
    let w = [1, -2, 3.5];
    for (const g of [[0.1, 0.2, -0.3], [1, 0, 2]]) {
      const t = tf.tensor(g);
      opt.applyGradients([{ name: v.name, tensor: t }]);
      t.dispose();
      w = w.map((x, i) => x * (1 - 0.1 * 0.5) - 0.1 * g[i]);
    }
    const got = v.dataSync();
    w.forEach((x, i) => assert.ok(Math.abs(got[i] - x) < 1e-6, `${got[i]} vs ${x}`));
    v.dispose();
    opt.dispose();
  });

  it('in fit: with a zero gradient, Adam leaves only the decay, w_k = f32(…f32(w_0·d)…·d)', async () => {
    for (const fused of [true, false]) {
      const before = setFusedUpdateEnabled(fused);
      try {
        const { x, y } = tinyRegressionData(16);
        const m = tinyRegressionModel();
        const w0 = await readWeights(m);
        const opt = adam({ learningRate: 0.05, weightDecay: 0.2 });
        const zeroLoss = (_t: tf.Tensor, p: tf.Tensor) => tf.mul(tf.sum(p), 0) as tf.Scalar;
        m.compile({ optimizer: opt, loss: zeroLoss });
        await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 }); // 8 steps
        const d = Math.fround(1 - 0.05 * 0.2);
        const expected = w0.map((w) => w.map((v) => {
          let z = v;
          for (let k = 0; k < 8; ++k) z = Math.fround(z * d);
          return z;
        }));
        assert.deepEqual(await readWeights(m), expected.map((w) => Float32Array.from(w)), `fused ${fused}`);
        m.dispose();
        opt.dispose();
        tf.dispose([x, y]);
      } finally {
        setFusedUpdateEnabled(before);
      }
    }
  });

  it('skipped steps do not decay: nonFinite "skip", a transform that skips, a step gate', () => {
    const cases: [string, ClippingOptions, (o: ClippedOptimizer) => void][] = [
      ['nonFinite skip', { nonFinite: 'skip' }, () => {}],
      ['applyIfFinite', { transform: transforms.applyIfFinite(transforms.clipByGlobalNorm(1), { maxConsecutiveErrors: 5 }) }, () => {}],
      ['step gate', {}, (o) => void o.addStepGate(() => true)],
    ];
    for (const [label, clip, setup] of cases) {
      const v = tf.variable(tf.tensor([1, 2, 3]), true, `wd_skip_${Math.random()}`);
      const opt = withClipping(tf.train.adam(0.1), { ...clip, weightDecay: 0.5 });
      setup(opt);
      const g = tf.tensor(label === 'step gate' ? [1, 1, 1] : [NaN, 1, 1]);
      opt.applyGradients([{ name: v.name, tensor: g }]);
      assert.deepEqual(Array.from(v.dataSync()), [1, 2, 3], label);
      assert.equal(opt.skippedSteps, 1, label);
      tf.dispose([g, v]);
      opt.dispose();
    }
  });

  it('validates weightDecay at construction, in withClipping and in every factory', () => {
    const msg = (v: string) => new RegExp(`^\`weightDecay\` must be a finite number >= 0\\. Received: weightDecay=${v}$`);
    for (const [bad, shown] of [[-0.1, '-0.1'], [NaN, 'NaN'], [Infinity, 'Infinity'], ['0.1', '"0.1"'], [true, 'true']] as const) {
      const re = msg(shown.replace(/[.]/g, '\\.'));
      assert.throws(() => withClipping(tf.train.sgd(0.1), { weightDecay: bad as never }), (e: Error) => e instanceof ValueError && re.test(e.message), String(bad));
      for (const make of [
        () => sgd({ learningRate: 0.1, weightDecay: bad as never }),
        () => momentum({ learningRate: 0.1, momentum: 0.9, weightDecay: bad as never }),
        () => adam({ weightDecay: bad as never }),
        () => adamax({ weightDecay: bad as never }),
        () => rmsprop({ learningRate: 0.1, weightDecay: bad as never }),
        () => adagrad({ learningRate: 0.1, weightDecay: bad as never }),
        () => adadelta({ weightDecay: bad as never }),
      ]) {
        assert.throws(make, (e: Error) => e instanceof ValueError && re.test(e.message), String(bad));
      }
    }
    for (const ok of [0, null, undefined, 1e-4, 2]) assert.doesNotThrow(() => withClipping(tf.train.sgd(0.1), { weightDecay: ok }).dispose(), String(ok));
    // It combines with every clipping option and with a transform.
    assert.equal(withClipping(tf.train.sgd(0.1), { globalClipnorm: 1, weightDecay: 0.1 }).options.weightDecay, 0.1);
    assert.equal(withClipping(tf.train.sgd(0.1), { transform: transforms.adaGC(), weightDecay: 0.1 }).options.weightDecay, 0.1);
    // An optimizer without a numeric learningRate cannot decay.
    class NoLr extends tf.Optimizer {
      applyGradients(): void {}
      getConfig(): tf.serialization.ConfigDict {
        return {};
      }
    }
    assert.throws(
      () => withClipping(new NoLr(), { weightDecay: 0.1 }),
      (e: Error) => e instanceof ValueError && /^`weightDecay` needs the inner optimizer's learning rate.*Received: weightDecay=0\.1, learningRate=undefined$/.test(e.message),
    );
    assert.doesNotThrow(() => withClipping(new NoLr(), { weightDecay: 0 }));
  });

  it('saves and loads: getConfig/fromConfig keep weightDecay (and AdaGC with its state); training resumes identically', async () => {
    const { x, y } = tinyRegressionData(32, 1.3);
    const m = tinyRegressionModel();
    const opt = adam({ learningRate: 0.01, epsilon: 1e-8, transform: { name: 'adaGC', args: [{ warmupSteps: 3 }] }, weightDecay: 0.05 });
    assert.equal(opt.getConfig().weightDecay, 0.05);
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(m)));
    const lo = loaded.optimizer as ClippedOptimizer;
    assert.ok(lo instanceof ClippedOptimizer);
    assert.equal(lo.options.weightDecay, 0.05);
    assert.deepEqual(lo.options.transformSpec, { name: 'adaGC', args: [{ warmupSteps: 3 }] });
    assert.deepEqual(lo.transformStateValue, opt.transformStateValue);
    assert.equal((opt.transformStateValue as AdaGCState).step, 8);
    await m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    await loaded.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    assert.deepEqual(await readWeights(loaded), await readWeights(m));
    // A config from before weightDecay existed loads with none.
    const { weightDecay: _omit, ...old } = opt.getConfig();
    assert.equal((ClippedOptimizer.fromConfig(ClippedOptimizer, old) as ClippedOptimizer).options.weightDecay, 0);
    [m, loaded].forEach((a) => a.dispose());
    [opt, lo].forEach((o) => o.dispose());
    tf.dispose([x, y]);
  });

  it('AdaGC + weightDecay in fit: 500 steps with tf.memory().numTensors constant; the state reports what AdaGC did', async () => {
    const { x, y } = tinyRegressionData(40, 1.1);
    const m = tinyRegressionModel();
    const opt = withClipping(tf.train.adam(0.01), { transform: transforms.adaGC({ warmupSteps: 20 }), weightDecay: 0.01 });
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const counts: number[] = [];
    const phases: (string | null)[] = [];
    let clippedSteps = 0;
    const h = await m.fit(x, y, {
      epochs: 100,
      batchSize: 8,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: async () => {
          const s = opt.transformStateValue as AdaGCState;
          phases.push(s.lastPhase);
          if (s.lastClipped > 0) clippedSteps += 1;
          assert.ok(s.lastClippedFraction >= 0 && s.lastClippedFraction <= 1);
        },
        onEpochEnd: async () => void counts.push(tf.memory().numTensors),
      },
    });
    assert.equal(opt.iterations, 500);
    assert.equal(counts[1], counts[counts.length - 1], `numTensors per epoch: ${counts.slice(0, 5)} … ${counts.slice(-3)}`);
    assert.deepEqual(phases.slice(18, 22), ['warmup', 'warmup', 'adaptive', 'adaptive'], 'inclusive warm-up of 20 steps');
    assert.ok(clippedSteps > 0);
    assert.ok((h.history.loss as number[]).every(Number.isFinite));
    m.dispose();
    opt.dispose();
    tf.dispose([x, y]);
  });
});
