/**
 * The anchors' public reference vectors (TF, Keras 3, PyTorch) on every backend. Each vector is
 * dispatched on its `fn`; a held-back half of the same file must pass through the same code.
 *
 * Deliberate deviations (decided, documented in the README): where an anchor silently accepts a
 * meaningless argument (negative threshold, min > max, Keras's "0 or negative disables clipping"),
 * gradclip throws a ValueError that names the argument. Those vectors assert that error instead.
 * Optax vectors belong to the adaptive-clipping transforms; Keras 2.x, loss scaling and gradient
 * accumulation are out of scope: they are reported as skipped with the reason.
 *
 * The runners are test/helpers/clipping-vector-cases.ts's, which the browser suite runs too.
 */
import * as tf from '@tensorflow/tfjs';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { loadVectors } from './helpers/vectors.js';
import { isOptax, runReference, skipReason } from './helpers/clipping-vector-cases.js';
import * as gradclip from '../src/index.js';

const vectors = loadVectors();

describeBackends('reference vectors', () => {
  for (const v of vectors) {
    const reason = isOptax(v) ? 'optax transforms: adaptive-clipping issue' : skipReason(v);
    it(v.name, { skip: reason ?? false }, async () => {
      tf.engine().startScope();
      try {
        await runReference(gradclip, v);
      } finally {
        tf.engine().endScope();
      }
    });
  }
});
