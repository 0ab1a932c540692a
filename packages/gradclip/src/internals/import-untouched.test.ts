/**
 * Importing gradclip leaves TF.js's backends untouched (issue 11 items 2 and 4): no method of the
 * cpu backend is patched, its factory is tfjs-backend-cpu's, no kernel is registered, while TF.js
 * trains a model and gradclip's other features (errors, monitoring, an optimizer wrapper that is
 * built but not stepped) are used — until a fast-path feature is used on a backend. Runs in its own
 * process (node --test runs each file in one), so nothing here is set up by another test first.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ORIGINAL_CPU_FACTORY, assertInstalled, assertNothingInstalled, fusedKernels } from './testing/installed.js';

tf.env().set('PROD', true);

/** The cpu backend instance's methods before gradclip is imported. */
await tf.setBackend('cpu');
const cpu = (tf.engine() as unknown as { registry: Record<string, Record<string, unknown>> }).registry.cpu;
const methodsBefore = ['disposeData', 'readSync', 'read', 'makeTensorInfo', 'write'].map((m) => cpu[m]);

const gradclip = await import('../index.js');

it('importing gradclip patches nothing: the cpu factory, the backend methods, the kernel registry are as TF.js left them', async () => {
  assert.equal(typeof ORIGINAL_CPU_FACTORY, 'function');
  assertNothingInstalled('after import');
  assert.deepEqual(['disposeData', 'readSync', 'read', 'makeTensorInfo', 'write'].map((m) => cpu[m]), methodsBefore);
  // Plain TF.js training and gradclip features without a fast path leave it so.
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
  const opt = gradclip.withClipping(tf.train.sgd(0.1), { clipnorm: 1 }); // built, not stepped
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  await model.fit(tf.ones([4, 3]), tf.zeros([4, 2]), { epochs: 1, verbose: 0 });
  assert.throws(() => gradclip.clipGradNorm([tf.ones([2])], -1), gradclip.ValueError);
  assertNothingInstalled('after training with TF.js alone');
  await tf.setBackend('wasm');
  tf.dispose(tf.ones([3]).square());
  assertNothingInstalled('after switching to wasm');
  opt.dispose();
  model.dispose();
});

it('the first fast-path use on a backend sets up that backend only', async () => {
  await tf.setBackend('wasm');
  const [clipped, norm] = gradclip.clipByGlobalNorm([tf.ones([4])], 1);
  tf.dispose([...clipped, norm]);
  assertInstalled('wasm');
  assert.deepEqual(fusedKernels('cpu'), [], 'cpu untouched while wasm runs');
  await tf.setBackend('cpu');
  assert.deepEqual(fusedKernels('cpu'), [], 'switching backends sets nothing up');
  tf.tidy(() => gradclip.clipGradValue([tf.ones([4])], 0.5));
  assertInstalled('cpu');
  gradclip.setFastPath(false);
  assertNothingInstalled('after setFastPath(false)');
  assert.deepEqual(['disposeData', 'readSync', 'read', 'makeTensorInfo', 'write'].map((m) => cpu[m]), methodsBefore, 'the original methods are back');
  gradclip.setFastPath(true);
});
