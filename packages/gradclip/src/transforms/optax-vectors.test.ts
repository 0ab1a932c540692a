/**
 * The anchors' optax reference vectors through the transforms, on every backend. Each vector is
 * dispatched on its `fn` alone (never its name), so a held-back half of the same file with other
 * values runs through the same code.
 *
 * Deliberate deviation (as in test/reference-vectors.test.ts): a negative threshold, which optax
 * silently accepts, throws a ValueError naming the argument; such vectors assert that error.
 *
 * The runner is test/helpers/clipping-vector-cases.ts's, which the browser suite runs too.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { loadVectors } from '../../test/helpers/vectors.js';
import { isOptax, runOptax } from '../../test/helpers/clipping-vector-cases.js';
import { ValueError } from '../errors.js';
import { globalNorm } from '../core/global-norm.js';
import * as T from './index.js';

const vectors = loadVectors().filter(isOptax);

describeBackends('optax reference vectors through transforms', () => {
  it('has optax vectors to run', () => assert.ok(vectors.length > 0));
  for (const v of vectors) {
    it(v.name, async () => {
      tf.engine().startScope();
      try {
        await runOptax({ ValueError, globalNorm, transforms: T }, v);
      } finally {
        tf.engine().endScope();
      }
    });
  }
});
