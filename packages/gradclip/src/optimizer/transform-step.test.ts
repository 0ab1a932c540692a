/** runTransform: the transform stage of the wrapper's step. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '@gradclip/testing/backends';
import { flattenGrads, type Grads, type NamedTensor } from '../core/grad-forms.js';
import type { GradientTransformation, UpdateExtra } from '../transforms/types.js';
import * as transforms from '../transforms/index.js';
import { runTransform } from './transform-step.js';

/** Doubles the gradients, counts its steps, asks to skip from the second one; records what it saw. */
function doubler(seen: { form?: unknown; params?: Grads | null; extra?: UpdateExtra }): GradientTransformation<{ n: number }> {
  return {
    init: () => ({ n: 0 }),
    update(grads, state, params, extra) {
      seen.form = Array.isArray(grads) ? 'array' : 'map';
      seen.params = params;
      seen.extra = extra;
      tf.scalar(42); // a temporary the stage's tidy must dispose
      const flat = flattenGrads(grads);
      return { grads: flat.rebuild(flat.list.map((g) => (g == null ? g : tf.mul(g, 2)))), state: { n: state.n + 1 }, skip: state.n >= 1 };
    },
  };
}

describeBackends('runTransform', () => {
  it('hands the gradients over in their form with params and loss; returns the new gradients, state and skip', async () => {
    const seen: { form?: unknown; params?: Grads | null; extra?: UpdateExtra } = {};
    const t = doubler(seen);
    const a = tf.tensor1d([1, 2]);
    const flat = flattenGrads([{ name: 'a', tensor: a }, { name: 'b', tensor: null as unknown as tf.Tensor }]);
    const params: NamedTensor[] = [{ name: 'a', tensor: tf.tensor1d([5, 5]) }];
    const loss = tf.scalar(0.5);
    const n0 = tf.memory().numTensors;
    const r = runTransform(t as GradientTransformation<unknown>, t.init(), flat, params, loss);
    assert.equal(tf.memory().numTensors, n0 + 1, 'only the returned gradient survives');
    assert.equal(seen.form, 'array');
    assert.equal(seen.params, params);
    assert.equal(seen.extra?.loss, loss);
    assert.deepEqual(Array.from(await r.grads[0]!.data()), [2, 4]);
    assert.equal(r.grads[1], null, 'holes kept');
    assert.deepEqual(r.own, [r.grads[0]]);
    assert.deepEqual(r.state, { n: 1 });
    assert.equal(r.skip, false);
    const r2 = runTransform(t as GradientTransformation<unknown>, r.state, flat, params, null);
    assert.equal(r2.skip, true);
    assert.equal(seen.extra, undefined, 'no extra without a loss');
    tf.dispose([a, params[0].tensor, loss, ...r.own, ...r2.own]);
  });

  it('a transform that throws leaves no tensor behind', () => {
    const bad: GradientTransformation<unknown> = {
      init: () => ({}),
      update() {
        tf.scalar(1);
        throw new Error('bad transform');
      },
    };
    const g = tf.scalar(1);
    const n0 = tf.memory().numTensors;
    assert.throws(() => runTransform(bad, {}, flattenGrads({ g }), [], null), /bad transform/);
    assert.equal(tf.memory().numTensors, n0);
    g.dispose();
  });

  it('runs a library transform: clipByGlobalNorm', async () => {
    const t = transforms.clipByGlobalNorm(1);
    const g = { w: tf.tensor1d([3, 4]) };
    const r = runTransform(t as GradientTransformation<unknown>, t.init(), flattenGrads(g), [], null);
    const out = await r.grads[0]!.data();
    assert.ok(Math.abs(out[0] - 0.6) < 1e-6 && Math.abs(out[1] - 0.8) < 1e-6, `${out}`);
    tf.dispose([g.w, ...r.own]);
  });
});
