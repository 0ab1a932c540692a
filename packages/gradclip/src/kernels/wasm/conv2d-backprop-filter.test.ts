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
  withoutTfjsLeakCheck,
} from '@gradclip/testing/wasm-kernel-parity';
import { registerWasmTrainingFixes } from './register-wasm-training-fixes.js';

type Pad = 'valid' | 'same' | number | [[0, 0], [number, number], [number, number], [0, 0]];

before(async () => {
  await useBackend('wasm');
  registerWasmTrainingFixes();
});

function randomCase(rand: () => number) {
  for (;;) {
    const n = randInt(rand, 1, 3);
    const h = randInt(rand, 2, 12);
    const w = randInt(rand, 2, 12);
    const c = randInt(rand, 1, 4);
    const k = randInt(rand, 1, 4);
    const fh = randInt(rand, 1, 5);
    const fw = randInt(rand, 1, 5);
    const strides = pick(rand, [1, [1, 1], [2, 2], [2, 3], [3, 2], [1, 2], [3, 3]] as const);
    const kind = pick(rand, ['valid', 'same', 'number', 'explicit'] as const);
    let pad: Pad;
    let dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined;
    if (kind === 'number') {
      pad = randInt(rand, 0, 2);
      dimRoundingMode = pick(rand, ['floor', 'round', 'ceil'] as const);
    } else if (kind === 'explicit') {
      pad = [
        [0, 0],
        [randInt(rand, 0, 2), randInt(rand, 0, 2)],
        [randInt(rand, 0, 2), randInt(rand, 0, 2)],
        [0, 0],
      ];
    } else {
      pad = kind;
    }
    const info = tf.backend_util.computeConv2DInfo([n, h, w, c], [fh, fw, c, k], strides as [number, number], 1, pad, dimRoundingMode);
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    return {
      x: { values: randomValues(rand, n * h * w * c), shape: [n, h, w, c], dtype: 'float32' as const },
      dy: {
        values: randomValues(rand, n * info.outHeight * info.outWidth * k),
        shape: [n, info.outHeight, info.outWidth, k],
        dtype: 'float32' as const,
      },
      attrs: { strides, pad, dataFormat: 'NHWC', dimRoundingMode, filterShape: [fh, fw, c, k] },
    };
  }
}

test('matches the cpu kernel on 40 random shapes, strides and paddings', async () => {
  const rand = mulberry32(20240601);
  let worst = 0;
  const kinds = new Set<string>();
  for (let i = 0; i < 40; ++i) {
    const { x, dy, attrs } = randomCase(rand);
    kinds.add(typeof attrs.pad === 'object' ? 'explicit' : String(typeof attrs.pad === 'number' ? 'number' : attrs.pad));
    const ref = await runKernelOn('cpu', 'Conv2DBackpropFilter', { x, dy }, attrs);
    const before = tf.memory().numTensors;
    const got = await runKernelOn('wasm', 'Conv2DBackpropFilter', { x, dy }, attrs);
    assert.equal(tf.memory().numTensors, before, `leak in case ${i}`);
    assert.deepEqual(got.shape, ref.shape);
    const err = relativeError(got.values, ref.values);
    worst = Math.max(worst, err);
    assert.ok(err <= 1e-5, `case ${i} ${JSON.stringify(attrs)} x=${String(x.shape)}: relErr ${err}`);
  }
  assert.deepEqual([...kinds].sort(), ['explicit', 'number', 'same', 'valid']);
  console.log(`# Conv2DBackpropFilter max relative error vs cpu: ${worst.toExponential(2)}`);
});

test('is what tf.grad of conv2d and fused.conv2d use on wasm', async () => {
  const rand = mulberry32(7);
  const x = randomValues(rand, 2 * 9 * 7 * 3);
  const f = randomValues(rand, 3 * 2 * 3 * 4);
  const grads: Record<string, Float32Array[]> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const xt = tf.tensor4d(x, [2, 9, 7, 3]);
    const ft = tf.tensor4d(f, [3, 2, 3, 4]);
    const plain = tf.grad((w: tf.Tensor) => tf.conv2d(xt, w as tf.Tensor4D, [2, 3], 'same').square().sum())(ft);
    // fused.conv2d (what tfjs-layers' Conv2D uses) calls the Conv2DBackpropFilter kernel directly.
    const fused = await withoutTfjsLeakCheck(() =>
      tf.grad((w: tf.Tensor) => tf.fused.conv2d({ x: xt, filter: w as tf.Tensor4D, strides: 1, pad: 'valid' }).sum())(ft),
    );
    grads[backend] = [await plain.data(), await fused.data()] as Float32Array[];
    tf.dispose([xt, ft, plain, fused]);
  }
  assert.ok(relativeError(grads.wasm[0], grads.cpu[0]) <= 1e-5);
  assert.ok(relativeError(grads.wasm[1], grads.cpu[1]) <= 1e-5);
});

test('supports dilations > 1 at stride 1 (checked against a direct loop)', async () => {
  const rand = mulberry32(99);
  const [n, h, w, c, k, fh, fw, d] = [2, 9, 8, 2, 3, 3, 2, 2];
  const x = randomValues(rand, n * h * w * c);
  const info = tf.backend_util.computeConv2DInfo([n, h, w, c], [fh, fw, c, k], 1, d, 'valid');
  const [oh, ow] = [info.outHeight, info.outWidth];
  const dy = randomValues(rand, n * oh * ow * k);
  const got = await runKernelOn(
    'wasm',
    'Conv2DBackpropFilter',
    { x: { values: x, shape: [n, h, w, c], dtype: 'float32' }, dy: { values: dy, shape: [n, oh, ow, k], dtype: 'float32' } },
    { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [fh, fw, c, k], dilations: d },
  );
  const ref = new Float32Array(fh * fw * c * k);
  for (let a = 0; a < fh; ++a)
    for (let b = 0; b < fw; ++b)
      for (let ci = 0; ci < c; ++ci)
        for (let ko = 0; ko < k; ++ko) {
          let s = 0;
          for (let bi = 0; bi < n; ++bi)
            for (let yr = 0; yr < oh; ++yr)
              for (let yc = 0; yc < ow; ++yc)
                s += x[((bi * h + yr + a * d) * w + yc + b * d) * c + ci] * dy[((bi * oh + yr) * ow + yc) * k + ko];
          ref[((a * fw + b) * c + ci) * k + ko] = s;
        }
  assert.ok(relativeError(got.values, ref) <= 1e-5);
});

test('rejects NCHW with a message that says what to do', async () => {
  await useBackend('wasm');
  const x = tf.zeros([1, 2, 5, 5]);
  const dy = tf.zeros([1, 3, 3, 3]);
  assert.throws(
    () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] }),
    /supports only dataFormat 'NHWC'; transpose NCHW data to NHWC first/,
  );
  tf.dispose([x, dy]);
});
