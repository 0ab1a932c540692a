/**
 * gradclip's callbacks in one `callbacks` array with plain callback objects (`{ onEpochEnd }`, as
 * tfjs-vis returns) and tfjs's own callbacks. tfjs decides how to treat the whole array from its
 * first element: a `tf.Callback` first means "all are tf.Callbacks", anything else means "all are
 * plain objects" (each wrapped in a `tf.CustomCallback`).
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { withClipping } from '../optimizer/clipped-optimizer.js';
import { gradientHealth } from './gradient-health.js';
import { terminateOnNaN } from './terminate-on-nan.js';
import { lossSpikeDetector } from './loss-spike-detector.js';

function setup(): { model: tf.Sequential; x: tf.Tensor; y: tf.Tensor; dispose: () => void } {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2], activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }), tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })] });
  model.compile({ optimizer: withClipping(tf.train.sgd(0.01), { clipnorm: 1 }), loss: 'meanSquaredError' });
  const x = tf.randomNormal([16, 2], 0, 1, 'float32', 3);
  const y = tf.randomNormal([16, 1], 0, 1, 'float32', 4);
  return { model, x, y, dispose: () => { tf.dispose([x, y]); model.dispose(); } };
}

describe('gradclip callbacks mixed with other callbacks in fit', () => {
  before(() => useBackend('cpu'));

  it('works after a plain { onEpochEnd } object, and both see every epoch', async () => {
    const { model, x, y, dispose } = setup();
    const health = gradientHealth({ freq: 1, log: false });
    const epochs: number[] = [];
    await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [{ onEpochEnd: async (epoch: number) => void epochs.push(epoch) }, health] as never });
    assert.deepEqual(epochs, [0, 1, 2]);
    assert.ok(health.reports.length > 0, 'gradientHealth found the model and its optimizer');
    dispose();
  });

  it('works before a tf.CustomCallback and before tf.callbacks.earlyStopping', async () => {
    const { model, x, y, dispose } = setup();
    const health = gradientHealth({ freq: 1, log: false });
    const epochs: number[] = [];
    const h = await model.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      verbose: 0,
      callbacks: [health, new tf.CustomCallback({ onEpochEnd: async (epoch: number) => void epochs.push(epoch) }), tf.callbacks.earlyStopping({ monitor: 'loss', patience: 5 })],
    });
    assert.deepEqual(epochs, [0, 1, 2]);
    assert.equal(h.epoch.length, 3);
    assert.ok(health.reports.length > 0);
    dispose();
  });

  it('before a plain object, tfjs itself fails first (its rule: the first element decides); the README says to put plain objects first', async () => {
    const { model, x, y, dispose } = setup();
    await assert.rejects(
      model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [gradientHealth({ log: false }), { onEpochEnd: async () => {} }] as never }),
      /setParams is not a function/,
    );
    dispose();
  });

  it('a gradclip callback inside a plain-object array still finds the model: terminateOnNaN stops fit', async () => {
    const { model, x, dispose } = setup();
    const yBad = tf.fill([16, 1], NaN);
    const stop = terminateOnNaN();
    const batches: number[] = [];
    const warn = console.warn;
    console.warn = () => {};
    try {
      await model.fit(x, yBad, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [{ onBatchEnd: async (b: number) => void batches.push(b) }, stop] as never });
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(batches, [0], 'stopped after the first batch');
    assert.equal(stop.stoppedAt?.batch, 0);
    yBad.dispose();
    dispose();
  });

  it("works after a tfjs callback (tf.callbacks.earlyStopping first)", async () => {
    const { model, x, y, dispose } = setup();
    const spikes = lossSpikeDetector({ action: 'none' });
    const h = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [tf.callbacks.earlyStopping({ monitor: 'loss', patience: 5 }), spikes] });
    assert.equal(h.epoch.length, 2);
    dispose();
  });

  it('two fits at once, each with [plain, terminateOnNaN()]: each callback stops its own model only', async () => {
    const a = setup();
    const b = setup();
    const yBad = tf.fill([16, 1], NaN);
    const stopA = terminateOnNaN();
    const stopB = terminateOnNaN();
    const warn = console.warn;
    console.warn = () => {};
    try {
      const [ha, hb] = await Promise.all([
        a.model.fit(a.x, yBad, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [{ onEpochEnd: async () => {} }, stopA] as never }),
        b.model.fit(b.x, b.y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [{ onEpochEnd: async () => {} }, stopB] as never }),
      ]);
      assert.equal(ha.epoch.length, 1, 'A stopped in its first epoch');
      assert.equal(hb.epoch.length, 3, 'B trained all its epochs');
      assert.equal(stopB.stoppedAt, null);
      // Each got its own fit's model (for a Sequential, tfjs hands callbacks its inner LayersModel).
      assert.ok(stopA.model != null && stopB.model != null && stopA.model !== stopB.model);
    } finally {
      console.warn = warn;
    }
    yBad.dispose();
    a.dispose();
    b.dispose();
  });
});
