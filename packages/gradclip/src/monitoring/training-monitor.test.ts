import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { withClipping } from '../optimizer/clipped-optimizer.js';
import { TrainingMonitor } from './training-monitor.js';
import { terminateOnNaN } from './terminate-on-nan.js';
import { lossSpikeDetector } from './loss-spike-detector.js';
import { csvLogger } from './csv-logger.js';
import { jsonlLogger } from './jsonl-logger.js';

describe('TrainingMonitor (custom loops)', () => {
  before(async () => {
    await useBackend('cpu');
  });

  it('feeds detectors and loggers from minimize steps; a skip gate works without fit; no leak', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradclip-tm-'));
    const w = tf.variable(tf.tensor2d([[0.5], [-0.5]]), true, 'tm_w');
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const y = tf.tensor2d([[1], [2], [3]]);
    const opt = withClipping(tf.train.sgd(0.002), { globalClipnorm: 5 });
    const spikes = lossSpikeDetector({ window: 8, warmup: 4, action: 'skip', on: ['loss'] });
    const csvPath = path.join(dir, 'steps.csv');
    const monitor = new TrainingMonitor({ optimizer: opt, callbacks: [spikes, terminateOnNaN(), csvLogger(csvPath, { updateFreq: 'batch' }), jsonlLogger(path.join(dir, 'e.jsonl'))] });
    await monitor.start();
    const warn = console.warn;
    console.warn = () => {};
    let before = -1;
    let scale = 1;
    try {
      for (let i = 0; i < 20; i++) {
        if (i === 0) before = tf.memory().numTensors; // nothing kept yet: the statistics are disposed when the monitor closes
        if (i === 12) scale = 1000; // a corrupted batch: the loss jumps by ~1e6
        if (i === 13) scale = 1;
        const loss = opt.minimize(() => tf.losses.meanSquaredError(tf.mul(y, scale), tf.matMul(x, w)) as tf.Scalar, true)!;
        const { stop, step } = await monitor.recordStep({ loss });
        loss.dispose();
        assert.equal(step, i + 1);
        assert.equal(stop, false);
      }
      await monitor.endEpoch({ loss: 0.5, val_loss: 0.75 });
    } finally {
      console.warn = warn;
    }
    await monitor.close();
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(spikes.spikes.map((s) => s.message).length, 1, spikes.spikes.map((s) => s.message).join('\n'));
    assert.deepEqual(spikes.spikes.map((s) => [s.step, s.batch, s.rule]), [[13, 12, 'sigma']]);
    assert.equal(opt.skippedSteps, 1);
    assert.equal(opt.iterations, 19);
    const rows = fs.readFileSync(csvPath, 'utf8').trim().split('\n');
    assert.equal(rows[0], 'step,epoch,batch,clip_rate,grad_norm,grad_norm_clipped,learning_rate,loss,nonfinite_count,skipped');
    assert.equal(rows.length, 21);
    assert.match(rows[13], /^13,0,12,.*,1$/, 'the spike row says skipped');
    const epochLine = JSON.parse(fs.readFileSync(path.join(dir, 'e.jsonl'), 'utf8').trim());
    assert.equal(epochLine.kind, 'epoch');
    assert.equal(epochLine.val_loss, 0.75);
    assert.equal(epochLine.skipped_steps, 1);
    tf.dispose([w, x, y]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports stop when the loss is not finite', async () => {
    const monitor = new TrainingMonitor({ callbacks: [terminateOnNaN()] });
    const warn = console.warn;
    console.warn = () => {};
    try {
      assert.equal((await monitor.recordStep({ loss: 1 })).stop, false);
      assert.equal((await monitor.recordStep({ loss: NaN })).stop, true);
    } finally {
      console.warn = warn;
    }
    await monitor.close();
    await assert.rejects(monitor.recordStep({ loss: 1 }), /closed/);
    assert.throws(() => new TrainingMonitor({ callbacks: [{}] as never }), /`callbacks` must be an array of gradclip callbacks/);
  });
});
