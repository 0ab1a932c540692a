/**
 * kerasClipGradientsForStep: the optimizer wrapper's clip. Without measurements it returns the
 * clipped gradients alone (no packed statistics on the composition; the fused kernels measure
 * anyway), and those gradients are the measured clip's, bit for bit, NaN and ±Infinity included,
 * with the fast path on and off. (On webgl the fused WebGL programs: test/browser/webgl-clip-checks.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { kerasClipGradientsForStep, kerasClipGradientsPacked, type KerasClipOptions } from './keras-clip-gradients.js';
import { setFastPath } from '../internals/fast-path-switch.js';

const bits = (t: tf.Tensor | null | undefined) => (t == null ? null : Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer)));

const CASES: [string, () => (tf.Tensor | null)[]][] = [
  ['finite', () => [tf.tensor1d([3, 4]), null, tf.tensor2d([[0, 12], [-5, 1]]), tf.scalar(0.5)]],
  ['NaN', () => [tf.tensor1d([3, NaN]), null, tf.tensor2d([[0, 12], [-5, 1]])]],
  ['Inf', () => [tf.tensor1d([3, 4]), tf.tensor1d([-Infinity, 1, 2]), tf.tensor2d([[0, 12], [-5, 1]])]],
  ['zeros', () => [tf.zeros([3]), tf.tensor1d([-0, 0])]],
];
const OPTIONS: KerasClipOptions[] = [{ clipnorm: 1 }, { clipnorm: 100 }, { globalClipnorm: 2 }, { globalClipnorm: 100 }, { clipvalue: 0.5 }, {}];

describeBackends('kerasClipGradientsForStep', (backend) => {
  for (const fast of [true, false]) {
    it(`${backend}, fast path ${fast ? 'on' : 'off'}: without measurements, the measured clip's gradients (same bits), no tensor left behind`, () => {
      const wasOn = setFastPath(fast);
      try {
        for (const [name, make] of CASES) {
          for (const options of OPTIONS) {
            const label = `${name} ${JSON.stringify(options)}`;
            const g = make();
            const n0 = tf.memory().numTensors;
            const ref = kerasClipGradientsPacked(g, options);
            const got = kerasClipGradientsForStep(g, options, false, false);
            if (!fast) assert.equal(got.packed, null, `${label}: nothing measured on the composition`);
            assert.equal(got.grads.length, g.length);
            got.grads.forEach((x, i) => assert.deepEqual(bits(x), bits(ref.grads[i]), `${label}: grads[${i}]`));
            const made = (r: { grads: (tf.Tensor | null | undefined)[] }) => r.grads.filter((x, i) => x != null && x !== g[i]) as tf.Tensor[];
            const mine = [...made(got), ...(got.packed != null && got.packed !== ref.packed ? [got.packed] : [])];
            tf.dispose([...made(ref), ref.packed]);
            tf.dispose(mine.filter((t) => !t.isDisposed));
            assert.equal(tf.memory().numTensors, n0, `${label}: only the returned tensors were made`);
            tf.dispose(g.filter((t): t is tf.Tensor => t != null));
          }
        }
      } finally {
        setFastPath(wasOn);
      }
    });
  }
});
