/**
 * Keras 3 `BaseOptimizer.apply`: every gradient missing → `ValueError("No gradients provided for
 * any variable.")` (`_filter_empty_gradients`), and nothing changes; no gradients at all (an empty
 * list) → a no-op that does not even count an iteration.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { ValueError } from '../errors.js';
import { withClipping, type ClippedOptimizer } from './clipped-optimizer.js';

const INNER = {
  adam: () => tf.train.adam(0.1),
  momentum: () => tf.train.momentum(0.1, 0.9),
};

/** The bits of a float32 tensor (bit-for-bit comparison: -0, NaN payloads). */
async function bits(t: tf.Tensor): Promise<number[]> {
  return Array.from(new Uint32Array(Float32Array.from((await t.data()) as Float32Array).buffer));
}

/** Every piece of state a step could touch: weights, the inner optimizer's weights and private moments, iterations, the wrapper's counters. */
async function snapshot(opt: ClippedOptimizer, vars: tf.Variable[]): Promise<unknown> {
  const inner = opt.inner as unknown as Record<string, unknown>;
  const privateVars = ['accBeta1', 'accBeta2'].map((k) => inner[k]).filter((v): v is tf.Variable => v instanceof tf.Variable);
  const slots = await opt.getWeights();
  return {
    weights: await Promise.all(vars.map(bits)),
    slots: await Promise.all(slots.map(async (s) => [s.name, await bits(s.tensor)])),
    privateVars: await Promise.all(privateVars.map(bits)),
    iterations: opt.iterations,
    innerIterations: opt.inner.iterations,
    skippedSteps: opt.skippedSteps,
    statsStep: opt.lastStats?.step ?? null,
  };
}

