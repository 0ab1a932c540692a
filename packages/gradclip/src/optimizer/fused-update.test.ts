import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { readWeights, tinyRegressionData, tinyRegressionModel } from '../../test/helpers/tiny-regression.js';
import { withClipping } from './clipped-optimizer.js';
import type { ClippingOptions } from './clipping-options.js';
import type { NamedTensor } from '../core/grad-forms.js';
import { fusedUpdates, setFusedUpdateEnabled } from './fused-update.js';
import { registerWasmTrainingFixes } from '../kernels/index.js';

// The reference is always tfjs's own applyGradients (the fused update switched off, or the bare
// optimizer): never the fused update's own output.

const OPTIMIZERS: Record<string, () => tf.Optimizer> = {
  sgd: () => tf.train.sgd(0.05),
  momentum: () => tf.train.momentum(0.01, 0.9),
  nesterov: () => tf.train.momentum(0.01, 0.9, true),
  adam: () => tf.train.adam(0.01),
  'adam(custom betas, eps)': () => tf.train.adam(0.003, 0.8, 0.95, 1e-4),
  rmsprop: () => tf.train.rmsprop(0.01),
  'rmsprop(momentum, centered)': () => tf.train.rmsprop(0.005, 0.8, 0.9, 1e-6, true),
  adagrad: () => tf.train.adagrad(0.1),
  'adagrad(initial accumulator 0)': () => tf.train.adagrad(0.05, 0),
  adadelta: () => tf.train.adadelta(0.5, 0.9),
  'adadelta(eps)': () => tf.train.adadelta(1, 0.8, 1e-4),
  adamax: () => tf.train.adamax(0.01),
  'adamax(betas, eps, decay)': () => tf.train.adamax(0.02, 0.8, 0.95, 1e-5, 0.01),
};

const SHAPES: number[][] = [[7, 5], [5], [3, 3, 4], [1], [33]];

/**
 * Every state variable of a tfjs optimizer, read from its fields (slot lists `[{ variable }]` and
 * scalar variables such as `accBeta1`, `iteration`), in field order: independent of `getWeights`,
 * which tfjs's Adamax does not implement.
 */
function optimizerState(opt: tf.Optimizer, slotsOnly = false): tf.Variable[] {
  const out: tf.Variable[] = [];
  for (const value of Object.values(opt as unknown as Record<string, unknown>)) {
    if (value instanceof tf.Variable) {
      if (!slotsOnly) out.push(value);
    }
    else if (Array.isArray(value)) {
      for (const e of value) if (e != null && (e as { variable?: unknown }).variable instanceof tf.Variable) out.push((e as { variable: tf.Variable }).variable);
    }
  }
  return out;
}

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

function makeVars(tag: string): tf.Variable[] {
  return SHAPES.map((s, i) => {
    const init = tf.randomNormal(s, 0, 1, 'float32', 100 + i);
    const v = tf.variable(init, true, `fused_${tag}_${i}_${Math.random().toString(36).slice(2)}`);
    init.dispose();
    return v;
  });
}

/** Seeded gradients for step `k` (the same for every run), scaled so that clipping fires sometimes. */
function gradsFor(vars: tf.Variable[], k: number, nanAt = -1): NamedTensor[] {
  return vars.map((v, i) => {
    let g = tf.randomNormal(v.shape, 0, 1 + (k % 3), 'float32', 1 + 1000 * k + i) // seed 0 would mean "unseeded";
    if (k === nanAt && i === 1) {
      // NaN at indices 0 and 4 of the [5] variable: a SIMD lane and the scalar tail
      const idx = tf.range(0, v.size, 1, 'int32').reshape(v.shape);
      const bad = tf.where(tf.equal(tf.mod(idx, 4), 0), tf.fill(v.shape, NaN), g);
      idx.dispose();
      g.dispose();
      g = bad;
    }
    return { name: v.name, tensor: g };
  });
}

interface Run {
  weights: number[][];
  slots: number[][];
  iterations: number;
  fused: number;
}

