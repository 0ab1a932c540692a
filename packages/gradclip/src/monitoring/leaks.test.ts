/** Every monitoring callback on at once, for over 500 steps of fit: no tensor leak, on cpu and wasm. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '@gradclip/testing/backends';
import { withClipping } from '../optimizer/clipped-optimizer.js';
import { terminateOnNaN } from './terminate-on-nan.js';
import { lossSpikeDetector } from './loss-spike-detector.js';
import { gradientHealth } from './gradient-health.js';
import { tensorBoard } from './tensorboard-callback.js';
import { csvLogger } from './csv-logger.js';
import { jsonlLogger } from './jsonl-logger.js';
import { progressBar } from './progress-bar.js';

describeBackends('monitoring callbacks', (backend) => {
  it('leak no tensor over 504 steps of fit with every callback on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gradclip-leak-${backend}-`));
    const x = tf.randomNormal([16, 6], 0, 1, 'float32', 1);
    const y = tf.randomNormal([16, 1], 0, 1, 'float32', 2);
    const opt = withClipping(tf.train.adam(0.01), { clipnorm: 0.5 });
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 5, activation: 'relu', inputDim: 6 }), tf.layers.dense({ units: 1 })] });
    m.compile({ optimizer: opt, loss: 'meanSquaredError', metrics: ['mae'] });
    await m.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 }); // optimizer slots
    let drawn = '';
    const sink = new Writable({ write: (chunk, _enc, cb) => void ((drawn += String(chunk)), cb()) });
    const warn = console.warn;
    console.warn = () => {};
    const spikes = lossSpikeDetector({ action: 'skip', window: 16, warmup: 8 });
    const health = gradientHealth({ freq: 10 });
    const before = tf.memory().numTensors;
    try {
      const h = await m.fit(x, y, {
        epochs: 63,
        batchSize: 2,
        validationData: [x, y],
        verbose: 0,
        callbacks: [
          terminateOnNaN(),
          spikes,
          health,
          tensorBoard(path.join(dir, 'tb'), { updateFreq: 'batch', histogramFreq: 1 }),
          csvLogger(path.join(dir, 'log.csv'), { updateFreq: 'batch' }),
          jsonlLogger(path.join(dir, 'log.jsonl'), { updateFreq: 'batch' }),
          progressBar({ stream: sink, noTTYOutput: true }),
        ],
      });
      assert.equal(h.history.loss.length, 63);
    } finally {
      console.warn = warn;
    }
    assert.equal(tf.memory().numTensors, before, `numTensors ${before} -> ${tf.memory().numTensors}`);
    assert.equal(health.reports.length, 50);
    assert.equal(opt.lastGradients, null);
    assert.deepEqual(opt.statsEnabled, { perVariable: false, updateRatios: false, keepGradients: false });
    const lines = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.filter((l) => l.includes('"kind":"batch"')).length, 504);
    assert.equal(lines.filter((l) => l.includes('"kind":"epoch"')).length, 63);
    assert.equal(fs.readFileSync(path.join(dir, 'log.csv'), 'utf8').trim().split('\n').length, 505);
    assert.match(drawn, /Epoch 63\/63: .*loss=/);
    tf.dispose([x, y]);
    m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
