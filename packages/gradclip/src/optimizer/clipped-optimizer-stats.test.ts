/** The wrapper's statistics: non-finite count, opt-in per-variable norms, update ratios, kept gradients. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { withClipping } from './clipped-optimizer.js';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describeBackends('ClippedOptimizer statistics', (backend) => {
  it('counts non-finite gradient entries and, when asked, per-variable norms and update ratios', async () => {
    const a = tf.variable(tf.tensor1d([3, 4]), true, `stats_a_${backend}`);
    const b = tf.variable(tf.tensor1d([1]), true, `stats_b_${backend}`);
    const opt = withClipping(tf.train.sgd(0.5), { globalClipnorm: 100 });
    const base = opt.enableStats(); // the base statistics, recorded only on request
    const ga = tf.tensor1d([6, 8]);
    const gb = tf.tensor1d([2]);
    opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    a.assign(tf.tensor1d([3, 4]));
    b.assign(tf.tensor1d([1]));
    await expectNoLeak(() => opt.applyGradients({ [a.name]: ga, [b.name]: gb }), 'a step without optional stats');
    let s = (await opt.readLastStats())!;
    assert.equal(s.nonFiniteCount, 0);
    assert.equal(s.variables, undefined);
    close(s.globalNorm, Math.sqrt(104));
    const release = opt.enableStats({ perVariable: true, updateRatios: true });
    opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    s = (await opt.readLastStats())!;
    // weights before this step: a = [0, 0], b = [0] (after the first step: 3 - 0.5*6 = 0, 4 - 0.5*8 = 0, 1 - 0.5*2 = 0)
    assert.deepEqual(s.variables!.map((v) => v.name), [`stats_a_${backend}`, `stats_b_${backend}`]);
    close(s.variables![0].gradNorm, 10);
    close(s.variables![1].gradNorm, 2);
    assert.equal(s.variables![0].weightNorm, 0);
    release();
    release();
    assert.deepEqual(opt.statsEnabled, { perVariable: false, updateRatios: false, keepGradients: false });
    a.assign(tf.tensor1d([3, 4]));
    const r2 = opt.enableStats({ updateRatios: true });
    opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    s = (await opt.readLastStats())!;
    close(s.variables![0].updateRatio, 5 / 5, 1e-5); // ‖0.5*[6,8]‖ / ‖[3,4]‖ = 5/5
    assert.ok(Number.isNaN(s.variables![0].weightNorm), 'weight norms only with perVariable');
    r2();
    const bad = tf.tensor1d([NaN, Infinity]);
    opt.applyGradients({ [a.name]: bad, [b.name]: gb });
    s = (await opt.readLastStats())!;
    assert.equal(s.nonFiniteCount, 2);
    base();
    assert.equal(opt.lastStats, null, 'the last request withdrawn: the statistics are disposed');
    tf.dispose([a, b, ga, gb, bad]);
    opt.dispose();
  });

  it('keeps the last gradients only while asked, and disposes them', async () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, `kept_v_${backend}`);
    const opt = withClipping(tf.train.adam(0.1), { clipnorm: 0.1 });
    const f = () => tf.sum(tf.square(v)) as tf.Scalar;
    opt.minimize(f);
    const base = tf.memory().numTensors;
    const release = opt.enableStats({ keepGradients: true });
    opt.minimize(f);
    opt.minimize(f);
    const kept = opt.lastGradients!;
    assert.equal(kept.length, 1);
    assert.equal(kept[0].name, `kept_v_${backend}`);
    assert.equal(tf.memory().numTensors, base + 2, 'one kept gradient tensor and the packed statistics of the last step');
    const g = await kept[0].tensor.data();
    assert.ok(Math.hypot(g[0], g[1]) > 0.1, 'kept before clipping');
    release();
    assert.equal(opt.lastGradients, null);
    assert.equal(tf.memory().numTensors, base);
    assert.throws(() => opt.enableStats({ histograms: true } as never), /Unknown stats option `histograms`/);
    v.dispose();
    opt.dispose();
  });
});