/**
 * `steps` custom-loop steps of `withClipping(make(), clip)` (or the bare optimizer) on fresh
 * variables. The learning rate changes at step 5. `scramble`: after the first step, every slot gets
 * seeded random values in [0.01, 2) (as a restored state would), so that accumulators that start
 * out equal (Adadelta's two) differ.
 */
async function run(make: () => tf.Optimizer, clip: ClippingOptions | null, fused: boolean, steps = 12, nanAt = -1, scramble = false): Promise<Run> {
  const before = setFusedUpdateEnabled(fused);
  try {
    const vars = makeVars(fused ? 'on' : 'off');
    const inner = make();
    const opt = clip == null ? inner : withClipping(inner, clip);
    const f0 = fusedUpdates.steps;
    for (let k = 0; k < steps; ++k) {
      const g = gradsFor(vars, k, nanAt);
      if (k === 5 && 'setLearningRate' in inner) (inner as tf.SGDOptimizer).setLearningRate(0.02);
      else if (k === 5) (inner as unknown as { learningRate: number }).learningRate *= 0.5;
      opt.applyGradients(g);
      tf.dispose(g.map((n) => n.tensor));
      if (k === 0 && scramble) {
        optimizerState(inner, true).forEach((slot, j) => {
          const r = tf.randomUniform(slot.shape, 0.01, 2, 'float32', 500 + j);
          slot.assign(r);
          r.dispose(); // the slot holds its data alone again
        });
      }
    }
    const out: Run = {
      weights: vars.map(bits),
      slots: optimizerState(inner).map(bits),
      iterations: opt.iterations,
      fused: fusedUpdates.steps - f0,
    };
    tf.dispose(vars);
    opt.dispose();
    return out;
  } finally {
    setFusedUpdateEnabled(before);
  }
}

after(() => setFusedUpdateEnabled(true));

