/**
 * gradientLogs(): the step's gradient statistics in fit's batch and epoch logs, where a
 * tfjs-vis `show.fitCallbacks` object (here a plain object that reads `logs[metric]` exactly as
 * tfjs-vis does) and tfjs's History see them.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends, useBackend } from '@gradclip/testing/backends';
import { ValueError } from '../errors.js';
import { withClipping } from '../optimizer/clipped-optimizer.js';
import { GRADIENT_LOG_KEYS, gradientLogs } from './gradient-logs.js';

const CLIP = 0.5;

function setup(clip: number | null = CLIP) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 3, inputShape: [2], activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  const opt = withClipping(tf.train.sgd(0.05), clip == null ? {} : { globalClipnorm: clip });
  model.compile({ optimizer: opt, loss: 'meanSquaredError' });
  const x = tf.randomNormal([16, 2], 0, 1, 'float32', 3);
  const y = tf.randomNormal([16, 1], 0, 3, 'float32', 4);
  return { model, opt, x, y, dispose: () => { tf.dispose([x, y]); model.dispose(); } };
}

/** A stand-in for `tfvis.show.fitCallbacks(surface, metrics)`: records `log[metric]` per callback, as tfjs-vis does. */
function fakeFitCallbacks(metrics: string[]) {
  const seen: { onBatchEnd: Record<string, unknown>[]; onEpochEnd: Record<string, unknown>[] } = { onBatchEnd: [], onEpochEnd: [] };
  const make = (name: 'onBatchEnd' | 'onEpochEnd') => async (_: number, log: Record<string, unknown>) => {
    seen[name].push(Object.fromEntries(metrics.map((m) => [m, log[m]])));
  };
  return { callbacks: { onBatchEnd: make('onBatchEnd'), onEpochEnd: make('onEpochEnd') }, seen };
}

/** The global gradient norm of the model's MSE on (x, y) at its current weights, computed without gradclip. */
function referenceGlobalNorm(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor) as tf.Scalar);
    const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return Math.sqrt(tf.addN(sq).dataSync()[0]);
  });
}

describeBackends('gradientLogs', () => {
  it('first in a plain-object array: tfjs-vis-style callbacks read grad_norm, grad_norm_clipped, clipped, clip_rate from the batch logs', async () => {
    const { model, x, y, dispose } = setup();
    const expectedFirst = referenceGlobalNorm(model, x, y);
    const vis = fakeFitCallbacks(['loss', ...GRADIENT_LOG_KEYS]);
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, shuffle: false, callbacks: [gradientLogs(), vis.callbacks] as never });
    assert.equal(vis.seen.onBatchEnd.length, 2);
    const first = vis.seen.onBatchEnd[0] as Record<string, number>;
    for (const k of ['loss', ...GRADIENT_LOG_KEYS]) assert.equal(typeof first[k], 'number', `batch log ${k}`);
    // The independent gradient norm of the first (full) batch, at the initial weights.
    assert.ok(Math.abs(first.grad_norm - expectedFirst) <= 1e-5 * expectedFirst, `${first.grad_norm} vs ${expectedFirst}`);
    for (const b of vis.seen.onBatchEnd as Record<string, number>[]) {
      // Global-norm clipping: the applied norm is min(norm, c), and `clipped` says whether it fired.
      assert.ok(Math.abs(b.grad_norm_clipped - Math.min(b.grad_norm, CLIP)) <= 1e-5, JSON.stringify(b));
      assert.equal(b.clipped, b.grad_norm > CLIP ? 1 : 0);
      assert.equal(b.clip_rate, b.clipped); // one step per epoch
    }
    dispose();
  });

  it('epoch logs: means over the epoch and the clip rate, also in History', async () => {
    const { model, x, y, dispose } = setup();
    const batches: Record<string, number>[] = [];
    const epochs: Record<string, number>[] = [];
    const h = await model.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      verbose: 0,
      callbacks: [
        gradientLogs(),
        { onBatchEnd: async (_: number, l: Record<string, number>) => void batches.push({ ...l }), onEpochEnd: async (_: number, l: Record<string, number>) => void epochs.push({ ...l }) },
      ] as never,
    });
    assert.equal(batches.length, 8);
    const e0 = batches.slice(0, 4);
    const mean = (k: string, rows: Record<string, number>[]) => rows.reduce((a, r) => a + r[k], 0) / rows.length;
    assert.ok(Math.abs(epochs[0].grad_norm - mean('grad_norm', e0)) < 1e-9);
    assert.ok(Math.abs(epochs[0].grad_norm_clipped - mean('grad_norm_clipped', e0)) < 1e-9);
    assert.equal(epochs[0].clipped, e0.filter((b) => b.clipped === 1).length);
    assert.equal(epochs[0].clip_rate, epochs[0].clipped / 4);
    // The running clip rate restarts each epoch.
    assert.deepEqual(e0.map((b) => b.clip_rate), e0.map((_, i) => e0.slice(0, i + 1).filter((b) => b.clipped === 1).length / (i + 1)));
    assert.deepEqual(h.history.clip_rate, epochs.map((e) => e.clip_rate));
    assert.equal(h.history.grad_norm.length, 2);
    dispose();
  });

  it('in an array of tf.Callbacks (anywhere), with a prefix, and without clipping (clipped stays 0)', async () => {
    const { model, x, y, dispose } = setup(null);
    const seen: Record<string, number>[] = [];
    await model.fit(x, y, {
      epochs: 1,
      batchSize: 8,
      verbose: 0,
      callbacks: [tf.callbacks.earlyStopping({ monitor: 'loss', patience: 3 }), gradientLogs({ prefix: 'gc_' }) as never, new tf.CustomCallback({ onBatchEnd: async (_, l) => void seen.push({ ...(l as Record<string, number>) }) })],
    });
    assert.equal(seen.length, 2);
    for (const b of seen) {
      assert.ok(b.gc_grad_norm > 0);
      assert.equal(b.gc_grad_norm_clipped, b.gc_grad_norm);
      assert.equal(b.gc_clipped, 0);
      assert.equal(b.gc_clip_rate, 0);
      assert.equal('grad_norm' in b, false);
    }
    dispose();
  });

  it('leaks no tensors over a fit', async () => {
    const { model, x, y, dispose } = setup();
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, callbacks: [gradientLogs()] as never });
    const n = tf.memory().numTensors;
    await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, callbacks: [gradientLogs()] as never });
    assert.equal(tf.memory().numTensors, n);
    dispose();
  });
});

describe('gradientLogs: errors', () => {
  before(() => useBackend('cpu'));

  it('a model whose optimizer is not a ClippedOptimizer fails when training starts, naming it', async () => {
    const { x, y, dispose } = setup();
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    await assert.rejects(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [gradientLogs()] as never }), (e: unknown) => e instanceof ValueError && /withClipping/.test(e.message) && /SGDOptimizer/.test(e.message));
    model.dispose();
    dispose();
  });

  it('bad options are ValueErrors naming the option', () => {
    assert.throws(() => gradientLogs({ prefix: 3 as never }), /`prefix` must be a string. Received: prefix=3/);
    assert.throws(() => gradientLogs({ optimizer: tf.train.sgd(0.1) as never }), /`optimizer` must be a ClippedOptimizer/);
    assert.throws(() => gradientLogs({ every: 2 } as never), /options.every/);
  });
});
