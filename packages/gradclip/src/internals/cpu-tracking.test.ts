/**
 * The cpu backend's buffers are tracked from its first tensor when the fast path is set up before
 * the backend holds any (here: `setFastPath(true)` before `tf.setBackend('cpu')` made the backend,
 * in a process of its own): then `clipGradValue_` writes into a tensor's own array, so an array given to
 * `tf.tensor(array)` sees the change — as when gradclip hooked the backend at import. (When the
 * backend already held tensors, the tensor gets a new array instead: fast-path-switch.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setFastPath } from './fast-path-switch.js';
import { clipGradValue, clipGradValue_ } from '../index.js';
import { inPlaceWrites } from '../core/fast/fast-path.js';
import { cpuCountedFromStart } from '../core/fast/cpu-buffer-pool.js';
import { bitsOf } from './testing/public-bits.js';

tf.env().set('PROD', true);
// Before any backend exists: setFastPath(true) wraps the cpu factory, so the instance that
// tf.setBackend makes is hooked before its first tensor.
const noBackendYet = tf.engine().backendName == null;
setFastPath(true);
await tf.setBackend('cpu');
const empty = tf.memory().numTensors === 0;

it('set up on an empty cpu backend: tracked from the start; a tensor’s own array is overwritten in place', () => {
  assert.ok(noBackendYet, 'no backend existed when setFastPath(true) was called');
  assert.ok(empty, 'no tensor before the test');
  assert.equal(cpuCountedFromStart(tf.engine().backend), true);
  const array = new Float32Array([3, -4, 0.5, NaN]);
  const t = tf.tensor(array);
  const writes = inPlaceWrites.tensors;
  clipGradValue_([t], 1);
  assert.equal(inPlaceWrites.tensors, writes + 1);
  assert.deepEqual(bitsOf(t), tf.tidy(() => bitsOf(clipGradValue([tf.tensor([3, -4, 0.5, NaN])], 1))));
  assert.deepEqual(Array.from(array).map(String), ['1', '-1', '0.5', 'NaN'], 'the array is the tensor’s storage');
  // A view of it (a slice) makes it shared: rejected, as before.
  const view = tf.slice(t, [1], [2]);
  assert.throws(() => clipGradValue_([t], 0.5), /view of, or is viewed by/);
  tf.dispose([t, view]);
});
