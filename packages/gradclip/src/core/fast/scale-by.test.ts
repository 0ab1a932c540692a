/**
 * `fusedScaleBy` (the scale kernel with its scales given from the host as an attribute) against
 * tfjs's own Multiply, bit for bit, including NaN, ±0, ±inf, a scale that is not a float32 value,
 * an int32 input and an empty tensor.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { fusedScaleBy, setFastPathEnabled } from './fast-path.js';

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describeBackends('fusedScaleBy', () => {
  it('equals tf.mul(x, float32 scale) bit for bit, one scale per tensor', async () => {
    const xs = [
      tf.tensor([1.5, -2, 0, -0, NaN, Infinity, -Infinity, 3e38, 1e-45, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
      tf.tensor([[0.1, 0.2], [0.3, 0.4]]),
      tf.tensor([5, -6], [2], 'int32'),
      tf.tensor([], [0]),
      tf.tensor([2.5]),
    ];
    const scales = [0.1, 1, 1 / 3, 2, -0];
    await expectNoLeak(() => {
      const got = fusedScaleBy(xs, scales) as tf.Tensor[];
      assert.ok(got != null);
      got.forEach((g, i) => {
        const ref = tf.tidy(() => tf.mul(xs[i].toFloat(), tf.scalar(scales[i], 'float32')));
        assert.equal(g.dtype, 'float32');
        assert.deepEqual(g.shape, xs[i].shape);
        assert.deepEqual(bits(g), bits(ref), `tensor ${i}`);
        assert.notEqual(g, xs[i]);
        ref.dispose();
      });
      tf.dispose(got);
    }, 'fusedScaleBy');
    assert.deepEqual(Array.from(xs[4].dataSync()), [2.5], 'inputs unchanged');
    tf.dispose(xs);
  });

  it('returns null when the scales do not match the tensors or the fast path is off', () => {
    const x = tf.tensor([1, 2]);
    assert.equal(fusedScaleBy([x], [1, 2]), null);
    const before = setFastPathEnabled(false);
    try {
      assert.equal(fusedScaleBy([x], [2]), null);
    } finally {
      setFastPathEnabled(before);
    }
    assert.deepEqual(fusedScaleBy([], []), []);
    x.dispose();
  });
});
