/**
 * The forced explosion of the article's regression network: SGD(0.01) on the unscaled
 * make_regression data (targets in the hundreds), batch 32, goes to Infinity at batch 8 and NaN at
 * batch 9 (measured on cpu with the seeded initialisation below). terminateOnNaN, lossSpikeDetector
 * (warn, stop, skip) and the default rules are checked against those steps.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { NonFiniteError, ValueError, lossSpikeDetector, terminateOnNaN, withClipping } from 'gradclip';
import { regressionData, regressionNetwork, weightValues } from './article-network.js';

const quiet = (): (() => void) => {
  const warn = console.warn;
  console.warn = () => {};
  return () => void (console.warn = warn);
};

describe('forced explosion (article regression, SGD lr 0.01, batch 32, cpu)', () => {
  let data: { x: tf.Tensor2D; y: tf.Tensor2D };
  let restore: () => void;
  before(async () => {
    await useBackend('cpu');
    data = regressionData(10000);
    restore = quiet();
  });
  after(() => {
    restore();
    tf.dispose([data.x, data.y]);
  });
  const fit = (m: tf.LayersModel, callbacks: (tf.Callback | tf.CustomCallback)[], extra: Partial<tf.ModelFitArgs> = {}) =>
    m.fit(data.x, data.y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0, callbacks, ...extra });
  const cap = (n: number) => new tf.CustomCallback({ onBatchEnd: async (b) => void (b >= n - 1 && (m0!.stopTraining = true)) });
  let m0: tf.LayersModel | null = null;

  it('goes non-finite at batch 8 (Infinity), and terminateOnNaN stops there naming the batch and the value', async () => {
    const m = (m0 = regressionNetwork(tf.train.sgd(0.01)));
    const stop = terminateOnNaN();
    const losses: number[] = [];
    const h = await fit(m, [stop, new tf.CustomCallback({ onBatchEnd: async (_b, l) => void losses.push(l!.loss as number) }), cap(40)]);
    assert.deepEqual(stop.stoppedAt, { epoch: 0, batch: 8, loss: Infinity });
    assert.equal(losses.length, 9, 'stopped after batch 8');
    assert.ok(losses.slice(0, 8).every(Number.isFinite));
    assert.ok(losses[7] > 1e29, `batch 7 loss ${losses[7]}`);
    assert.equal(h.history.loss.length, 1);
    m.dispose();
  });

  it('raiseError throws a NonFiniteError with the Keras message out of fit', async () => {
    const m = (m0 = regressionNetwork(tf.train.sgd(0.01)));
    await assert.rejects(fit(m, [terminateOnNaN({ raiseError: true }), cap(40)]), (e: Error) => {
      assert.ok(e instanceof NonFiniteError);
      assert.equal(e.message, 'NaN or Inf loss encountered at batch 8. Loss value: Infinity. Aborting training.');
      return true;
    });
    m.dispose();
  });

  it('lossSpikeDetector fires at batch 4 (sigma rule, window 8, warm-up 4) and with the defaults at batch 5 (10x max), before the NaN', async () => {
    const m = (m0 = regressionNetwork(withClipping(tf.train.sgd(0.01))));
    const short = lossSpikeDetector({ window: 8, warmup: 4, action: 'stop' });
    const dflt = lossSpikeDetector({ action: 'none' });
    await fit(m, [short, dflt, cap(10)]);
    assert.equal(short.spikes[0].batch, 4);
    assert.deepEqual(
      short.spikes.map((s) => [s.batch, s.series, s.rule]),
      [
        [4, 'loss', 'sigma'],
        [4, 'gradNorm', 'sigma'],
      ],
    );
    assert.match(short.spikes[0].message, /^Loss spike at step 5 \(epoch 0, batch 4\): 1\.44\de\+5 is above mean \+ 6·std of the last 4 steps .*Stopping training\.$/);
    assert.ok(short.stopRequested);
    m.dispose();
    const m2 = (m0 = regressionNetwork(withClipping(tf.train.sgd(0.01))));
    const d2 = lossSpikeDetector({ action: 'none' });
    await fit(m2, [d2, terminateOnNaN(), cap(40)]);
    const first = d2.spikes[0];
    assert.deepEqual([first.batch, first.series, first.rule], [5, 'loss', 'maxFactor']);
    assert.ok(first.value > first.threshold && first.value < 1e7, `value ${first.value}, threshold ${first.threshold}`);
    assert.ok(d2.spikes.every((s) => s.batch < 8 || s.rule === 'nonFinite' || s.batch >= 8), 'flagged before the Infinity at batch 8');
    assert.deepEqual(dflt.spikes, [], 'no spike by batch 9 with the defaults: the first comes at batch 5 in the run above');
    m2.dispose();
  });

  it("action 'skip' keeps the weights finite and unchanged by every skipped step", async () => {
    const opt = withClipping(tf.train.sgd(0.01));
    opt.enableStats(); // this test reads each step's statistics (the wrapper records them only on request)
    const m = (m0 = regressionNetwork(opt));
    const det = lossSpikeDetector({ window: 8, warmup: 4, action: 'skip' });
    let beforeStep: Record<string, Float32Array> = {};
    const skippedBatches: number[] = [];
    const check = new tf.CustomCallback({
      onBatchBegin: async () => void (beforeStep = await weightValues(m)),
      onBatchEnd: async (b, l) => {
        assert.ok(Number.isFinite(l!.loss as number), `batch ${b} loss ${String(l!.loss)}`);
        if ((await opt.readLastStats())!.skipped) {
          skippedBatches.push(b);
          const now = await weightValues(m);
          for (const [k, v] of Object.entries(beforeStep)) assert.deepEqual(now[k], v, `${k} changed by skipped batch ${b}`);
        }
      },
    });
    await fit(m, [det, check, cap(40)]);
    assert.equal(det.spikes[0].batch, 4);
    assert.equal(skippedBatches[0], 4, 'the first spike is skipped');
    assert.equal(opt.skippedSteps, skippedBatches.length);
    assert.ok(skippedBatches.length >= 30, `skipped ${skippedBatches.length} of 40`);
    assert.equal(opt.iterations, 40 - skippedBatches.length);
    for (const v of Object.values(await weightValues(m))) assert.ok(v.every(Number.isFinite));
    m.dispose();
  });

  it("action 'skip' without a ClippedOptimizer fails at fit start; options are validated at construction", async () => {
    const m = (m0 = regressionNetwork(tf.train.sgd(0.01)));
    await assert.rejects(fit(m, [lossSpikeDetector({ action: 'skip' })]), /lossSpikeDetector\(\{ action: 'skip' \}\) needs a ClippedOptimizer.*Received: model.optimizer="SGDOptimizer"/);
    m.dispose();
    assert.throws(() => lossSpikeDetector({ window: 1 }), (e: Error) => e instanceof ValueError && /`window` must be an integer >= 2\. Received: window=1/.test(e.message));
    assert.throws(() => lossSpikeDetector({ action: 'halt' as never }), /`action` must be one of 'warn', 'stop', 'skip', 'none'\. Received: action="halt"/);
    assert.throws(() => lossSpikeDetector({ maxFactor: 1 }), /`maxFactor` must be a finite number > 1 or null\. Received: maxFactor=1/);
    assert.throws(() => lossSpikeDetector({ sigmaFactor: null, maxFactor: null }), /At least one of/);
    assert.throws(() => lossSpikeDetector({ optimizer: tf.train.sgd(1) as never }), /`optimizer` must be a ClippedOptimizer/);
    assert.throws(() => lossSpikeDetector({ windw: 3 } as never), /`options\.windw` must be one of the options of lossSpikeDetector/);
    assert.throws(() => terminateOnNaN({ raiseError: 1 as never }), /`raiseError` must be a boolean\. Received: raiseError=1/);
  });
});
