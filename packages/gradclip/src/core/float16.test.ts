/** float16.ts: float16 rounding, the hyper-parameters at risk, and the once-only warning. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { describeBackends, useBackend } from '@gradclip/testing/backends';
import { FLOAT16_MAX, FLOAT16_MIN_NORMAL, float16BackendWarning, float16OptimizerWarning, float16Risks, isFloat16Backend, toFloat16, warnIfFloat16 } from './float16.js';
import { globalNorm } from './global-norm.js';

describeBackends('float16', () => {
  it('toFloat16 rounds as a float16 texture stores (NaN above 65504, subnormals below 2^-14)', () => {
    assert.equal(toFloat16(1 + 2 ** -12), 1); // tie to even
    assert.equal(toFloat16(1 + 3 * 2 ** -12), 1 + 2 ** -10);
    assert.equal(toFloat16(FLOAT16_MAX), FLOAT16_MAX);
    assert.ok(Number.isNaN(toFloat16(65520)) && Number.isNaN(toFloat16(Infinity)) && Number.isNaN(toFloat16(-1e6)));
    assert.equal(toFloat16(1e-7), 2 * 2 ** -24); // 1.19e-7, as tfjs-webgl reads 1e-7 back
    assert.equal(toFloat16(2 ** -25), 0);
    assert.equal(toFloat16(-0.1), -0.0999755859375);
    assert.ok(Object.is(toFloat16(-0), -0));
    assert.equal(toFloat16(0.99999), 1);
    assert.equal(toFloat16(0.999), 0.9990234375);
    assert.equal(toFloat16(FLOAT16_MIN_NORMAL), FLOAT16_MIN_NORMAL);
  });

  it('float16Risks names epsilon below the smallest normal, rates that round to 1, Adam beta2 underflow, tiny learning rates, values above 65504', () => {
    const names = (c: Record<string, unknown>) => float16Risks(c).map((r) => r.name);
    assert.deepEqual(names(tf.train.adam(0.01, 0.9, 0.999, 1e-7).getConfig()), ['beta2', 'epsilon']);
    assert.deepEqual(names(tf.train.adam(0.01, 0.9, 0.9, 1e-4).getConfig()), []); // underflow bound 7.7e-4 < 1e-3
    assert.deepEqual(names({ learningRate: 0.01, beta1: 0.9, beta2: 0.99999, epsilon: 1e-4 }), ['beta2']);
    assert.match(float16Risks({ beta2: 0.99999, epsilon: 1e-4 })[0].why, /rounds to 1/);
    assert.match(float16Risks({ beta2: 0.999, epsilon: 1e-4 })[0].why, /underflows float16 for \|g\| < 0\.0077/);
    assert.deepEqual(names(tf.train.adamax(0.01, 0.9, 0.999, 1e-4).getConfig()), []); // a maximum, no g²
    assert.deepEqual(names(tf.train.rmsprop(0.01, 0.9, 0, 1e-7).getConfig()), ['epsilon']);
    assert.deepEqual(names(tf.train.momentum(0.05, 0.9).getConfig()), []);
    assert.deepEqual(names(tf.train.sgd(1e-5).getConfig()), ['learningRate']);
    assert.deepEqual(names({ momentum: 0.99995 }), ['momentum']);
    assert.deepEqual(names({ learningRate: 1e5 }), ['learningRate']);
    assert.deepEqual(names({ epsilon: Number.NaN, learningRate: 'x' }), []);
  });

  it('is not float16 on cpu/wasm: no warning, warnIfFloat16 returns false', async () => {
    assert.equal(isFloat16Backend(), false);
    const seen: string[] = [];
    assert.equal(warnIfFloat16(tf.train.adam(0.01, 0.9, 0.999, 1e-7), { warn: (m) => seen.push(m) }), false);
    const warn = console.warn;
    console.warn = (m: string) => void seen.push(m);
    try {
      globalNorm([tf.tensor([1, 2])]).dispose();
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(seen, []);
  });
});

describe('float16 warning (forced float16)', () => {
  before(() => useBackend('cpu'));

  it('warns once per message on a float16 backend: the backend (naming the flags), then each optimizer at risk', () => {
    const seen: string[] = [];
    const warn = (m: string) => void seen.push(m);
    assert.equal(warnIfFloat16(undefined, { float16: true, warn }), true);
    assert.equal(warnIfFloat16(undefined, { float16: true, warn }), true);
    assert.equal(seen.length, 1);
    assert.match(seen[0], /float16 \(WEBGL_RENDER_FLOAT32_ENABLED is false: WEBGL_FORCE_F16_TEXTURES is set/);
    assert.match(seen[0], /above 65504 become NaN/);
    const adam = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
    warnIfFloat16(adam, { float16: true, warn });
    warnIfFloat16(adam, { float16: true, warn });
    assert.equal(seen.length, 2);
    assert.match(seen[1], /hyper-parameters of Adam at risk .*beta2=0\.999: .*epsilon=1e-7: below float16's smallest normal 6\.1e-5 \(stored as 1\.1920928955078125e-7\).*use epsilon >= 0\.0001/);
    warnIfFloat16(tf.train.momentum(0.1, 0.9), { float16: true, warn });
    assert.equal(seen.length, 2, 'nothing at risk: no second warning');
    assert.equal(float16OptimizerWarning(tf.train.sgd(0.1)), null);
    assert.equal(float16BackendWarning(), seen[0]);
    warnIfFloat16(undefined, { float16: true, warn, repeat: true });
    assert.equal(seen.length, 3);
  });
});