describeBackends('fused optimizer update', (backend) => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    it(`${name}: weights, slots and iterations bit-identical to tfjs's applyGradients, with and without clipping`, async () => {
      const bare = await run(make, null, true);
      assert.equal(bare.fused, 0, 'a bare tfjs optimizer never takes the fused update');
      for (const clip of [{}, { globalClipnorm: 2 }, { clipnorm: 1.5 }, { clipvalue: 0.7 }] as ClippingOptions[]) {
        const off = await run(make, clip, false);
        const on = await run(make, clip, true);
        assert.equal(off.fused, 0);
        // Optimizers with slots make them through tfjs on the first step; SGD has none.
        assert.equal(on.fused, name === 'sgd' ? 12 : 11, `fused steps (${JSON.stringify(clip)})`);
        assert.deepEqual(on.weights, off.weights, `weights (${JSON.stringify(clip)})`);
        assert.deepEqual(on.slots, off.slots, `optimizer weights (${JSON.stringify(clip)})`);
        assert.equal(on.iterations, off.iterations);
        if (Object.keys(clip).length === 0) assert.deepEqual(on.weights, bare.weights, 'no clipping = the bare optimizer');
      }
      // Restored-looking state: random, unequal slots (Adadelta's accumulators are otherwise equal
      // forever, which makes its update ratio exactly 1).
      const off = await run(make, { clipnorm: 1.5 }, false, 12, -1, true);
      const on = await run(make, { clipnorm: 1.5 }, true, 12, -1, true);
      assert.equal(on.fused, name === 'sgd' ? 12 : 11);
      assert.deepEqual(on.weights, off.weights, 'weights (random slots)');
      assert.deepEqual(on.slots, off.slots, 'optimizer weights (random slots)');
    });
  }

  it('a NaN gradient with nonFinite "propagate" gives the same NaN and finite entries as tfjs', async () => {
    for (const name of ['sgd', 'momentum', 'adam', 'rmsprop(momentum, centered)', 'adagrad', 'adadelta', 'adamax']) {
      const off = await run(OPTIMIZERS[name], { nonFinite: 'propagate' }, false, 8, 4);
      const on = await run(OPTIMIZERS[name], { nonFinite: 'propagate' }, true, 8, 4);
      const nanish = (xs: number[][]): string[][] => xs.map((w) => w.map((b) => (Number.isNaN(new Float32Array(new Uint32Array([b]).buffer)[0]) ? 'NaN' : String(b))));
      assert.deepEqual(nanish(on.weights), nanish(off.weights), `${name}: weights`);
      assert.deepEqual(nanish(on.slots), nanish(off.slots), `${name}: optimizer state`);
      assert.ok(nanish(on.weights)[1].includes('NaN'), 'the NaN reached the weights');
    }
  });

  it('fit with in-place clipped gradients: the same weights as tfjs, and no tensor leak over 48 steps', async () => {
    for (const name of ['sgd', 'momentum', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax']) {
      const train = async (fused: boolean): Promise<number[][]> => {
        const before = setFusedUpdateEnabled(fused);
        try {
          const { x, y } = tinyRegressionData(48, 1.7);
          const m = tinyRegressionModel(undefined, [1, 2]);
          m.compile({ optimizer: withClipping(OPTIMIZERS[name](), { clipnorm: 0.5 }), loss: 'meanSquaredError' });
          await m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
          await expectNoLeak(async () => {
            await m.fit(x, y, { epochs: 8, batchSize: 8, shuffle: false, verbose: 0 });
          }, `fit ${name}`);
          const w = (await readWeights(m)).map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)));
          tf.dispose([x, y]);
          m.dispose();
          return w;
        } finally {
          setFusedUpdateEnabled(before);
        }
      };
      const f0 = fusedUpdates.steps;
      const on = await train(true);
      assert.ok(fusedUpdates.steps - f0 >= 59, 'the fused update ran in fit');
      assert.deepEqual(on, await train(false), name);
    }
  });

  it('a conv net (Momentum) and a SimpleRNN (SGD) in fit: the next forward pass sees the update (same weights as tfjs)', async () => {
    // tfjs-wasm caches packed copies of matmul / conv weights by tensor id: an in-place update
    // that kept the id would train on stale weights from the second step on.
    if (backend === 'wasm') registerWasmTrainingFixes();
    const nets: [string, () => tf.Sequential, () => tf.Optimizer, tf.Tensor, tf.Tensor][] = [
      [
        'conv',
        () =>
          tf.sequential({
            layers: [
              tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
              tf.layers.maxPooling2d({ poolSize: 2 }),
              tf.layers.flatten(),
              tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
            ],
          }),
        () => tf.train.momentum(0.05, 0.9),
        tf.randomNormal([16, 8, 8, 3], 0, 1, 'float32', 5),
        tf.randomNormal([16, 3], 0, 1, 'float32', 6),
      ],
      [
        'rnn',
        () =>
          tf.sequential({
            layers: [
              tf.layers.simpleRNN({ inputShape: [5, 2], units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
              tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }),
            ],
          }),
        () => tf.train.sgd(0.1),
        tf.randomNormal([16, 5, 2], 0, 1, 'float32', 10),
        tf.randomNormal([16, 1], 0, 1, 'float32', 11),
      ],
    ];
    for (const [label, build, make, x, y] of nets) {
      const weights: number[][][] = [];
      for (const fused of [true, false]) {
        const before = setFusedUpdateEnabled(fused);
        const m = build();
        m.compile({ optimizer: withClipping(make(), { globalClipnorm: 1 }), loss: 'meanSquaredError' });
        const f0 = fusedUpdates.steps;
        await m.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
        assert.equal(fusedUpdates.steps - f0, fused ? (label === 'rnn' ? 12 : 11) : 0, `${label}: fused steps`);
        weights.push(m.getWeights().map(bits));
        m.dispose();
        setFusedUpdateEnabled(before);
      }
      assert.deepEqual(weights[0], weights[1], label);
      tf.dispose([x, y]);
    }
  });

  it('edge values (±0, subnormals, ±1e38, ±Inf, NaN) through every fused optimizer: the same bits as tfjs (NaN as NaN)', async () => {
    const W = [0, -0, 1e-40, -1e-40, 1e38, -3e38, 1, -1, 2.5, 1e-30, 3e-39, 7, Infinity, -Infinity, NaN, 0.3, 1e20, -1e-20];
    const G = [-0, 0, 1e-40, 3e38, -3e38, 1e-45, 1e19, -1e-19, NaN, 2, -2, Infinity, 1, 0, 5, -1e-38, 1e30, 3];
    const canon = (t: tf.Tensor): (number | string)[] =>
      bits(t).map((b) => ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0 ? 'NaN' : b));
    const makers: Record<string, () => tf.Optimizer> = {
      ...OPTIMIZERS,
      'adam(eps 0)': () => tf.train.adam(0.1, 0.5, 0.25, 0),
      'adam(eps 1e-38)': () => tf.train.adam(1e-3, 0.9, 0.999, 1e-38),
    };
    for (const [name, make] of Object.entries(makers)) {
      const out: { w: (number | string)[]; slots: (number | string)[][]; fused: number }[] = [];
      for (const fused of [false, true]) {
        const before = setFusedUpdateEnabled(fused);
        try {
          const init = tf.tensor1d(W);
          const v = tf.variable(init, true, `fused_edge_${name}_${fused}_${Math.random().toString(36).slice(2)}`);
          init.dispose();
          const inner = make();
          const opt = withClipping(inner, { nonFinite: 'propagate' });
          const f0 = fusedUpdates.steps;
          for (let k = 0; k < 4; ++k) {
            const g = tf.tidy(() => tf.mul(tf.tensor1d(G), k + 1));
            opt.applyGradients({ [v.name]: g }); // the NamedTensorMap form
            g.dispose();
          }
          out.push({ w: canon(v), slots: optimizerState(inner).map(canon), fused: fusedUpdates.steps - f0 });
          v.dispose();
          opt.dispose();
        } finally {
          setFusedUpdateEnabled(before);
        }
      }
      assert.ok(out[1].fused >= 3, `${name}: fused`);
      assert.deepEqual(out[1].w, out[0].w, `${name}: weights`);
      assert.deepEqual(out[1].slots, out[0].slots, `${name}: optimizer weights`);
    }
  });

  it('a slot of another shape at the same position (the variable list changed) is not fused: tfjs decides', async () => {
    for (const make of [OPTIMIZERS.momentum, OPTIMIZERS.adam, OPTIMIZERS.rmsprop, OPTIMIZERS.adagrad, OPTIMIZERS.adadelta, OPTIMIZERS.adamax]) {
      const outcome: string[] = [];
      for (const fused of [false, true]) {
        const before = setFusedUpdateEnabled(fused);
        // (tidy: the initial values are disposed, so only the variables hold their data)
        const a = tf.tidy(() => tf.variable(tf.zeros([2, 3]), true, `fused_slot_a_${fused}_${Math.random().toString(36).slice(2)}`));
        const b = tf.tidy(() => tf.variable(tf.ones([3, 2]), true, `fused_slot_b_${fused}_${Math.random().toString(36).slice(2)}`));
        const opt = withClipping(make(), {});
        const ga = tf.fill([2, 3], 0.5);
        const gb = tf.fill([3, 2], 0.5);
        opt.applyGradients([{ name: a.name, tensor: ga }]); // slot 0 is made for a [2, 3]
        const f0 = fusedUpdates.steps;
        try {
          opt.applyGradients([{ name: b.name, tensor: gb }]); // slot 0 is a's: tfjs fails on the shapes or uses it
          outcome.push(`ok ${bits(b).join(',')}`);
        } catch (e) {
          outcome.push(`throws ${(e as Error).message}`);
        }
        assert.equal(fusedUpdates.steps - f0, 0, 'not fused');
        tf.dispose([a, b, ga, gb]);
        opt.dispose();
        setFusedUpdateEnabled(before);
      }
      assert.equal(outcome[1], outcome[0]);
    }
  });

  it('a hyper-parameter that is not a number (Adadelta without rho, Adamax without beta2): tfjs throws, every step', async () => {
    for (const make of [() => new tf.AdadeltaOptimizer(0.1, undefined as unknown as number), () => new tf.AdamaxOptimizer(0.1, 0.9, undefined as unknown as number)]) {
      const outcome: string[][] = [];
      for (const fused of [false, true]) {
        const before = setFusedUpdateEnabled(fused);
        const vars = makeVars('hyper');
        const opt = withClipping(make(), {});
        const f0 = fusedUpdates.steps;
        const seen: string[] = [];
        for (let k = 0; k < 3; ++k) {
          const g = gradsFor(vars, k);
          try {
            opt.applyGradients(g);
            seen.push('ok');
          } catch (e) {
            seen.push((e as Error).message.slice(0, 40));
          }
          tf.dispose(g.map((n) => n.tensor));
        }
        assert.equal(fusedUpdates.steps - f0, 0);
        outcome.push([...seen, vars.map(bits).join(';')]);
        tf.dispose(vars);
        opt.dispose();
        setFusedUpdateEnabled(before);
      }
      assert.deepEqual(outcome[1], outcome[0]);
      assert.notEqual(outcome[0][1], 'ok', 'tfjs throws');
    }
  });

  it('a patched prototype applyGradients runs (the fused update reproduces only the original)', async () => {
    const proto = tf.SGDOptimizer.prototype;
    const original = proto.applyGradients;
    let calls = 0;
    proto.applyGradients = function (this: tf.SGDOptimizer, g: tf.NamedTensorMap | NamedTensor[]) {
      calls += 1;
      original.call(this, g);
    };
    try {
      const vars = makeVars('proto');
      const opt = withClipping(tf.train.sgd(0.1), {});
      const f0 = fusedUpdates.steps;
      for (let k = 0; k < 3; ++k) {
        const g = gradsFor(vars, k);
        opt.applyGradients(g);
        tf.dispose(g.map((n) => n.tensor));
      }
      assert.equal(calls, 3);
      assert.equal(fusedUpdates.steps - f0, 0);
      tf.dispose(vars);
      opt.dispose();
    } finally {
      proto.applyGradients = original;
    }
  });

  it('inside tf.profile the kernels run (and are recorded) through tfjs', async () => {
    const vars = makeVars('profile');
    const opt = withClipping(tf.train.adam(0.01), {});
    const g0 = gradsFor(vars, 0);
    opt.applyGradients(g0); // slots
    const g = gradsFor(vars, 1);
    const f0 = fusedUpdates.steps;
    const info = await tf.profile(() => opt.applyGradients(g));
    assert.equal(fusedUpdates.steps - f0, 0);
    assert.ok(info.kernelNames.includes('Sqrt'), `tfjs's Adam kernels recorded: ${info.kernelNames.join(',')}`);
    tf.dispose([...g0.map((n) => n.tensor), ...g.map((n) => n.tensor), ...vars]);
    opt.dispose();
  });

  it('keeps the backend\'s data entries and bytes constant over 100 fused steps', async () => {
    const backendData = (): number => (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds();
    for (const name of ['momentum', 'adam', 'rmsprop(momentum, centered)', 'adamax']) {
      const vars = makeVars('data');
      const opt = withClipping(OPTIMIZERS[name](), { globalClipnorm: 1 });
      const step = (k: number): void => {
        const g = gradsFor(vars, k);
        opt.applyGradients(g);
        tf.dispose(g.map((n) => n.tensor));
      };
      step(0);
      step(1);
      const ids = backendData();
      const bytes = tf.memory().numBytes;
      const f0 = fusedUpdates.steps;
      for (let k = 2; k < 102; ++k) step(k);
      assert.equal(fusedUpdates.steps - f0, 100, name);
      assert.equal(backendData(), ids, `${name}: backend data entries`);
      assert.equal(tf.memory().numBytes, bytes, `${name}: bytes`);
      tf.dispose(vars);
      opt.dispose();
    }
  });

  it('leaves a tensor sharing a variable\'s data alone (falls back to tfjs for that step)', async () => {
    const vars = makeVars('clone');
    const opt = withClipping(tf.train.sgd(0.1), {});
    const clone = tf.reshape(vars[0], [-1]); // shares the variable's data until assign() moves it
    const before = bits(clone);
    const f0 = fusedUpdates.steps;
    const g = gradsFor(vars, 0);
    opt.applyGradients(g);
    assert.equal(fusedUpdates.steps - f0, 0, 'not fused while the data is shared');
    assert.deepEqual(bits(clone), before, 'the clone kept its values');
    assert.notDeepEqual(bits(vars[0]), before, 'the variable moved');
    clone.dispose();
    opt.applyGradients(g);
    assert.equal(fusedUpdates.steps - f0, 1, 'fused again once the clone is gone');
    tf.dispose([...g.map((n) => n.tensor), ...vars]);
    opt.dispose();
  });

  it('does not change an array the caller read with dataSync() before the step', async () => {
    const vars = makeVars('read');
    const opt = withClipping(tf.train.momentum(0.1, 0.9), {});
    for (let k = 0; k < 3; ++k) {
      const g = gradsFor(vars, k);
      const seen = vars.map((v) => v.dataSync() as Float32Array);
      const copies = seen.map((a) => a.slice());
      opt.applyGradients(g);
      seen.forEach((a, i) => assert.deepEqual(a, copies[i], `step ${k}, variable ${i}: the read array is untouched`));
      tf.dispose(g.map((n) => n.tensor));
    }
    tf.dispose(vars);
    opt.dispose();
  });

  it('subclasses and patched instances run their own applyGradients', async () => {
    class MyAdam extends tf.AdamOptimizer {}
    const patched = tf.train.sgd(0.1);
    let calls = 0;
    const own = patched.applyGradients.bind(patched);
    patched.applyGradients = (g) => {
      calls += 1;
      own(g);
    };
    for (const inner of [new MyAdam(0.01, 0.9, 0.999), patched]) {
      const vars = makeVars('other');
      const opt = withClipping(inner, { clipnorm: 1 });
      const f0 = fusedUpdates.steps;
      for (let k = 0; k < 3; ++k) {
        const g = gradsFor(vars, k);
        opt.applyGradients(g);
        tf.dispose(g.map((n) => n.tensor));
      }
      assert.equal(fusedUpdates.steps - f0, 0, inner.getClassName());
      tf.dispose(vars);
      opt.dispose();
    }
    assert.equal(calls, 3, 'the patched applyGradients ran');
  });

  it('skips a null gradient as tfjs does, and leaks no tensor over 50 custom-loop steps', async () => {
    for (const name of ['sgd', 'momentum', 'adam', 'rmsprop(momentum, centered)', 'adagrad', 'adadelta', 'adamax']) {
      const results: number[][][] = [];
      for (const fused of [true, false]) {
        const before = setFusedUpdateEnabled(fused);
        const vars = makeVars('null');
        const opt = withClipping(OPTIMIZERS[name](), { globalClipnorm: 1 });
        const step = (k: number): void => {
          const g = gradsFor(vars, k);
          const withHole = g.map((n, i) => (i === 2 && k > 0 ? { name: n.name, tensor: null as unknown as tf.Tensor } : n));
          opt.applyGradients(withHole);
          tf.dispose(g.map((n) => n.tensor));
        };
        step(0);
        await expectNoLeak(() => {
          for (let k = 1; k <= 50; ++k) step(k);
        }, `${name} fused=${fused}`);
        results.push(vars.map(bits));
        tf.dispose(vars);
        opt.dispose();
        setFusedUpdateEnabled(before);
      }
      assert.deepEqual(results[0], results[1], name);
    }
    void backend;
  });
});
