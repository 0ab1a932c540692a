/**
 * `fit` of the article's regression network with the TensorBoard callback, read back with the
 * independent decoder (protobufjs + bitwise CRC32C), values compared with what `fit` reported.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { withClipping, type StepStats } from '../optimizer/clipped-optimizer.js';
import { readRecords, decodeEvent, type DecodedEvent } from '../tensorboard/testing/decode-events.js';
import { tensorBoard } from './tensorboard-callback.js';
import { regressionNetwork, unscaledRegressionData } from '../../test/helpers/article-regression.js';

type Series = Map<string, [number, number][]>;

function eventFile(dir: string): string {
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
  assert.equal(files.length, 1, `one event file in ${dir}: ${files}`);
  return path.join(dir, files[0]);
}

function readRun(dir: string): { events: DecodedEvent[]; scalars: Series; histograms: Set<string> } {
  const { records, stopped } = readRecords(new Uint8Array(fs.readFileSync(eventFile(dir))));
  assert.equal(stopped, undefined, 'every record passes both CRCs');
  const events = records.map(decodeEvent);
  assert.equal(events[0].fileVersion, 'brain.Event:2');
  const scalars: Series = new Map();
  const histograms = new Set<string>();
  for (const e of events) {
    for (const v of e.summary?.value ?? []) {
      if (v.metadata?.pluginData?.pluginName === 'histograms') histograms.add(v.tag);
      else if (v.simpleValue !== undefined) scalars.set(v.tag, [...(scalars.get(v.tag) ?? []), [e.step, v.simpleValue]]);
    }
  }
  return { events, scalars, histograms };
}

describe('tensorBoard callback', () => {
  let logdir: string;
  before(async () => {
    await useBackend('cpu');
    logdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradclip-tb-'));
  });
  after(() => fs.rmSync(logdir, { recursive: true, force: true }));

  it('writes train and validation runs whose decoded scalars equal what fit reported, plus histograms', async () => {
    const { x, y } = unscaledRegressionData(512);
    const opt = withClipping(tf.train.adam(), { globalClipnorm: 1 });
    const m = regressionNetwork(opt);
    const batchLoss: number[] = [];
    const stats: StepStats[] = [];
    const tb = tensorBoard(logdir, { updateFreq: 'batch', histogramFreq: 1 });
    const probe = new tf.CustomCallback({
      onBatchEnd: async (_b, logs) => {
        batchLoss.push(logs!.loss as number);
        stats.push((await opt.readLastStats())!);
      },
    });
    const h = await m.fit(x, y, { epochs: 2, batchSize: 32, validationSplit: 0.25, shuffle: false, verbose: 0, callbacks: [tb, probe] });
    tb.close();
    const f = Math.fround;
    const train = readRun(path.join(logdir, 'train'));
    const steps = batchLoss.length;
    assert.equal(steps, 2 * 12, '384 training samples / 32 per batch, 2 epochs');
    assert.deepEqual(train.scalars.get('batch_loss'), batchLoss.map((v, i) => [i + 1, f(v)]));
    assert.deepEqual(train.scalars.get('batch_grad_norm'), stats.map((s, i) => [i + 1, f(s.globalNorm)]));
    assert.deepEqual(train.scalars.get('batch_grad_norm_clipped'), stats.map((s, i) => [i + 1, f(s.clippedNorm)]));
    assert.deepEqual(train.scalars.get('batch_clip_rate'), stats.map((s, i) => [i + 1, s.clipped ? 1 : 0]));
    assert.ok(stats.every((s) => s.clipped && s.clippedNorm <= 1.0001), 'targets in the hundreds: every step clips to 1');
    assert.deepEqual(train.scalars.get('batch_skipped'), stats.map((_, i) => [i + 1, 0]));
    assert.deepEqual(train.scalars.get('batch_nonfinite_count'), stats.map((_, i) => [i + 1, 0]));
    assert.deepEqual(train.scalars.get('batch_learning_rate'), stats.map((_, i) => [i + 1, f(0.001)]));
    assert.deepEqual(train.scalars.get('epoch_loss'), (h.history.loss as number[]).map((v, e) => [e, f(v)]));
    const meanNorm = (e: number) => stats.slice(e * 12, e * 12 + 12).reduce((a, s) => a + s.globalNorm, 0) / 12;
    const epochNorm = train.scalars.get('epoch_grad_norm')!;
    epochNorm.forEach(([step, v], e) => {
      assert.equal(step, e);
      assert.ok(Math.abs(v - meanNorm(e)) <= 1e-6 * meanNorm(e), `epoch ${e}: ${v} vs ${meanNorm(e)}`);
    });
    assert.deepEqual(train.scalars.get('epoch_clip_rate'), [[0, 1], [1, 1]]);
    assert.deepEqual(train.scalars.get('epoch_skipped_steps'), [[0, 0], [1, 0]]);
    for (const w of m.weights) {
      assert.ok(train.histograms.has(`weights/${w.name}`), `weights/${w.name}`);
      assert.ok(train.histograms.has(`gradients/${w.name}`), `gradients/${w.name}`);
      assert.deepEqual(train.scalars.get(`gradients/${w.name}/nan_count`), [[0, 0], [1, 0]]);
    }
    assert.equal(opt.lastGradients, null, 'kept gradients released after the histogram epoch');
    const val = readRun(path.join(logdir, 'validation'));
    assert.deepEqual(val.scalars.get('epoch_loss'), (h.history.val_loss as number[]).map((v, e) => [e, f(v)]));
    assert.equal(val.scalars.get('batch_loss'), undefined);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('a truncated event file still yields its earlier records', () => {
    const file = eventFile(path.join(logdir, 'train'));
    const bytes = new Uint8Array(fs.readFileSync(file));
    const full = readRecords(bytes).records.length;
    const cut = readRecords(bytes.subarray(0, bytes.length - 7));
    assert.equal(cut.records.length, full - 1);
    assert.equal(cut.stopped?.reason, 'truncated data');
    assert.equal(decodeEvent(cut.records[1]).summary?.value[0].tag, 'batch_loss');
  });

  it('validates its arguments', () => {
    assert.throws(() => tensorBoard('', {}), /`logdir` must be a non-empty string\. Received: logdir=""/);
    assert.throws(() => tensorBoard('logs', { updateFreq: 'step' as never }), /`updateFreq` must be 'batch', 'epoch' or an integer >= 1\. Received: updateFreq="step"/);
    assert.throws(() => tensorBoard('logs', { histogramFreq: -1 }), /`histogramFreq` must be an integer >= 0\. Received: histogramFreq=-1/);
  });
});
