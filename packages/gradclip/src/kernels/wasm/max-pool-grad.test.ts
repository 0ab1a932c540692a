import * as tf from '@tensorflow/tfjs';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '@gradclip/testing/backends';
import {
  mulberry32,
  pick,
  randInt,
  randomValues,
  relativeError,
  runKernelOn,
  type HostTensor,
} from '@gradclip/testing/wasm-kernel-parity';
import { registerWasmTrainingFixes } from './register-wasm-training-fixes.js';

before(async () => {
  await useBackend('wasm');
  registerWasmTrainingFixes({ kernels: ['MaxPoolGrad'] });
});

type Fill = 'negative' | 'mixed' | 'positive' | 'ties' | 'relu';

function fill(rand: () => number, n: number, kind: Fill): Float32Array {
  switch (kind) {
    case 'negative':
      return randomValues(rand, n, -3, -0.01);
    case 'positive':
      return randomValues(rand, n, 0.01, 3);
    case 'mixed':
      return randomValues(rand, n, -1, 1);
    case 'ties': // few distinct values, so windows often hold several equal maxima
      return Float32Array.from(randomValues(rand, n, -2, 2), (v) => Math.round(v));
    case 'relu':
      return Float32Array.from(randomValues(rand, n, -1, 1), (v) => Math.max(0, v));
  }
}

/** Runs MaxPool then MaxPoolGrad on `backend`, with MaxPool's output taken from cpu. */
async function maxPoolGradOn(backend: 'cpu' | 'wasm', x: HostTensor, dyValues: Float32Array, attrs: Record<string, unknown>) {
  const out = await runKernelOn('cpu', 'MaxPool', { x }, attrs);
  return runKernelOn(
    backend,
    'MaxPoolGrad',
    {
      dy: { values: dyValues, shape: out.shape, dtype: 'float32' },
      input: x,
      output: { values: out.values, shape: out.shape, dtype: 'float32' },
    },
    attrs,
  );
}

test('matches the cpu kernel on 40 random cases, all-negative inputs and ties included', async () => {
  const rand = mulberry32(424242);
  const fills: Fill[] = ['negative', 'mixed', 'positive', 'ties', 'relu'];
  let worst = 0;
  for (let i = 0; i < 40; ++i) {
    const kind = fills[i % fills.length];
    const [n, h, w, c] = [randInt(rand, 1, 3), randInt(rand, 2, 11), randInt(rand, 2, 11), randInt(rand, 1, 5)];
    const fh = randInt(rand, 1, Math.min(4, h));
    const fw = randInt(rand, 1, Math.min(4, w));
    const strides = pick(rand, [1, [2, 2], [2, 3], [3, 2], [1, 2]] as const);
    const padKind = pick(rand, ['valid', 'same', 'number', 'explicit'] as const);
    const pad =
      padKind === 'number'
        ? randInt(rand, 0, Math.min(fh, fw) - 1)
        : padKind === 'explicit'
          ? [[0, 0], [randInt(rand, 0, fh - 1), randInt(rand, 0, fh - 1)], [randInt(rand, 0, fw - 1), randInt(rand, 0, fw - 1)], [0, 0]]
          : padKind;
    const dimRoundingMode = padKind === 'number' ? pick(rand, ['floor', 'ceil', 'round'] as const) : undefined;
    const attrs = { filterSize: [fh, fw], strides, pad, dimRoundingMode };
    const info = tf.backend_util.computePool2DInfo([n, h, w, c], [fh, fw], strides as [number, number], 1, pad as 'same', dimRoundingMode);
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    const x: HostTensor = { values: fill(rand, n * h * w * c, kind), shape: [n, h, w, c], dtype: 'float32' };
    const dy = randomValues(rand, n * info.outHeight * info.outWidth * c);
    const ref = await maxPoolGradOn('cpu', x, dy, attrs);
    const before = tf.memory().numTensors;
    const got = await maxPoolGradOn('wasm', x, dy, attrs);
    assert.equal(tf.memory().numTensors, before, `leak in case ${i}`);
    assert.deepEqual(got.shape, ref.shape);
    const err = relativeError(got.values, ref.values);
    worst = Math.max(worst, err);
    assert.ok(err <= 1e-5, `case ${i} (${kind}) ${JSON.stringify(attrs)} x=${String(x.shape)}: relErr ${err}`);
  }
  console.log(`# MaxPoolGrad max relative error vs cpu: ${worst.toExponential(2)}`);
});

test('tf.grad(maxPool) on an all-negative input matches cpu (the built-in wasm kernel drops it)', async () => {
  const rand = mulberry32(5);
  const x = randomValues(rand, 2 * 8 * 8 * 3, -3, -0.1);
  const grads: Record<string, Float32Array> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const xt = tf.tensor4d(x, [2, 8, 8, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid').mul(v.max()).sum())(xt);
    grads[backend] = (await g.data()) as Float32Array;
    tf.dispose([xt, g]);
  }
  assert.ok(relativeError(grads.wasm, grads.cpu) <= 1e-5);
  // Each 2×2 window routes its gradient to exactly one position.
  assert.equal(grads.wasm.filter((v) => v !== 0).length, 2 * 4 * 4 * 3);
});

test('a window of NaN or -Infinity passes no gradient, as on cpu', async () => {
  const x = new Float32Array([NaN, NaN, NaN, NaN, -Infinity, -Infinity, -Infinity, -Infinity, NaN, -1, NaN, -2]);
  const attrs = { filterSize: [1, 4], strides: [1, 4], pad: 'valid' };
  const xin: HostTensor = { values: x, shape: [1, 3, 4, 1], dtype: 'float32' };
  const dy = new Float32Array([1, 2, 3]);
  const ref = await maxPoolGradOn('cpu', xin, dy, attrs);
  const got = await maxPoolGradOn('wasm', xin, dy, attrs);
  assert.deepEqual([...got.values], [...ref.values]);
  assert.deepEqual([...got.values], [0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0]);
});
