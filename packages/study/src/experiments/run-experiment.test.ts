import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@gradclip/testing/backends';
import { runExperiment } from './run-experiment.js';
import { studySpecs } from './studies.js';
import type { ExperimentSpec, RunResult } from './types.js';

const tiny: ExperimentSpec = {
  name: 'tiny',
  data: { kind: 'regression', nSamples: 200 },
  model: 'regression-mlp',
  optimizer: { name: 'adam', learningRate: 0.01 },
  clip: { clipnorm: 1 },
  epochs: 2,
  batchSize: 32,
  seed: 7,
  backend: 'cpu',
};
const opts = { now: () => 0 };

describe('runExperiment', () => {
  it('is deterministic: same spec and seed twice give identical results (cpu)', async () => {
    const a = await runExperiment(tiny, opts);
    const b = await runExperiment(tiny, opts);
    assert.deepEqual(a, b);
    assert.equal(a.backend, 'cpu');
    assert.equal(a.stepsRun, 2 * Math.ceil(160 / 32));
    assert.equal(a.epochs.length, 2);
    assert.equal(a.steps.globalNorm.length, a.stepsRun);
    const c = await runExperiment({ ...tiny, seed: 8 }, opts);
    assert.notDeepEqual(c.steps.loss, a.steps.loss);
  });

  it('returns plain JSON', async () => {
    const r = await runExperiment(tiny, opts);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  it('records norms before and after clipping and the clip rate', async () => {
    const r = await runExperiment(tiny, opts);
    r.steps.globalNorm.forEach((g, i) => {
      assert.ok(g != null && g > 0);
      const c = r.steps.clippedNorm[i] as number;
      assert.ok(c <= g * (1 + 1e-5));
    });
    assert.equal(r.clipRate, r.steps.clipped.filter((v) => v === 1).length / r.stepsRun);
    assert.ok(r.clipRate > 0.9, 'unscaled targets: clipnorm 1 fires on (nearly) every step');
  });

  it('leaves tf.memory().numTensors unchanged', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    await runExperiment(tiny, opts);
    await runExperiment({ ...tiny, name: 'cls', data: { kind: 'mnist', maxTrain: 64, maxTest: 32 }, model: 'mnist-mlp', epochs: 1 }, opts);
    assert.equal(tf.memory().numTensors, before);
  });

  it('records the step where SGD lr 0.01 on unscaled data goes non-finite, and stops there', async () => {
    const r: RunResult = await runExperiment({ ...tiny, name: 'sgd', optimizer: { name: 'sgd', learningRate: 0.01 }, clip: {}, epochs: 3 }, opts);
    assert.ok(r.firstNonFinite != null);
    assert.ok(r.firstNonFinite.step <= 12, `step ${r.firstNonFinite.step}`);
    assert.equal(r.stepsRun, r.firstNonFinite.step);
    assert.equal(r.stoppedEarly, true);
    assert.equal(r.finalLoss, null);
    const clipped = await runExperiment({ ...tiny, name: 'sgd-clip', optimizer: { name: 'sgd', learningRate: 0.01 }, clip: { clipnorm: 1 }, epochs: 3 }, opts);
    assert.equal(clipped.firstNonFinite, null);
  });

  it('writes TensorBoard logs to <logdir>/<name>/train and /validation', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gradclip-tb-'));
    try {
      await runExperiment(tiny, { ...opts, logdir: dir });
      for (const split of ['train', 'validation']) {
        const files = readdirSync(path.join(dir, 'tiny', split));
        assert.equal(files.filter((f) => f.startsWith('events.out.tfevents.')).length, 1);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates the spec before training', async () => {
    await assert.rejects(runExperiment({ ...tiny, epochs: 0 }), /`epochs` must be an integer >= 1. Received: epochs=0/);
    await assert.rejects(runExperiment({ ...tiny, clip: { clipnorm: 1, clipvalue: 1 } }), /Only one of `clipnorm`, `clipvalue` and `globalClipnorm`/);
    await assert.rejects(runExperiment({ ...tiny, model: 'mnist-mlp' }), /`model` must be one of regression-mlp for data.kind 'regression'/);
  });
});

describe('runExperiment: AdaGC, SPAM and Stable-SPAM (the adaptive set, --quick)', () => {
  const quick = studySpecs('adaptive', { quick: true, backend: 'cpu', epochs: 3 });
  const pick = (name: string): ExperimentSpec => {
    const s = quick.find((x) => x.name === name);
    assert.ok(s, name);
    return s;
  };
  const cases = ['adding-rnn-sgd-adagc', 'adding-rnn-adam-adagc', 'adding-rnn-spam-none', 'adding-rnn-spam-dt2-none', 'adding-rnn-stable-spam-none', 'adding-rnn-stable-spam-dt2-none'];

  for (const name of cases) {
    it(`${name}: trains without NaN and without leaking tensors`, async () => {
      await tf.setBackend('cpu');
      const before = tf.memory().numTensors;
      const r = await runExperiment(pick(name), opts);
      assert.equal(tf.memory().numTensors, before, 'tensors left behind');
      assert.equal(r.firstNonFinite, null);
      assert.equal(r.firstNonFiniteGradNorm, null);
      assert.ok(r.stepsRun > 0 && r.stepsRun === r.steps.loss.length);
      assert.ok(r.finalValLoss != null && Number.isFinite(r.finalValLoss));
      assert.ok(r.steps.loss.every((l) => l != null && Number.isFinite(l)));
      if (name.includes('adagc')) {
        // All 6 steps are AdaGC's warm-up (100 steps): global-norm clipping at maxNorm 1.0.
        r.steps.globalNorm.forEach((g, i) => {
          assert.ok(g != null);
          if (Math.abs(g - 1) > 1e-4) assert.equal(r.steps.clipped[i], g > 1 ? 1 : 0, `step ${i + 1}, norm ${g}`);
          if (g > 1) assert.ok(Math.abs((r.steps.clippedNorm[i] as number) - 1) < 1e-4, `step ${i + 1} clipped to norm 1`);
        });
      }
    });
  }

  it('records what SPAM and Stable-SPAM clipped and when they reset (and nothing for the other optimizers)', async () => {
    // quick RNN: 64 sequences, batch 32, 3 epochs = 6 steps; scaled ΔT = max(2, round(6 / 10)) = 2.
    const spamScaledRun = await runExperiment(pick('adding-rnn-spam-dt2-none'), opts);
    const oc = spamScaledRun.optimizerClipping;
    assert.ok(oc != null);
    assert.equal(oc.clippedEntries.length, spamScaledRun.stepsRun);
    assert.equal(spamScaledRun.stepsRun, 6);
    assert.deepEqual(oc.momentumResets, [2, 4, 6], 'SPAM resets on steps t with t % ΔT == 0');
    assert.equal(oc.entries, 2 * 32 + 32 * 32 + 32 + 32 + 1, 'the SimpleRNN(32) and Dense(1) entries');
    // N_a = 1: clipping is active on steps t with t % 2 >= 1, and right after a reset v is 0, so on
    // steps 3 and 5 every entry with g² > θ·v (v from one step) can clip; on even steps none does.
    assert.deepEqual([1, 3, 5].map((i) => oc.clippedEntries[i]), [0, 0, 0], 'inactive on the reset steps 2, 4, 6');
    assert.equal(oc.clipRate, oc.clippedEntries.filter((n) => n > 0).length / spamScaledRun.stepsRun);
    const stable = await runExperiment(pick('adding-rnn-stable-spam-dt2-none'), opts);
    assert.deepEqual(stable.optimizerClipping?.momentumResets, [2, 4, 6]);
    const defaults = await runExperiment(pick('adding-rnn-spam-none'), opts);
    assert.deepEqual(defaults.optimizerClipping?.momentumResets, [], 'ΔT 500 never fires in 6 steps');
    assert.deepEqual(defaults.optimizerClipping?.clippedEntries, [0, 0, 0, 0, 0, 0], 'no spike clipping before step N_a = 20');
    const adam = await runExperiment(pick('adding-rnn-adam-none'), opts);
    assert.equal(adam.optimizerClipping, null);
  });
});
