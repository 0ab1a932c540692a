/**
 * The fused Keras clip kernel adds the per-tensor Σx² in the order of the backend's own `tf.sum`
 * (float64 on cpu, sequential float32 on wasm), so its global and clipped norms equal the
 * composition's with the fast path off, bit for bit. The sums 2^24 and six 1s tell the two orders
 * apart: float32 gives 2^24 (norm 4096), float64 gives 2^24 + 6.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { kerasClipGradientsPacked, type KerasClipOptions } from './keras-clip-gradients.js';
import { setFastPath } from '../internals/fast-path-switch.js';

function packedValues(options: KerasClipOptions): number[] {
  return tf.tidy(() => {
    const grads = [tf.tensor1d([4096]), ...Array.from({ length: 6 }, () => tf.tensor1d([1]))];
    return Array.from(kerasClipGradientsPacked(grads, options).packed.dataSync());
  });
}

describeBackends('Keras clip kernel: the order of the sum over tensors', (backend) => {
  for (const options of [{ globalClipnorm: 5000 }, { clipnorm: 0.5 }, {}] as KerasClipOptions[]) {
    it(`${backend} ${JSON.stringify(options)}: fast path on and off give the same packed statistics`, () => {
      const before = tf.memory().numTensors;
      const fast = packedValues(options);
      const wasOn = setFastPath(false);
      let plain: number[];
      try {
        plain = packedValues(options);
      } finally {
        setFastPath(wasOn);
      }
      assert.deepEqual(fast, plain);
      if (options.clipnorm == null) assert.equal(fast[0], backend === 'wasm' ? 4096 : Math.fround(Math.sqrt(2 ** 24 + 6)));
      assert.equal(tf.memory().numTensors, before);
    });
  }
});
