import * as tf from '@tensorflow/tfjs';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '@gradclip/testing/backends';
import { mulberry32, pick, randInt, randomValues, relativeError, runKernelOn, type HostTensor } from '@gradclip/testing/wasm-kernel-parity';
import { cpuForwardBackend } from './cpu-forward.js';
import { registerWasmTrainingFixes } from './register-wasm-training-fixes.js';

before(async () => {
  await useBackend('wasm');
  registerWasmTrainingFixes();
});

const f32 = (values: Float32Array, shape: number[]): HostTensor => ({ values, shape, dtype: 'float32' });

interface Case {
  inputs: Record<string, HostTensor>;
  attrs: Record<string, unknown>;
}

function depthwiseCase(rand: () => number, which: 'filter' | 'input'): Case {
  for (;;) {
    const [n, h, w, c, mult] = [randInt(rand, 1, 2), randInt(rand, 3, 10), randInt(rand, 3, 10), randInt(rand, 1, 4), randInt(rand, 1, 2)];
    const [fh, fw] = [randInt(rand, 1, 4), randInt(rand, 1, 4)];
    const strides = pick(rand, [1, [2, 2], [2, 3], [1, 2]] as const);
    const pad = pick(rand, ['valid', 'same', 1] as const);
    const dimRoundingMode = pad === 1 ? 'floor' : undefined;
    const info = tf.backend_util.computeConv2DInfo([n, h, w, c], [fh, fw, c, mult], strides as [number, number], 1, pad, dimRoundingMode, true);
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    const dy = f32(randomValues(rand, n * info.outHeight * info.outWidth * c * mult), [n, info.outHeight, info.outWidth, c * mult]);
    const common = { strides, pad, dimRoundingMode, dilations: 1 };
    if (which === 'filter') {
      return { inputs: { x: f32(randomValues(rand, n * h * w * c), [n, h, w, c]), dy }, attrs: { ...common, filterShape: [fh, fw, c, mult] } };
    }
    return { inputs: { dy, filter: f32(randomValues(rand, fh * fw * c * mult), [fh, fw, c, mult]) }, attrs: { ...common, inputShape: [n, h, w, c] } };
  }
}

function conv3dCase(rand: () => number, which: 'filter' | 'input'): Case {
  for (;;) {
    const [n, d, h, w, c, k] = [1, randInt(rand, 2, 6), randInt(rand, 2, 6), randInt(rand, 2, 6), randInt(rand, 1, 3), randInt(rand, 1, 3)];
    const [fd, fh, fw] = [randInt(rand, 1, 3), randInt(rand, 1, 3), randInt(rand, 1, 3)];
    const strides = pick(rand, [1, 2, [1, 2, 2], [2, 1, 3]] as const);
    const pad = pick(rand, ['valid', 'same'] as const);
    const info = tf.backend_util.computeConv3DInfo([n, d, h, w, c], [fd, fh, fw, c, k], strides as [number, number, number], 1, pad);
    if (info.outDepth < 1 || info.outHeight < 1 || info.outWidth < 1) continue;
    const dy = f32(randomValues(rand, n * info.outDepth * info.outHeight * info.outWidth * k), [n, info.outDepth, info.outHeight, info.outWidth, k]);
    if (which === 'filter') {
      return { inputs: { x: f32(randomValues(rand, n * d * h * w * c), [n, d, h, w, c]), dy }, attrs: { strides, pad, filterShape: [fd, fh, fw, c, k] } };
    }
    return { inputs: { dy, filter: f32(randomValues(rand, fd * fh * fw * c * k), [fd, fh, fw, c, k]) }, attrs: { strides, pad, inputShape: [n, d, h, w, c] } };
  }
}

const KERNELS: [string, (rand: () => number) => Case][] = [
  ['DepthwiseConv2dNativeBackpropFilter', (r) => depthwiseCase(r, 'filter')],
  ['DepthwiseConv2dNativeBackpropInput', (r) => depthwiseCase(r, 'input')],
  ['Conv3DBackpropFilterV2', (r) => conv3dCase(r, 'filter')],
  ['Conv3DBackpropInputV2', (r) => conv3dCase(r, 'input')],
];

for (const [kernelName, makeCase] of KERNELS) {
  test(`${kernelName} equals the cpu kernel on 20 random cases and leaks nothing`, async () => {
    const rand = mulberry32(kernelName.length * 7919);
    const wasm = tf.engine().registry['wasm'];
    let worst = 0;
    for (let i = 0; i < 20; ++i) {
      const { inputs, attrs } = makeCase(rand);
      const ref = await runKernelOn('cpu', kernelName, inputs, attrs);
      const [tensorsBefore, wasmIdsBefore] = [tf.memory().numTensors, wasm.numDataIds()];
      const got = await runKernelOn('wasm', kernelName, inputs, attrs);
      assert.equal(tf.memory().numTensors, tensorsBefore, `tensor leak in case ${i}`);
      assert.equal(wasm.numDataIds(), wasmIdsBefore, `wasm data leak in case ${i}`);
      assert.equal(cpuForwardBackend().numDataIds(), 0, `cpu data leak in case ${i}`);
      assert.deepEqual(got.shape, ref.shape);
      const err = relativeError(got.values, ref.values);
      worst = Math.max(worst, err);
      assert.ok(err <= 1e-5, `case ${i} ${JSON.stringify(attrs)}: relErr ${err}`);
    }
    console.log(`# ${kernelName} max relative error vs cpu: ${worst.toExponential(2)}`);
  });
}

test('frees the cpu copies when the cpu kernel throws', async () => {
  await useBackend('wasm');
  const x = tf.zeros([1, 4, 4, 1]);
  const dy = tf.zeros([1, 3, 3, 1]);
  assert.throws(
    () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 1, pad: 'bogus', dilations: 1, filterShape: [2, 2, 1, 1] }),
    /Unknown padding parameter: bogus/,
  );
  assert.equal(cpuForwardBackend().numDataIds(), 0);
  tf.dispose([x, dy]);
});

test('tf.grad of depthwiseConv2d and conv3d (stride 2) match cpu', async () => {
  const rand = mulberry32(11);
  const xd = randomValues(rand, 2 * 7 * 6 * 3);
  const fd = randomValues(rand, 3 * 3 * 3 * 2);
  const x3 = randomValues(rand, 1 * 5 * 6 * 5 * 2);
  const f3 = randomValues(rand, 2 * 3 * 2 * 2 * 3);
  const out: Record<string, Float32Array[]> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const res = tf.tidy(() => {
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], 'same').square().sum(),
      )([tf.tensor4d(xd, [2, 7, 6, 3]), tf.tensor4d(fd, [3, 3, 3, 2])]);
      const [hx, hf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 2, 'same').square().sum(),
      )([tf.tensor5d(x3, [1, 5, 6, 5, 2]), tf.tensor5d(f3, [2, 3, 2, 2, 3])]);
      return [gx, gf, hx, hf];
    });
    out[backend] = res.map((t) => t.dataSync() as Float32Array);
    tf.dispose(res);
  }
  for (let i = 0; i < 4; ++i) assert.ok(relativeError(out.wasm[i], out.cpu[i]) <= 1e-5, `gradient ${i}`);
});
