/**
 * gradclip's callbacks ask the wrapper for statistics while they train (it records none unasked),
 * withdraw the request afterwards, and get statistics for every step — the first one of a custom
 * loop included.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '@gradclip/testing/backends';
import { withClipping, type ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { MonitorCallback } from './monitor-callback.js';
import type { StepRecord } from './step-record.js';
import { TrainingMonitor } from './training-monitor.js';
import { terminateOnNaN } from './terminate-on-nan.js';
import { lossSpikeDetector } from './loss-spike-detector.js';
import { gradientLogs } from './gradient-logs.js';

/** A callback that keeps every record it sees. */
class Records extends MonitorCallback {
  readonly records: StepRecord[] = [];
  protected override async step(record: StepRecord): Promise<void> {
    this.records.push(record);
  }
}

function tiny(opt: ClippedOptimizer) {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputDim: 2 })] });
  m.compile({ optimizer: opt, loss: 'meanSquaredError' });
  return { m, x: tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), y: tf.tensor2d([[1], [2], [3], [4]]) };
}

/** A plain callback that notes, after each batch, whether the wrapper was recording. */
const watch = (opt: ClippedOptimizer, seen: boolean[]) => ({ onBatchEnd: async () => void seen.push(opt.statsRecording) });

describeBackends('statistics requests of the monitoring callbacks', () => {
  it('a callback that reads statistics asks for them during fit, gets them every step, and withdraws after', async () => {
    const opt = withClipping(tf.train.sgd(0.01), { clipnorm: 1 });
    const { m, x, y } = tiny(opt);
    const records = new Records(null);
    const seen: boolean[] = [];
    const n0 = tf.memory().numTensors;
    await m.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0, callbacks: [watch(opt, seen), records] as never });
    assert.deepEqual(seen, [true, true, true, true]);
    assert.deepEqual(
      records.records.map((r) => r.stats?.step),
      [1, 2, 3, 4],
      'statistics for every step',
    );
    assert.equal(opt.statsRecording, false, 'withdrawn after fit');
    assert.equal(opt.lastStats, null);
    assert.equal(tf.memory().numTensors, n0, 'nothing kept after fit');
    tf.dispose([x, y]);
    m.dispose();
  });

  it('terminateOnNaN and a skipping or loss-only spike detector read no statistics: nothing is recorded', async () => {
    for (const cb of [terminateOnNaN(), lossSpikeDetector({ on: ['loss'] }), lossSpikeDetector({ action: 'skip' })]) {
      const opt = withClipping(tf.train.sgd(0.01), { clipnorm: 1 });
      const { m, x, y } = tiny(opt);
      const seen: boolean[] = [];
      await m.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [watch(opt, seen), cb] as never });
      assert.deepEqual(seen, [false, false], cb.constructor.name);
      assert.equal(cb.readsStats, false);
      tf.dispose([x, y]);
      m.dispose();
    }
    assert.equal(lossSpikeDetector().readsStats, true, 'the gradient-norm series reads them');
  });

  it('gradientLogs asks for statistics while fit runs', async () => {
    const opt = withClipping(tf.train.sgd(0.01), { clipnorm: 1 });
    const { m, x, y } = tiny(opt);
    const norms: unknown[] = [];
    await m.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0, callbacks: [gradientLogs(), { onBatchEnd: async (_: number, logs?: tf.Logs) => void norms.push(logs?.grad_norm) }] as never });
    assert.equal(norms.length, 2);
    assert.ok(norms.every((n) => typeof n === 'number' && n > 0), `${norms}`);
    assert.equal(opt.statsRecording, false);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('TrainingMonitor: the first step of a loop without start() has statistics; close() withdraws every request', async () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const opt = withClipping(tf.train.sgd(0.1), { globalClipnorm: 1 });
    const records = new Records(null);
    const monitor = new TrainingMonitor({ optimizer: opt, callbacks: [records] });
    assert.equal(opt.statsRecording, true, 'asked before the first step');
    for (let i = 0; i < 3; i++) {
      opt.minimize(() => tf.sum(tf.square(v)) as tf.Scalar);
      await monitor.recordStep({ loss: i });
    }
    assert.deepEqual(records.records.map((r) => r.stats?.step), [1, 2, 3]);
    await monitor.close();
    assert.equal(opt.statsRecording, false);
    assert.equal(opt.lastStats, null);
    const quiet = new TrainingMonitor({ optimizer: opt, callbacks: [terminateOnNaN()] });
    assert.equal(opt.statsRecording, false, 'no callback that reads statistics: nothing asked');
    await quiet.close();
    opt.dispose();
    v.dispose();
  });
});
