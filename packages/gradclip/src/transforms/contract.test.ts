/**
 * The transform contract, checked for every transform on every backend: no tensor leaks over
 * 200 steps, state round trip through JSON, purity (state not mutated, inputs not disposed,
 * same inputs → same outputs), forms and holes kept, and construction errors.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { ValueError } from '../errors.js';
import * as T from './index.js';

interface Case {
  name: string;
  make: () => T.GradientTransformation<any>;
}

const CASES: Case[] = [
  { name: 'clipByValue', make: () => T.clipByValue(0.5) },
  { name: 'clipByGlobalNorm', make: () => T.clipByGlobalNorm(1) },
  { name: 'clipByBlockRms', make: () => T.clipByBlockRms(0.5) },
  { name: 'adaptiveGradClip', make: () => T.adaptiveGradClip(0.05, { exclude: (n) => n === 'b' }) },
  { name: 'autoClip', make: () => T.autoClip({ percentile: 10, historySize: 50 }) },
  { name: 'zClip', make: () => T.zClip({ warmupSteps: 10 }) },
  { name: 'zeroNans', make: () => T.zeroNans() },
  { name: 'applyIfFinite', make: () => T.applyIfFinite(T.chain(T.zClip({ warmupSteps: 5 }), T.clipByGlobalNorm(1)), { maxConsecutiveErrors: 2 }) },
  { name: 'skipOnSpike', make: () => T.skipOnSpike({ window: 16 }) },
  { name: 'chain', make: () => T.chain(T.zeroNans(), T.skipOnSpike({ window: 16 }), T.adaptiveGradClip(0.1), T.autoClip()) },
  { name: 'chain()', make: () => T.chain() },
];

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Step `k`'s gradients, params and loss: a NamedTensorMap with a spike every 50 steps and a NaN every 37. */
function stepData(k: number): { grads: tf.NamedTensorMap; params: tf.NamedTensorMap; loss: number } {
  const r = rng(k + 1);
  const scale = k % 50 === 49 ? 100 : 1;
  const w = Array.from({ length: 12 }, () => (r() - 0.5) * scale);
  if (k % 37 === 36) w[3] = NaN;
  const b = Array.from({ length: 3 }, () => (r() - 0.5) * scale);
  return {
    grads: { w: tf.tensor(w, [4, 3]), b: tf.tensor(b) },
    params: { w: tf.tensor(Array.from({ length: 12 }, () => r() - 0.5), [4, 3]), b: tf.tensor([0.1, -0.2, 0.3]) },
    loss: 1 + r() * 0.1 + (k % 50 === 49 ? 10 : 0),
  };
}

function deepFreeze<T>(x: T): T {
  if (x != null && typeof x === 'object') {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}

async function values(g: tf.NamedTensorMap): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(g)) out[k] = Array.from(await t.data());
  return out;
}

