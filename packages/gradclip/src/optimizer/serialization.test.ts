/** The wrapper's config and the transform state weight. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { resolveClippingOptions } from './clipping-options.js';
import { TRANSFORM_STATE_WEIGHT, clippedOptimizerConfig, parseClippedOptimizerConfig, readTransformState, transformStateWeight } from './serialization.js';
import * as transforms from '../transforms/index.js';

describe('ClippedOptimizer serialization', () => {
  it('the transform state travels as UTF-8 JSON bytes, NaN and ±Infinity included', async () => {
    const state = { count: 3, norms: [1.5, NaN, Infinity, -Infinity], nested: { ok: true, name: 'é' } };
    const w = transformStateWeight(state);
    assert.equal(w.name, TRANSFORM_STATE_WEIGHT);
    assert.equal(w.tensor.dtype, 'int32');
    const other = { name: 'iter', tensor: tf.scalar(2) };
    const r = await readTransformState([other, w]);
    assert.equal(r.found, true);
    assert.deepEqual(r.state, state);
    assert.deepEqual(r.rest, [other]);
    const none = await readTransformState([other]);
    assert.deepEqual(none, { found: false, state: undefined, rest: [other] });
    tf.dispose([w.tensor, other.tensor]);
  });

  it('config round trip: inner optimizer and every option', () => {
    const options = resolveClippingOptions({ clipnorm: 2, nonFinite: 'skip', weightDecay: 0.01 });
    const config = clippedOptimizerConfig(tf.train.adam(0.1, 0.8, 0.9), options);
    assert.deepEqual(config, {
      inner: { className: 'Adam', config: { learningRate: 0.1, beta1: 0.8, beta2: 0.9, epsilon: tf.backend().epsilon() } },
      clipnorm: 2,
      clipvalue: null,
      globalClipnorm: null,
      nonFinite: 'skip',
      transform: null,
      transformSaveable: true,
      weightDecay: 0.01,
    });
    const { inner, options: back } = parseClippedOptimizerConfig(JSON.parse(JSON.stringify(config)));
    assert.ok(inner instanceof tf.AdamOptimizer);
    assert.deepEqual(inner.getConfig(), (config.inner as { config: unknown }).config);
    assert.deepEqual(back, { clipnorm: 2, clipvalue: null, globalClipnorm: null, nonFinite: 'skip', transform: null, weightDecay: 0.01 });
    inner.dispose();
  });

  it('a transform spec is saved; a transform object makes the config unloadable, and says how to fix it', () => {
    const spec = { name: 'zClip' as const, args: [{ zThresh: 2.5 }] };
    const saved = clippedOptimizerConfig(tf.train.sgd(0.1), resolveClippingOptions({ transform: spec }));
    assert.deepEqual(saved.transform, spec);
    assert.equal(saved.transformSaveable, true);
    assert.deepEqual(parseClippedOptimizerConfig(saved).options.transform, spec);
    const object = clippedOptimizerConfig(tf.train.sgd(0.1), resolveClippingOptions({ transform: transforms.zClip() }));
    assert.equal(object.transformSaveable, false);
    assert.throws(() => parseClippedOptimizerConfig(object), (e: Error) => e instanceof ValueError && /saved with a transform given as an object.*Pass the transform as a spec/.test(e.message));
  });

  it('names a missing or unregistered inner class', () => {
    assert.throws(
      () => parseClippedOptimizerConfig({ inner: { config: {} } }),
      (e: Error) => e instanceof ValueError && e.message.startsWith('ClippedOptimizer config must have `inner.className`. Received: inner='),
    );
    assert.throws(
      () => parseClippedOptimizerConfig({ inner: { className: 'NoSuchOptimizer', config: {} } }),
      /cannot rebuild the inner optimizer 'NoSuchOptimizer': no class of that name is registered\. Register it with tf\.serialization\.registerClass/,
    );
  });
});
