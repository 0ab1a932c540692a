import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '@gradclip/testing/backends';
import { GradclipError, ValueError } from '../../errors.js';
import {
  registerWasmTrainingFixes,
  unregisterWasmTrainingFixes,
  wasmTrainingFixesRegistered,
  WASM_TRAINING_FIX_KERNELS,
} from './register-wasm-training-fixes.js';

// Tests run in order: the first one needs wasm not yet initialised in this process.
test('explains what to do when wasm is not initialised yet', () => {
  assert.equal(tf.engine().registry['wasm'], undefined);
  assert.throws(() => registerWasmTrainingFixes(), (e: unknown) => {
    assert.ok(e instanceof GradclipError);
    assert.match(e.message, /not initialised.*await tf\.setBackend\('wasm'\)/s);
    return true;
  });
  assert.equal(wasmTrainingFixesRegistered(), false);
});

test('rejects unknown kernel names, listing the valid ones', async () => {
  await useBackend('wasm');
  assert.throws(
    () => registerWasmTrainingFixes({ kernels: ['Conv2DBackpropFilter', 'Nope' as 'MaxPoolGrad'] }),
    (e: unknown) => e instanceof ValueError && /`kernels` must be a list of names from \[.*"MaxPoolGrad".*\]\. Received: kernels=/.test(e.message),
  );
  assert.equal(wasmTrainingFixesRegistered(), false);
});

test('registers every fix, idempotently, and unregistering restores the shipped kernels', async () => {
  await useBackend('wasm');
  const shippedMaxPoolGrad = tf.getKernel('MaxPoolGrad', 'wasm');
  assert.ok(shippedMaxPoolGrad != null);
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);

  const names = registerWasmTrainingFixes();
  assert.deepEqual(names, [...WASM_TRAINING_FIX_KERNELS]);
  assert.equal(wasmTrainingFixesRegistered(), true);
  const ours = tf.getKernel('MaxPoolGrad', 'wasm');
  assert.notEqual(ours, shippedMaxPoolGrad);
  for (const name of WASM_TRAINING_FIX_KERNELS) assert.ok(tf.getKernel(name, 'wasm') != null, name);

  // Second call: same kernels, nothing re-registered.
  assert.deepEqual(registerWasmTrainingFixes(), [...WASM_TRAINING_FIX_KERNELS]);
  assert.equal(tf.getKernel('MaxPoolGrad', 'wasm'), ours);

  assert.deepEqual(unregisterWasmTrainingFixes(), [...WASM_TRAINING_FIX_KERNELS]);
  assert.equal(wasmTrainingFixesRegistered(), false);
  assert.equal(tf.getKernel('MaxPoolGrad', 'wasm'), shippedMaxPoolGrad);
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
  assert.deepEqual(unregisterWasmTrainingFixes(), []);
});

test('installs only the kernels asked for, and more on a later call', async () => {
  await useBackend('wasm');
  assert.deepEqual(registerWasmTrainingFixes({ kernels: ['UnsortedSegmentSum'] }), ['UnsortedSegmentSum']);
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
  assert.deepEqual(registerWasmTrainingFixes({ kernels: ['MaxPoolGrad'] }), ['UnsortedSegmentSum', 'MaxPoolGrad']);
  assert.equal(wasmTrainingFixesRegistered(), true);
  unregisterWasmTrainingFixes();
  assert.equal(tf.getKernel('UnsortedSegmentSum', 'wasm'), undefined);
});

test('reports false when another kernel replaced a fix, and leaves that kernel alone', async () => {
  await useBackend('wasm');
  registerWasmTrainingFixes({ kernels: ['UnsortedSegmentSum'] });
  tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
  const theirs: tf.KernelConfig = { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: () => ({}) as tf.TensorInfo };
  tf.registerKernel(theirs);
  assert.equal(wasmTrainingFixesRegistered(), false);
  assert.deepEqual(unregisterWasmTrainingFixes(), []);
  assert.equal(tf.getKernel('UnsortedSegmentSum', 'wasm'), theirs);
  tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
});

test('the backend fixes train a Conv2D model where the shipped wasm kernels cannot', async () => {
  await useBackend('wasm');
  const x = tf.ones([2, 6, 6, 1]);
  const f = tf.variable(tf.ones([3, 3, 1, 2]));
  const loss = () => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid').sum() as tf.Scalar;
  assert.throws(() => tf.variableGrads(loss), /Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/);
  registerWasmTrainingFixes();
  const { value, grads } = tf.variableGrads(loss);
  assert.deepEqual(Array.from(grads[f.name].dataSync()), new Array(18).fill(32));
  tf.dispose([value, grads[f.name], x, f]);
  unregisterWasmTrainingFixes();
});
