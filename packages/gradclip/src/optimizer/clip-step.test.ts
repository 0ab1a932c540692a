/** clipStep: the clip stage of the wrapper's step (no work when nothing clips and nothing measures). */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '@gradclip/testing/backends';
import { kerasClipGradientsPacked } from '../core/keras-clip-gradients.js';
import { setInPlaceEnabled } from '../core/fast/fast-path.js';
import { clips, clipStep, inPlaceTargets } from './clip-step.js';

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer));
const NONE = { inPlace: false, measure: false, gradNorms: false, weightNormsOf: null } as const;

after(() => setInPlaceEnabled(true));

describeBackends('clipStep', () => {
  it('passes the gradients through untouched, making no tensor, when nothing clips or measures', () => {
    const g = [tf.tensor1d([3, 4]), null, tf.tensor1d([NaN])];
    const n0 = tf.memory().numTensors;
    const r = clipStep(g, { clipnorm: null, clipvalue: null, globalClipnorm: null }, NONE);
    assert.equal(r.grads, g, 'the same list');
    assert.deepEqual(r, { grads: g, copies: [], packed: null, gradNorms: null, weightNorms: null, fold: null });
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(clips({}), false);
    assert.equal(clips({ clipvalue: 1 }), true);
    tf.dispose(g as tf.Tensor[]);
  });

  it('measures without clipping when asked, and clips exactly as kerasClipGradientsPacked', () => {
    const make = () => [tf.tensor1d([3, 4]), null, tf.tensor2d([[0, 12]])];
    for (const options of [{}, { clipnorm: 1 }, { clipvalue: 2 }, { globalClipnorm: 1 }]) {
      const g = make();
      const r = clipStep(g, options, { ...NONE, measure: true });
      const ref = kerasClipGradientsPacked(g, options);
      assert.deepEqual(bits(r.packed!), bits(ref.packed), `${JSON.stringify(options)}: packed`);
      r.grads.forEach((x, i) => assert.deepEqual(x == null ? null : bits(x), ref.grads[i] == null ? null : bits(ref.grads[i]!), `${JSON.stringify(options)}: grads[${i}]`));
      assert.deepEqual(r.copies, r.grads.filter((x, i) => x != null && x !== g[i]), 'copies are the tensors the clip made');
      if (!clips(options)) assert.equal(r.copies.length, 0, 'nothing copied without clipping');
      tf.dispose([...(g as tf.Tensor[]), ...r.copies, r.packed!, ref.packed, ...(ref.grads.filter((x, i) => x != null && x !== g[i]) as tf.Tensor[])]);
    }
  });

  it('per-variable gradient norms from the packed terms, weight norms of the given variables (NaN where unknown)', async () => {
    const v = tf.variable(tf.tensor1d([6, 8]));
    const g = [tf.tensor1d([3, 4]), tf.scalar(-2)];
    const r = clipStep(g, { globalClipnorm: 100 }, { inPlace: false, measure: true, gradNorms: true, weightNormsOf: [v, null] });
    assert.deepEqual(Array.from(await r.gradNorms!.data()), [5, 2]);
    const wn = Array.from(await r.weightNorms!.data());
    assert.equal(wn[0], 10);
    assert.ok(Number.isNaN(wn[1]));
    const only = clipStep(g, { globalClipnorm: 100 }, { inPlace: false, measure: true, gradNorms: false, weightNormsOf: [v, null] });
    assert.equal(only.gradNorms, null);
    tf.dispose([v, ...g, ...r.copies, r.packed!, r.gradNorms!, r.weightNorms!, only.packed!, only.weightNorms!]);
  });

  it('in-place targets only for own gradients while in-place clipping is on', () => {
    const v = tf.variable(tf.scalar(1), true, 'clipStep_inPlace_v');
    const lookup = (n: string) => (n === v.name ? v : null);
    assert.deepEqual(inPlaceTargets(true, [v.name, 'other'], lookup), [v, null]);
    assert.equal(inPlaceTargets(false, [v.name], lookup), false);
    setInPlaceEnabled(false);
    assert.equal(inPlaceTargets(true, [v.name], lookup), false);
    setInPlaceEnabled(true);
    v.dispose();
  });
});
