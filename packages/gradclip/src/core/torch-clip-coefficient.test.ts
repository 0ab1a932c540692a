/**
 * `torchClipCoefficient` (the host twin that transforms fold into the fused update) gives, times
 * g in float32, exactly what `clipGradsWithNorm`'s tensor ops give on cpu and wasm: norms where
 * the 1e-6 epsilon matters, where it vanishes, 0, inf and NaN.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { clipGradsWithNorm, torchClipCoefficient } from './clip-grads-with-norm.js';

const G = [1, -3.5, 0.1, -0, 1e-30, 7e5, Infinity, NaN];

describeBackends('torchClipCoefficient', (backend) => {
  it(`${backend}: g * coefficient equals clipGradsWithNorm bit for bit`, () => {
    let epsilonMattered = 0;
    for (const maxNorm of [1e-7, 1e-6, 2.5e-6, 0.5, 3, 1e9]) {
      for (const norm of [0, 1e-7, 1e-6, 3e-6, 0.3, 1, 40, 1e30, Infinity, NaN]) {
        const coef = torchClipCoefficient(maxNorm, norm);
        const want = tf.tidy(() => Array.from((clipGradsWithNorm([tf.tensor1d(G)], maxNorm, tf.scalar(norm))[0] as tf.Tensor).dataSync()));
        const got = G.map((g) => Math.fround(Math.fround(g) * coef));
        assert.deepEqual(got.map(String), want.map(String), `maxNorm=${maxNorm} norm=${norm} coef=${coef}`);
        if (coef < 1 && Math.fround(Math.fround(maxNorm) / Math.fround(norm)) !== coef) epsilonMattered += 1;
      }
    }
    assert.ok(epsilonMattered >= 3, `cases where the epsilon changes the coefficient: ${epsilonMattered}`);
  });
});