describeBackends('transform contract', () => {
  for (const c of CASES) {
    it(`${c.name}: no tensor leak over 200 steps, inputs never disposed`, () => {
      const t = c.make();
      const initParams = { w: tf.zeros([4, 3]), b: tf.zeros([3]) };
      const before = tf.memory().numTensors;
      let state = t.init(initParams);
      assert.equal(tf.memory().numTensors, before, 'init allocates no tensors that stay');
      tf.dispose(initParams);
      const start = tf.memory().numTensors;
      let skips = 0;
      for (let k = 0; k < 200; k++) {
        const { grads, params, loss } = stepData(k);
        const lossT = k % 2 === 0 ? loss : tf.scalar(loss);
        const r = t.update(grads, deepFreeze(state), params, { loss: lossT });
        for (const x of [...Object.values(grads), ...Object.values(params)]) assert.equal(x.isDisposed, false);
        for (const [name, x] of Object.entries(r.grads)) {
          assert.ok(x !== grads[name], 'returned tensors are new');
          assert.deepEqual(x.shape, grads[name].shape);
        }
        if (r.skip) skips++;
        tf.dispose([...Object.values(grads), ...Object.values(params), ...Object.values(r.grads)]);
        if (typeof lossT !== 'number') lossT.dispose();
        state = r.state;
        if (k === 0) assert.equal(tf.memory().numTensors, start, 'after step 1');
      }
      assert.equal(tf.memory().numTensors, start, `numTensors ${start} -> ${tf.memory().numTensors}`);
      if (c.name === 'skipOnSpike') assert.ok(skips >= 2, `spikes skipped: ${skips}`);
    });

    it(`${c.name}: state survives serializeState -> JSON -> deserializeState (same next update)`, async () => {
      const t = c.make();
      let state = t.init({ w: tf.zeros([4, 3]), b: tf.zeros([3]) });
      tf.engine().startScope();
      for (let k = 0; k < 40; k++) {
        const { grads, params, loss } = stepData(k);
        const r = t.update(grads, state, params, { loss });
        tf.dispose([...Object.values(grads), ...Object.values(params), ...Object.values(r.grads)]);
        state = r.state;
      }
      const json = T.serializeState(state);
      assert.doesNotThrow(() => JSON.parse(json));
      const restored = T.deserializeState(json);
      assert.deepEqual(restored, state);
      const { grads, params, loss } = stepData(40);
      const a = t.update(grads, state, params, { loss });
      const b = t.update(grads, restored, params, { loss });
      assert.deepEqual(await values(b.grads), await values(a.grads));
      assert.deepEqual(b.state, a.state);
      assert.equal(b.skip, a.skip);
      tf.engine().endScope();
    });
  }

  it('keeps the array form with holes, NamedTensor[] and a single tensor', async () => {
    const t = T.chain(T.zeroNans(), T.clipByGlobalNorm(1), T.adaptiveGradClip(10));
    const g = [tf.tensor([3, NaN]), null, tf.tensor([[4]]), undefined];
    const p = [tf.ones([2]), null, tf.ones([1, 1]), undefined];
    const r = t.update(g, t.init(p), p);
    assert.equal(r.grads.length, 4);
    assert.equal(r.grads[1], null);
    assert.equal(r.grads[3], undefined);
    assert.deepEqual(Array.from(await r.grads[0]!.data()).map((x) => +x.toFixed(6)), [0.6, 0]);
    assert.deepEqual(r.state[0], { foundNan: [true, null, false, null] });
    const named = [{ name: 'a', tensor: tf.tensor([3, 4]) }];
    const rn = t.update(named, t.init(), [{ name: 'a', tensor: tf.ones([2]) }]);
    assert.equal(rn.grads[0].name, 'a');
    const single = T.clipByValue(1).update(tf.tensor([5, -5]), {});
    assert.deepEqual(Array.from(await single.grads.data()), [1, -1]);
    tf.dispose([...g, ...p, ...r.grads, rn.grads[0].tensor, named[0].tensor, single.grads].filter((x): x is tf.Tensor => x != null));
  });

  it('matches params to grads by name when both are named', async () => {
    const agc = T.adaptiveGradClip(0.5);
    const grads = { k: tf.tensor([[2, 0]]), b: tf.tensor([1]) };
    const params = { b: tf.tensor([100]), k: tf.tensor([[1, 0]]) };
    const r = agc.update(grads, {}, params);
    // k: whole-tensor unit ([1, 2] squeezes to rank 1): max = 0.5·1 → [[0.5, 0]]; b: 1 < 50 → unchanged.
    assert.deepEqual(Array.from(await r.grads.k.data()), [0.5, 0]);
    assert.deepEqual(Array.from(await r.grads.b.data()), [1]);
    assert.throws(() => agc.update(grads, {}, { k: tf.tensor([[1, 0]]) }), /`params` must have an entry for every gradient.*Received: params without "b"/);
    assert.throws(() => agc.update([tf.ones([2])], {}, [tf.ones([2]), tf.ones([2])]), /`params` must have one entry per gradient.*params.length=2, grads.length=1/);
    assert.throws(() => agc.update([tf.ones([2])], {}, [tf.ones([3])]), /`params` must have the shape of each gradient.*shape=\[3\]/);
    assert.throws(() => agc.update([tf.ones([2])], {}), (e: Error) => e instanceof ValueError && e.message.includes(T.NO_PARAMS_MSG));
  });

  it('chain stops at a skip: later transforms are not called and keep their state', async () => {
    const never: T.GradientTransformation<number> = {
      init: () => 0,
      update: () => {
        throw new Error('must not be called');
      },
    };
    const t = T.chain(T.applyIfFinite(T.chain(), { maxConsecutiveErrors: 5 }), never);
    const s0 = t.init();
    const before = tf.memory().numTensors;
    const g = [tf.tensor([NaN, 1])];
    const r = t.update(g, s0);
    assert.equal(r.skip, true);
    assert.deepEqual(Array.from(await r.grads[0]!.data()), [0, 0]);
    assert.equal(r.state[1], 0);
    tf.dispose([...g, ...(r.grads as tf.Tensor[])]);
    assert.equal(tf.memory().numTensors, before, 'intermediates disposed');
    // An error inside the chain disposes the intermediates too.
    const t2 = T.chain(T.clipByValue(1), never);
    const g2 = [tf.ones([3])];
    const n2 = tf.memory().numTensors;
    assert.throws(() => t2.update(g2, t2.init()), /must not be called/);
    assert.equal(tf.memory().numTensors, n2);
    g2[0].dispose();
  });

  it('chain() is the identity and validates its arguments and state', async () => {
    const id = T.chain();
    assert.deepEqual(id.init(), []);
    const g = { a: tf.tensor([1, NaN, Infinity]) };
    const r = id.update(g, []);
    assert.notEqual(r.grads.a, g.a);
    assert.deepEqual(Array.from(await r.grads.a.data()), [1, NaN, Infinity]);
    assert.throws(() => T.chain(T.clipByValue(1), 3 as any), /`transforms\[1\]` must be a GradientTransformation \{ init, update \}\. Received: transforms\[1\]=3/);
    assert.throws(() => T.chain(T.clipByValue(1)).update(g, [] as any), /`state` must be an array of 1 states/);
    tf.dispose([g.a, r.grads.a]);
  });

  it('NaN/Inf policies of the optax clips (optax, not TF)', async () => {
    const read = async (t: T.GradientTransformation<any>, xs: number[][]) => {
      const g = xs.map((x) => tf.tensor(x));
      const r = t.update(g, t.init(), g);
      const out = await Promise.all((r.grads as tf.Tensor[]).map(async (x) => Array.from(await x.data())));
      tf.dispose([...g, ...(r.grads as tf.Tensor[])]);
      return out;
    };
    // Global norm inf: finite entries ±0, inf entries NaN (optax = PyTorch); NaN norm: all NaN.
    assert.deepEqual(await read(T.clipByGlobalNorm(1), [[Infinity, 2], [-3]]), [[NaN, 0], [-0]]);
    assert.deepEqual(await read(T.clipByGlobalNorm(1), [[NaN, 2], [3]]), [[NaN, NaN], [NaN]]);
    // Float32 overflow of Σx² (finite entries): 0, not NaN as in TF.
    assert.deepEqual(await read(T.clipByGlobalNorm(1), [[3e20, -4e20]]), [[0, -0]]);
    // clip: NaN kept, ±inf clamp.
    assert.deepEqual(await read(T.clipByValue(2), [[NaN, Infinity, -Infinity, 1]]), [[NaN, 2, -2, 1]]);
    // block rms: a NaN poisons its own tensor only.
    assert.deepEqual(await read(T.clipByBlockRms(1), [[NaN, 1], [0.5]]), [[NaN, NaN], [0.5]]);
    // zeroNans keeps inf.
    assert.deepEqual(await read(T.zeroNans(), [[NaN, Infinity, -1]]), [[0, Infinity, -1]]);
  });

  it('errors at construction name the argument, the rule and the value', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => T.clipByValue(-1), /`maxDelta` must be a number >= 0 \(Infinity allowed\)\. Received: maxDelta=-1/],
      [() => T.clipByValue(NaN), /`maxDelta` must be a number >= 0.*Received: maxDelta=NaN/],
      [() => T.clipByGlobalNorm('1' as any), /`maxNorm` must be a number >= 0.*Received: maxNorm="1"/],
      [() => T.clipByBlockRms(-0.5), /`threshold` must be .*Received: threshold=-0\.5/],
      [() => T.adaptiveGradClip(-1), /`clipping` must be .*Received: clipping=-1/],
      [() => T.adaptiveGradClip(0.1, { eps: -1 }), /`eps` must be .*Received: eps=-1/],
      [() => T.adaptiveGradClip(0.1, { axis: 0.5 }), /`axis` must be an integer or an array of integers\. Received: axis=0\.5/],
      [() => T.adaptiveGradClip(0.1, { exclude: 'head' as any }), /`exclude` must be a function.*Received: exclude="head"/],
      [() => T.adaptiveGradClip(0.1, { exlude: () => true } as any), /`options\.exlude` must be one of the options of adaptiveGradClip/],
      [() => T.autoClip({ percentile: 101 }), /`percentile` must be a number in \[0, 100\]\. Received: percentile=101/],
      [() => T.autoClip({ historySize: 0 }), /`historySize` must be an integer >= 1 or Infinity\. Received: historySize=0/],
      [() => T.zClip({ alpha: 1.5 }), /`alpha` must be a number in \[0, 1\]\. Received: alpha=1\.5/],
      [() => T.zClip({ zThresh: 0 }), /`zThresh` must be a finite number > 0\. Received: zThresh=0/],
      [() => T.zClip({ maxGradNorm: -1 }), /`maxGradNorm` must be null or a finite number > 0\. Received: maxGradNorm=-1/],
      [() => T.zClip({ warmupSteps: 2.5 }), /`warmupSteps` must be an integer >= 0\. Received: warmupSteps=2\.5/],
      [() => T.zClip({ mode: 'zScore' as any }), /`mode` must be one of 'zscore', 'percentile'\. Received: mode="zScore"/],
      [() => T.zClip({ clipOption: 'median' as any }), /`clipOption` must be one of 'adaptiveScaling', 'adaptive_scaling', 'mean'\. Received: clipOption="median"/],
      [() => T.zClip({ clipFactor: 0 }), /`clipFactor` must be a finite number > 0\. Received: clipFactor=0/],
      [() => T.zClip({ skipUpdateOnSpike: 1 as any }), /`skipUpdateOnSpike` must be a boolean\. Received: skipUpdateOnSpike=1/],
      [() => T.applyIfFinite({} as any, { maxConsecutiveErrors: 1 }), /`inner` must be a GradientTransformation/],
      [() => T.applyIfFinite(T.chain(), { maxConsecutiveErrors: -1 }), /`maxConsecutiveErrors` must be an integer >= 0 or Infinity\. Received: maxConsecutiveErrors=-1/],
      [() => T.applyIfFinite(T.chain(), undefined as any), /`options` must be an object \{ maxConsecutiveErrors \}\. Received: options=undefined/],
      [() => T.skipOnSpike({ window: 0 }), /`window` must be an integer >= 1\. Received: window=0/],
      [() => T.skipOnSpike({ sigma: -6 }), /`sigma` must be a finite number > 0\. Received: sigma=-6/],
      [() => T.skipOnSpike({ window: 8, warmup: 20 }), /`warmup` must be an integer in \[2, window \+ 1\] = \[2, 9\]\. Received: warmup=20/],
      [() => T.perExampleGlobalNormClip([tf.ones([2, 1]), tf.ones([3, 1])], 1), /batch dimension on axis 0.*Received: shapes=\[\[2,1\],\[3,1\]\]/],
      [() => T.serializeState({ t: tf.scalar(1) }), /`state` must be plain data.*Received: state\.t=Tensor\(shape=\[\]\)/],
    ];
    for (const [f, re] of cases) assert.throws(f, (e: Error) => e instanceof ValueError && re.test(e.message), String(re));
  });

  it('skipOnSpike requires the loss at update', () => {
    const t = T.skipOnSpike();
    const g = [tf.ones([2])];
    assert.throws(() => t.update(g, t.init()), /`extra\.loss` must be the step's loss .*Received: extra\.loss=undefined/);
    g[0].dispose();
  });
});
