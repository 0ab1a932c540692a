import * as tf from '@tensorflow/tfjs';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '@gradclip/testing/backends';
import { mulberry32, randInt, randomValues, relativeError, runKernelOn, type HostTensor } from '@gradclip/testing/wasm-kernel-parity';
import { registerWasmTrainingFixes } from './register-wasm-training-fixes.js';

before(async () => {
  await useBackend('wasm');
  registerWasmTrainingFixes({ kernels: ['UnsortedSegmentSum'] });
});

test('matches the cpu kernel on 30 random shapes, dtypes and out-of-range ids', async () => {
  const rand = mulberry32(1234);
  let worst = 0;
  for (let i = 0; i < 30; ++i) {
    const idRank = 1; // the op takes a Tensor1D; see the rank-2 test below
    const rank = idRank + randInt(rand, 0, 2);
    const shape = Array.from({ length: rank }, () => randInt(rand, 1, 6));
    const numSegments = randInt(rand, 1, 8);
    const idShape = shape.slice(0, idRank);
    const ids = Int32Array.from({ length: idShape.reduce((a, b) => a * b, 1) }, () => randInt(rand, -1, numSegments));
    const size = shape.reduce((a, b) => a * b, 1);
    const dtype = i % 5 === 4 ? 'int32' : 'float32';
    const values = dtype === 'int32' ? Int32Array.from(randomValues(rand, size, -9, 9), Math.round) : randomValues(rand, size);
    const x: HostTensor = { values, shape, dtype };
    const segmentIds: HostTensor = { values: ids, shape: idShape, dtype: 'int32' };
    const ref = await runKernelOn('cpu', 'UnsortedSegmentSum', { x, segmentIds }, { numSegments });
    const before = tf.memory().numTensors;
    const got = await runKernelOn('wasm', 'UnsortedSegmentSum', { x, segmentIds }, { numSegments });
    assert.equal(tf.memory().numTensors, before, `leak in case ${i}`);
    assert.deepEqual(got.shape, ref.shape);
    const err = relativeError(got.values, ref.values);
    worst = Math.max(worst, err);
    assert.ok(err <= 1e-5, `case ${i} x=${String(shape)} ids=${String(idShape)} n=${numSegments}: relErr ${err}`);
  }
  console.log(`# UnsortedSegmentSum max relative error vs cpu: ${worst.toExponential(2)}`);
});

test('makes tf.gather differentiable on wasm (repeated indices add up)', async () => {
  const grads: Record<string, Float32Array> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const table = tf.tensor2d(randomValues(mulberry32(3), 10 * 4), [10, 4]);
    const idx = tf.tensor2d([1, 3, 3, 9, 0, 1], [2, 3], 'int32');
    const g = tf.grad((t: tf.Tensor) => tf.gather(t, idx).square().sum())(table);
    grads[backend] = (await g.data()) as Float32Array;
    tf.dispose([table, idx, g]);
  }
  assert.ok(relativeError(grads.wasm, grads.cpu) <= 1e-5);
});

test('ids of rank 2 follow TF: output [numSegments, ...x.shape.slice(2)]', async () => {
  // The cpu kernel sums only over axis 0 for ids of rank > 1 (an artifact of its mask-and-sum
  // implementation); the op is documented for 1-D ids, and TF defines the general case like this.
  const rand = mulberry32(77);
  const [a, b, c, numSegments] = [3, 4, 2, 5];
  const xv = randomValues(rand, a * b * c);
  const ids = Int32Array.from({ length: a * b }, () => randInt(rand, -1, numSegments));
  const got = await runKernelOn(
    'wasm',
    'UnsortedSegmentSum',
    { x: { values: xv, shape: [a, b, c], dtype: 'float32' }, segmentIds: { values: ids, shape: [a, b], dtype: 'int32' } },
    { numSegments },
  );
  const ref = new Float32Array(numSegments * c);
  ids.forEach((s, i) => {
    if (s >= 0 && s < numSegments) for (let j = 0; j < c; ++j) ref[s * c + j] += xv[i * c + j];
  });
  assert.deepEqual(got.shape, [numSegments, c]);
  assert.ok(relativeError(got.values, ref) <= 1e-6);
});

test('a NaN reaches only its own segment', async () => {
  const x: HostTensor = { values: new Float32Array([1, NaN, 2, 3]), shape: [4], dtype: 'float32' };
  const segmentIds: HostTensor = { values: new Int32Array([0, 1, 0, 2]), shape: [4], dtype: 'int32' };
  const got = await runKernelOn('wasm', 'UnsortedSegmentSum', { x, segmentIds }, { numSegments: 3 });
  assert.deepEqual([...got.values], [3, NaN, 3]);
});
