/**
 * Statistics on demand: a wrapper that nobody observes keeps no tensor between steps (tensor for
 * tensor like the bare optimizer, and bit for bit), records from the step after `enableStats`, and
 * drops what it kept when the last request goes.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '@gradclip/testing/backends';
import * as transforms from '../transforms/index.js';
import type { ClippingOptions } from './clipping-options.js';
import { withClipping } from './clipped-optimizer.js';

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer));

const CASES: [string, ClippingOptions][] = [
  ['no option', {}],
  ['globalClipnorm (fires)', { globalClipnorm: 0.5 }],
  ['clipnorm (fires)', { clipnorm: 0.5 }],
  ['clipvalue (fires)', { clipvalue: 0.1 }],
  ["nonFinite: 'skip'", { nonFinite: 'skip' }],
  ["nonFinite: 'error'", { globalClipnorm: 0.5, nonFinite: 'error' }],
  ['a transform', { transform: transforms.clipByGlobalNorm(0.5) }],
  ['weightDecay', { clipnorm: 0.5, weightDecay: 0.1 }],
];

/**
 * Trains `x ↦ Σ(w·x − y)²` for 4 steps with `wrap(adam)` and returns numTensors after each step
 * (relative to the start) and after dispose, and the weights' bits.
 */
function train(wrap: (o: tf.Optimizer) => tf.Optimizer, observe: boolean): { counts: number[]; weights: number[][]; stats: (number | undefined)[] } {
  const w = tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25]]));
  const b = tf.variable(tf.tensor1d([0.1, -0.1]));
  const x = tf.tensor2d([[1, 2], [3, -1], [0.5, 0.5]]);
  const y = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
  const n0 = tf.memory().numTensors;
  const opt = wrap(tf.train.adam(0.05));
  const release = observe ? (opt as ReturnType<typeof withClipping>).enableStats() : null;
  const counts: number[] = [];
  const stats: (number | undefined)[] = [];
  for (let i = 0; i < 4; i++) {
    opt.minimize(() => tf.sum(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar, false, [w, b]);
    counts.push(tf.memory().numTensors - n0);
    stats.push((opt as Partial<ReturnType<typeof withClipping>>).lastStats?.step);
  }
  const weights = [bits(w), bits(b)];
  release?.();
  opt.dispose();
  counts.push(tf.memory().numTensors - n0);
  tf.dispose([w, b, x, y]);
  return { counts, weights, stats };
}

describeBackends('ClippedOptimizer statistics on demand', () => {
  for (const [label, options] of CASES) {
    it(`unobserved, it keeps no tensor between steps, tensor for tensor and bit for bit like the bare optimizer (${label})`, () => {
      const bare = train((o) => o, false);
      const unobserved = train((o) => withClipping(o, options), false);
      const observed = train((o) => withClipping(o, options), true);
      assert.deepEqual(unobserved.counts, bare.counts, 'numTensors after each step and after dispose');
      assert.deepEqual(unobserved.stats, [undefined, undefined, undefined, undefined], 'no statistics recorded');
      assert.deepEqual(observed.stats, [1, 2, 3, 4], 'observed: every step recorded');
      const kept = options.transform != null ? 2 : 1; // the packed vector (and the transform's Σx²)
      assert.deepEqual(
        observed.counts,
        bare.counts.map((n, i) => (i < 4 ? n + kept : n)),
        'observed: the statistics of the last step kept between steps, nothing after',
      );
      assert.deepEqual(unobserved.weights, observed.weights, 'the same weights with or without statistics');
      if (!('globalClipnorm' in options || 'clipnorm' in options || 'clipvalue' in options || 'transform' in options || 'weightDecay' in options)) {
        assert.deepEqual(unobserved.weights, bare.weights, 'nothing clips: the bare optimizer\'s weights');
      }
    });
  }

  it('records from the step after enableStats(); readLastStats is null otherwise; the last release disposes', async () => {
    const v = tf.variable(tf.tensor1d([3, 4]));
    const opt = withClipping(tf.train.sgd(0.1), { globalClipnorm: 1 });
    const step = () => opt.applyGradients({ [v.name]: tf.tensor1d([6, 8]) });
    step();
    assert.equal(opt.statsRecording, false);
    assert.equal(opt.lastStats, null);
    assert.equal(await opt.readLastStats(), null);
    const a = opt.enableStats();
    const b = opt.enableStats({ perVariable: true });
    assert.equal(opt.statsRecording, true);
    assert.equal(await opt.readLastStats(), null, 'nothing yet: recording starts with the next step');
    step();
    const s = (await opt.readLastStats())!;
    assert.deepEqual([s.globalNorm, s.clippedNorm, s.clipped, s.step], [10, 1, true, 2]);
    assert.equal(s.variables?.[0].gradNorm, 10);
    b();
    assert.equal((await opt.readLastStats())?.step, 2, 'kept while a request lasts');
    const n = tf.memory().numTensors;
    a();
    assert.equal(opt.lastStats, null);
    assert.ok(tf.memory().numTensors < n, 'the kept statistics disposed');
    step();
    assert.equal(opt.lastStats, null, 'nothing recorded after the last release');
    opt.dispose();
    v.dispose();
  });

  it('a step gate and the nonFinite policy read the norm in the step, and keep nothing', () => {
    const v = tf.variable(tf.tensor1d([3, 4]));
    const opt = withClipping(tf.train.sgd(0.1), { nonFinite: 'skip' });
    const norms: number[] = [];
    opt.addStepGate(({ globalNorm }) => void norms.push(globalNorm));
    const g = tf.tensor1d([6, 8]);
    opt.applyGradients({ [v.name]: g });
    const n = tf.memory().numTensors;
    opt.applyGradients({ [v.name]: g });
    const bad = tf.tensor1d([NaN, 1]);
    opt.applyGradients({ [v.name]: bad });
    assert.equal(tf.memory().numTensors, n + 1, 'only the caller\'s new gradient');
    assert.deepEqual(norms, [10, 10]);
    assert.equal(opt.skippedSteps, 1);
    assert.equal(opt.lastStats, null);
    tf.dispose([v, g, bad]);
    opt.dispose();
  });
});