describeBackends('ClippedOptimizer: no gradients', (backend) => {
  for (const [innerName, make] of Object.entries(INNER)) {
    it(`every gradient missing throws Keras's ValueError naming the variables and changes nothing, bit for bit (${innerName})`, async () => {
      const a = tf.variable(tf.tensor1d([1, -2, 3]), true, `noGradA_${innerName}_${backend}`);
      const b = tf.variable(tf.tensor2d([[0.5, -0.25]]), true, `noGradB_${innerName}_${backend}`);
      const opt = withClipping(make(), { globalClipnorm: 1 });
      opt.enableStats(); // so that the snapshot's statsStep is a number the failed step must not replace
      // Two real steps first, so that slots, moments and stats exist and are not at their initial values.
      for (let i = 0; i < 2; i++) {
        const g = { [a.name]: tf.tensor1d([0.5, 1, -1]), [b.name]: tf.tensor2d([[3, -4]]) };
        opt.applyGradients(g);
        tf.dispose(Object.values(g));
      }
      const before = await snapshot(opt, [a, b]);
      const names = `\\["${a.name}", "${b.name}"\\]`;
      const expected = new RegExp(
        `^No gradients provided for any variable: ${names}\\. Every gradient in \`variableGradients\` is null or undefined; ` +
          'weights, optimizer state and iterations were not changed\\.$',
      );
      const forms: [string, unknown][] = [
        ['NamedTensorMap', { [a.name]: null, [b.name]: undefined }],
        ['NamedTensor[]', [{ name: a.name, tensor: null }, { name: b.name, tensor: undefined }]],
      ];
      for (const [form, grads] of forms) {
        await expectNoLeak(() => {
          assert.throws(
            () => opt.applyGradients(grads as tf.NamedTensorMap),
            (e: unknown) => e instanceof ValueError && expected.test((e as Error).message),
            form,
          );
        }, form);
        assert.deepEqual(await snapshot(opt, [a, b]), before, `${form}: nothing changed`);
      }
      // The optimizer still works afterwards.
      const g = { [a.name]: tf.tensor1d([0.5, 1, -1]), [b.name]: tf.tensor2d([[3, -4]]) };
      opt.applyGradients(g);
      tf.dispose(Object.values(g));
      assert.equal(opt.iterations, 3);
      opt.dispose();
      tf.dispose([a, b]);
    });
  }

  it('a plain list of null/undefined names the positions', async () => {
    const opt = withClipping(tf.train.sgd(0.1), { clipnorm: 1 });
    await expectNoLeak(() => {
      assert.throws(
        () => opt.applyGradients([null, undefined] as unknown as tf.NamedTensorMap),
        (e: unknown) => e instanceof ValueError && /^No gradients provided for any variable: \[0, 1\]\. Every gradient in `variableGradients`/.test((e as Error).message),
      );
    });
    assert.equal(opt.iterations, 0);
    opt.dispose();
  });

  it('some gradients missing still applies the others (Keras warns, then filters)', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, `someGradA_${backend}`);
    const b = tf.variable(tf.tensor1d([3]), true, `someGradB_${backend}`);
    const opt = withClipping(tf.train.sgd(1), { clipvalue: 0.5 });
    const warn = console.warn;
    console.warn = () => {};
    try {
      const g = tf.tensor1d([2, -0.25]);
      opt.applyGradients({ [a.name]: g, [b.name]: null as unknown as tf.Tensor });
      g.dispose();
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(Array.from(await a.data()), [0.5, 2.25]);
    assert.deepEqual(Array.from(await b.data()), [3]);
    assert.equal(opt.iterations, 1);
    opt.dispose();
    tf.dispose([a, b]);
  });

  for (const [form, empty] of [['{}', {}], ['[]', []]] as const) {
    it(`no gradients at all (${form}) is a no-op, as Keras 3's apply: no error, nothing changes, iterations stay`, async () => {
      const a = tf.variable(tf.tensor1d([1, -2]), true, `emptyGrads_${form === '{}' ? 'map' : 'list'}_${backend}`);
      const opt = withClipping(tf.train.adam(0.1), { clipnorm: 1 });
      const g = { [a.name]: tf.tensor1d([0.5, 1]) };
      opt.applyGradients(g);
      tf.dispose(Object.values(g));
      const before = await snapshot(opt, [a]);
      await expectNoLeak(() => opt.applyGradients(empty as tf.NamedTensorMap), form);
      assert.deepEqual(await snapshot(opt, [a]), before);
      assert.equal(opt.iterations, 1);
      opt.dispose();
      a.dispose();
    });
  }

  it('minimize whose gradients are all missing throws the same ValueError and leaks nothing (loss value included)', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, `minNoGradA_${backend}`);
    const inner = tf.train.sgd(0.1);
    // An optimizer whose computeGradients finds no gradient (tfjs's own variableGrads throws first; see below).
    inner.computeGradients = (f: () => tf.Scalar) => ({ value: tf.tidy(f), grads: {} });
    const opt = withClipping(inner, { clipnorm: 1 });
    await expectNoLeak(() => {
      assert.throws(
        () => opt.minimize(() => tf.scalar(3).square(), true, [a]),
        (e: unknown) => e instanceof ValueError && new RegExp(`^No gradients provided for any variable: \\["${a.name}"\\]\\.`).test((e as Error).message),
      );
    });
    assert.deepEqual(Array.from(await a.data()), [1, 2]);
    assert.equal(opt.iterations, 0);
    opt.dispose();
    a.dispose();
  });

  it("minimize disposes its loss value when the step throws (nonFinite: 'error')", async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, `minErrA_${backend}`);
    const opt = withClipping(tf.train.sgd(0.1), { clipnorm: 1, nonFinite: 'error' });
    await expectNoLeak(() => {
      assert.throws(() => opt.minimize(() => tf.sum(tf.mul(a, NaN)) as tf.Scalar, true, [a]), /Non-finite gradient norm at step 1/);
    });
    assert.deepEqual(Array.from(await a.data()), [1, 2]);
    opt.dispose();
    a.dispose();
  });

  it('minimize and fit with a loss that reaches no variable: tfjs throws before any update, nothing changes', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, `minTfjsA_${backend}`);
    const opt = withClipping(tf.train.adam(0.1), { clipnorm: 1 });
    for (const varList of [[a], undefined]) {
      assert.throws(() => opt.minimize(() => tf.scalar(3), false, varList), /Cannot find a connection between any variable and the result of the loss function/);
    }
    assert.deepEqual(Array.from(await a.data()), [1, 2]);
    assert.equal(opt.iterations, 0);

    const x = tf.ones([4, 3]);
    const y = tf.ones([4, 1]);
    const cases: [string, (m: tf.Sequential) => void, tf.ModelCompileArgs['loss'], RegExp][] = [
      ['a loss ignoring the prediction', () => {}, ((yt: tf.Tensor) => tf.mean(yt)) as unknown as tf.ModelCompileArgs['loss'], /Cannot find a connection between any variable/],
      ['a frozen model', (m) => (m.trainable = false), 'meanSquaredError', /none of the 0 variables is trainable/],
    ];
    for (const [label, prepare, loss, error] of cases) {
      const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
      prepare(m);
      const fitOpt = withClipping(tf.train.adam(0.1), { clipnorm: 1 });
      m.compile({ optimizer: fitOpt, loss });
      const w0 = await Promise.all(m.getWeights().map(bits));
      await assert.rejects(m.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 }), error, label);
      assert.deepEqual(await Promise.all(m.getWeights().map(bits)), w0, label);
      assert.equal(fitOpt.iterations, 0, label);
      m.dispose();
      fitOpt.dispose();
    }
    tf.dispose([x, y]);
    opt.dispose();
    a.dispose();
  });
});
