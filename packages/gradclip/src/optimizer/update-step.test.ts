/** The update stage: weight decay factor, fused or inner update, update ratios. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { ValueError } from '../errors.js';
import { flattenGrads } from '../core/grad-forms.js';
import { fusedUpdates, setFusedUpdateEnabled } from './fused-update.js';
import { applyUpdate, decayWeights, snapshotWeights, updateRatios, weightDecayFactor } from './update-step.js';

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer));
const lookup = (n: string) => (tf.engine().registeredVariables[n] as tf.Variable | undefined) ?? null;

describeBackends('update step', (backend) => {
  it('weightDecayFactor: 1 − lr·wd in float32, 1 without decay; an unusable learning rate is named', () => {
    assert.equal(weightDecayFactor(0.1, 0.01), Math.fround(1 - 0.01 * 0.1));
    assert.equal(weightDecayFactor(0, undefined), 1);
    assert.throws(
      () => weightDecayFactor(0.1, NaN),
      (e: Error) => e instanceof ValueError && /finite learning rate.*weightDecay=0\.1, learningRate=NaN/.test(e.message),
    );
  });

  it('applyUpdate: fused for named gradients, the inner applyGradients otherwise, the same bits either way, with decay', () => {
    const run = (fused: boolean, form: 'map' | 'list') => {
      const before = setFusedUpdateEnabled(fused);
      try {
        const v = tf.variable(tf.tensor1d([1, -2, 3]), true, `update_${backend}_${fused}_${form}_${Math.random()}`);
        const opt = tf.train.adam(0.1);
        const out: number[][] = [];
        const n0 = fusedUpdates.steps;
        for (let i = 0; i < 3; i++) {
          const g = tf.tensor1d([0.5, -1, 0.25 * i]);
          const flat = form === 'map' ? flattenGrads({ [v.name]: g }) : flattenGrads([{ name: v.name, tensor: g }]);
          applyUpdate(opt, flat, flat.list, Math.fround(0.99), lookup);
          out.push(bits(v));
          g.dispose();
        }
        const steps = fusedUpdates.steps - n0;
        opt.dispose();
        v.dispose();
        return { out, steps };
      } finally {
        setFusedUpdateEnabled(before);
      }
    };
    const fused = run(true, 'map');
    assert.ok(fused.steps > 0, 'the fused update ran');
    const inner = run(false, 'map');
    assert.equal(inner.steps, 0);
    assert.deepEqual(fused.out, inner.out);
    assert.deepEqual(run(true, 'list').out, inner.out, 'NamedTensor[] form');
  });

  it('decayWeights multiplies float32 variables that have a gradient, once', () => {
    const a = tf.variable(tf.tensor1d([2, 4]), true, `decay_a_${backend}`);
    const b = tf.variable(tf.tensor1d([2, 4]), true, `decay_b_${backend}`);
    decayWeights([a.name, b.name, 'unknown'], [tf.scalar(0), null, tf.scalar(0)], 0.5, lookup);
    assert.deepEqual(Array.from(a.dataSync()), [1, 2]);
    assert.deepEqual(Array.from(b.dataSync()), [2, 4], 'no gradient: not decayed');
    tf.dispose([a, b]);
  });

  it('updateRatios: ‖Δw‖ / ‖w‖ per variable, NaN where unknown, zeros for a skipped step', async () => {
    const v = tf.variable(tf.tensor1d([3, 4]));
    const before = snapshotWeights([v, null]);
    assert.equal(before[1], null);
    v.assign(tf.tensor1d([3, 4.5]));
    const wn = tf.tensor1d([5, 1]);
    const r = updateRatios([v, null], before, wn);
    const got = Array.from(await r.data());
    assert.ok(Math.abs(got[0] - 0.1) < 1e-7, `${got[0]}`);
    assert.ok(Number.isNaN(got[1]));
    const skipped = updateRatios([v, null], null, wn);
    assert.deepEqual(Array.from(await skipped.data()), [0, 0]);
    await expectNoLeak(() => tf.dispose(updateRatios([v, null], before, wn)), 'updateRatios');
    tf.dispose([v, wn, r, skipped, ...(before.filter((t) => t != null) as tf.Tensor[])]);
  });
});
