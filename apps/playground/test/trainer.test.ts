/**
 * The worker's training loop in Node (tfjs cpu and wasm backends): the article's diverging regime,
 * what clipping does to it, the statistics each step reports, and no tensor leaks.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingFixes } from 'gradclip';
import { run as runSettings, type ProblemId, type RunSettings } from '../src/config.js';
import { decodeMnistAsset, type MnistDigitLike } from '../src/mnist-asset.js';
import { loadProblem, type Problem } from '../src/problems.js';
import { DIVERGED_AFTER, LAYER_EVERY, NOT_MEASURED, Run, type StepRow } from '../src/trainer.js';
import { mnistSubset } from '../scripts/make-assets.js';

tf.env().set('PROD', true);

let digits: ArrayLike<MnistDigitLike> | null = null;
const loadMnist = async (): Promise<ArrayLike<MnistDigitLike>> => (digits ??= decodeMnistAsset(mnistSubset(20)).digits);

async function steps(r: Run, n: number): Promise<StepRow[]> {
  const out: StepRow[] = [];
  for (let i = 0; i < n; i++) {
    const row = await r.step();
    if (row == null) break;
    out.push(row);
  }
  return out;
}

async function withRun<T>(problem: Problem, s: RunSettings, f: (r: Run) => Promise<T>, batchSize = 32, maxSteps = 1000, layerEvery?: number): Promise<T> {
  const r = new Run(0, s, problem, 65, batchSize, maxSteps, layerEvery);
  try {
    return await f(r);
  } finally {
    await r.dispose();
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`training loop [${backend}]`, () => {
    let regression: Problem;
    before(async () => {
      await tf.setBackend(backend);
      await tf.ready();
      if (backend === 'wasm') registerWasmTrainingFixes();
      regression = await loadProblem('regression', 65, loadMnist);
    });

    it('unscaled regression, SGD lr 0.01, no clipping: the loss is NaN/Inf within 20 steps and the run stops itself', async () => {
      await withRun(regression, runSettings('sgd', 0.01, 'none'), async (r) => {
        const rows = await steps(r, 200);
        const first = rows.findIndex((x) => !Number.isFinite(x.loss) || !Number.isFinite(x.gradNorm));
        assert.ok(first >= 0 && first < 20, `first non-finite step index ${first}`);
        const events = r.takeEvents();
        const nonFinite = events.filter((e) => e.kind === 'nonfinite');
        assert.equal(nonFinite.length, 1, 'one event for the whole NaN streak');
        assert.equal(nonFinite[0].step, rows[first].step);
        assert.equal(r.status, 'diverged');
        assert.ok(rows.length <= first + DIVERGED_AFTER + 1, `stopped after ${rows.length} steps`);
        assert.ok(events.some((e) => e.kind === 'spike'), 'the loss spike detector fired before the overflow');
      });
    });

    for (const [clip, t] of [['norm', 1], ['value', 3], ['global-norm', 1]] as const) {
      it(`the same with ${clip} ${t}: finite for 300 steps, clipping fires, and the applied norm obeys the bound`, async () => {
        await withRun(regression, runSettings('sgd', 0.01, clip, t), async (r) => {
          const rows = await steps(r, 300);
          assert.equal(rows.length, 300);
          assert.ok(rows.every((x) => Number.isFinite(x.loss) && Number.isFinite(x.gradNorm)));
          assert.ok(rows.filter((x) => x.clipped).length > 250);
          for (const x of rows) {
            if (clip === 'global-norm') assert.ok(x.clippedNorm <= t * (1 + 1e-5), `${x.clippedNorm}`);
            // Two tensors (kernel and bias) per layer, two layers: per-tensor clipping bounds the global norm by t·√4.
            if (clip === 'norm') assert.ok(x.clippedNorm <= 2 * t * (1 + 1e-5), `${x.clippedNorm}`);
            if (clip === 'value') assert.ok(x.clippedNorm <= t * Math.sqrt(1121) * (1 + 1e-5));
          }
          // Batch losses are noisy: compare the means of the first and the last 50 steps. (The
          // norm-clipped runs move at most lr·t per step and need thousands of steps to get there.)
          const mean = (xs: StepRow[]) => xs.reduce((a, x) => a + x.loss, 0) / xs.length;
          if (clip === 'value') assert.ok(mean(rows.slice(250)) < 0.9 * mean(rows.slice(0, 50)), `${mean(rows.slice(0, 50))} → ${mean(rows.slice(250))}`);
        });
      });
    }

    it("per-layer norms make up the global norm (sqrt of the sum of squares), and the layers are the model's", async () => {
      await withRun(regression, runSettings('adam', 0.001, 'none'), async (r) => {
        assert.deepEqual(r.layers, r.model.layers.filter((l) => l.trainableWeights.length > 0).map((l) => l.name));
        for (const x of await steps(r, 5)) {
          const sum = Math.sqrt(x.layerNorms.reduce((a, v) => a + v * v, 0));
          assert.ok(Math.abs(sum - x.gradNorm) <= 1e-4 * x.gradNorm, `${sum} vs ${x.gradNorm}`);
          assert.equal(x.clippedNorm, x.gradNorm);
        }
      }, 32, 1000, 1);
    });

    it('measures per-layer norms on every LAYER_EVERY-th step only (-1 on the others)', async () => {
      await withRun(regression, runSettings('adam', 0.001, 'none'), async (r) => {
        const rows = await steps(r, 2 * LAYER_EVERY + 1);
        const measured = rows.map((x) => x.layerNorms.every((v) => v > 0));
        assert.deepEqual(measured, rows.map((_, i) => i % LAYER_EVERY === 0));
        assert.ok(rows.filter((_, i) => i % LAYER_EVERY !== 0).every((x) => x.layerNorms.every((v) => v === NOT_MEASURED)));
      });
    });

    it("nonFinite 'skip' keeps the weights finite where 'propagate' loses them", async () => {
      await withRun(regression, runSettings('sgd', 0.01, 'none', undefined, 'skip'), async (r) => {
        const rows = await steps(r, 60);
        assert.ok(rows.some((x) => x.skipped), 'some steps were skipped');
        const w = await Promise.all(r.model.getWeights().map((t) => t.data()));
        assert.ok(w.every((a) => Array.from(a).every(Number.isFinite)), 'weights stay finite');
        assert.ok(r.takeEvents().some((e) => e.kind === 'skipped'));
      });
    });

    it("nonFinite 'error' stops the run with gradclip's NonFiniteError message", async () => {
      await withRun(regression, runSettings('sgd', 0.01, 'none', undefined, 'error'), async (r) => {
        await steps(r, 60);
        assert.equal(r.status, 'error');
        const err = r.takeEvents().find((e) => e.kind === 'error');
        assert.match(err?.message ?? '', /NonFiniteError/);
      });
    });

    for (const [problem, clip, batch] of [
      ['regression', 'zclip', 32],
      ['regression-exploding', 'agc', 32],
      ['regression-standardized', 'skip-on-spike', 32],
      ['mnist', 'autoclip', 16],
      ['cnn', 'global-norm', 4],
      ['adding-rnn', 'value', 16],
      ['adding-lstm', 'norm', 16],
    ] as [ProblemId, RunSettings['clip'], number][]) {
      it(`no tensor leaks: ${problem} with ${clip}, tf.memory().numTensors constant over 12 steps`, async () => {
        const p = problem === 'regression' ? regression : await loadProblem(problem, 65, loadMnist);
        try {
          await withRun(
            p,
            runSettings(problem === 'cnn' ? 'momentum' : 'adam', 0.001, clip),
            async (r) => {
              await steps(r, 3); // optimizer slots and statistics exist from here on
              const n = tf.memory().numTensors;
              const rows = await steps(r, 12);
              assert.equal(rows.length, 12);
              assert.equal(tf.memory().numTensors, n);
              assert.ok(rows.every((x) => Number.isFinite(x.loss)), `${problem}: finite losses`);
              assert.equal(rows[0].layerNorms.length, r.layers.length);
              assert.ok(rows.some((x) => x.layerNorms.every((v) => v >= 0)), 'per-layer norms measured on some steps');
            },
            batch,
          );
        } finally {
          if (p !== regression) p.dispose();
        }
      });
    }

    it('stops by itself after maxSteps, and disposing a run frees its model and optimizer', async () => {
      const before = tf.memory().numTensors;
      const r = new Run(0, runSettings('adam', 0.001, 'norm', 1), regression, 65, 32, 5);
      const rows = await steps(r, 10);
      assert.equal(rows.length, 5);
      assert.equal(r.status, 'done');
      await r.dispose();
      assert.equal(tf.memory().numTensors, before);
    });
  });
}

describe('the shipped MNIST digits', () => {
  it("decode to exactly the mnist package's first images of each digit", async () => {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('mnist') as ArrayLike<MnistDigitLike>;
    const { digits: d, header } = decodeMnistAsset(mnistSubset(5));
    assert.deepEqual(header.perDigit, Array(10).fill(5));
    for (let k = 0; k < 10; k++) assert.deepEqual(d[k].raw, pkg[k].raw.slice(0, 5 * 784), `digit ${k}`);
    assert.throws(() => decodeMnistAsset(new Uint8Array(16)), /not a playground MNIST asset/);
  });
});
