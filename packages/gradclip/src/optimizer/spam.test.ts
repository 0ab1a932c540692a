/**
 * SPAM against the official reference code's trajectories (test/fixtures/adaptive2-vectors.json,
 * made by running `TianjinYellow/SPAM-Optimizer` SPAM.py; see adaptive2-SPEC.md §2): weights after
 * every step within each case's tolerance, and the per-step diagnostics the reference recorded
 * (warm-up factor, momentum reset, clip window, clipped entries per tensor) equal to
 * `SPAM.lastStep` / `readLastStep`. Every 'spam' case of the file runs, so a held-back copy
 * (GRADCLIP_REFERENCE_DIR) goes through the same code.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { assertClose, type EncodedTensor } from '../../test/helpers/vectors.js';
import { checkSpamStep, spamConfig, type TrajectoryCase } from '../../test/helpers/adaptive2-cases.js';
import { loadTrajectories, replay, values } from '../../test/helpers/spam-vectors.js';
import { ConstantScalars } from './spam-shared.js';
import { BLEND_MIN_SIZE, SPAM, clipSpikesBlend, clipSpikesSelect, spamUpdateScale } from './spam.js';

const cases = loadTrajectories('spam');

/** The case's optimizer (test/helpers/adaptive2-cases.ts maps the reference's hyper-parameters; the browser suite uses it too). */
function fromHyper(c: TrajectoryCase): SPAM {
  return new SPAM(spamConfig(c));
}

describeBackends('SPAM reference trajectories', () => {
  for (const c of cases) {
    it(`${c.name}: weights after every step and the step diagnostics match the reference (${c.grads.length} steps)`, async () => {
      const opt = fromHyper(c);
      await replay(c, opt, async (t) => checkSpamStep(c, await opt.readLastStep(), t));
      opt.dispose();
    });
  }

  it(`every case with each tensor tiled to >= ${BLEND_MIN_SIZE} entries (the large-tensor clipping): every copy follows the reference`, async () => {
    // SPAM is elementwise within a tensor, so K copies of a tensor must each follow the trajectory.
    for (const c of cases) {
      const opt = fromHyper(c);
      const K = Math.max(...c.params0.map((p) => Math.ceil(BLEND_MIN_SIZE / values(p).length)));
      const tile = (e: EncodedTensor) => tf.tidy(() => tf.tile(tf.tensor(values(e), [1, ...e.shape], 'float32'), [K, ...e.shape.map(() => 1)]));
      const vars = c.params0.map((p) => tf.variable(tile(p)));
      for (let t = 0; t < c.grads.length; ++t) {
        const grads = c.grads[t].map((g, i) => ({ name: vars[i].name, tensor: tile(g) }));
        opt.applyGradients(grads);
        tf.dispose(grads.map((g) => g.tensor));
        for (let i = 0; i < vars.length; ++i) {
          const got = await vars[i].data();
          const want = values(c.expected.params[t][i]);
          for (let k = 0; k < K; ++k) assertClose(got.subarray(k * want.length, (k + 1) * want.length), want, c.tolerance, `${c.name} x${K} step ${t + 1} param ${i} copy ${k}`);
        }
        const aux = c.expected.aux?.[t];
        if (aux != null) assert.deepEqual((await opt.readLastStep())?.clipped, aux.n_clipped.map((n: number) => n * K), `${c.name} x${K} step ${t + 1}`);
      }
      tf.dispose(vars);
      opt.dispose();
    }
  });

  it('the two spike-clipping formulations agree bit for bit, NaN and ±Infinity included', async () => {
    // g² > θ·v → sign(g)·sqrt(θ·v); NaN is never a spike; ±Inf always is (while θ·v is finite)
    const g = [3, -3, 0.5, -0.5, 0, -0, 0, 2, NaN, Infinity, -Infinity, 1e-30, 4, -4, 1e30, -0.5];
    const tv = [1, 1, 1, 1, 1, 1, 0, 0, 1, 4, 4, 0, 16, 16, 1, 0.25];
    // 1e-30: g² underflows to 0 in float32, so it is no spike (as in the reference's float32 g*g)
    const want = [1, -1, 0.5, -0.5, 0, -0, 0, 0, NaN, 2, -2, Math.fround(1e-30), 4, -4, 1, -0.5];
    const gt = tf.tensor1d(g);
    const tvt = tf.tensor1d(tv);
    const constants = new ConstantScalars();
    const a = clipSpikesSelect(gt, tvt);
    const b = clipSpikesBlend(gt, tvt, (x) => constants.get(x));
    const [ga, gb] = [Array.from(await a.g.data()), Array.from(await b.g.data())];
    ga.forEach((x, i) => assert.ok(Object.is(x + 0, want[i] + 0), `select [${i}] g=${g[i]}: ${x} vs ${want[i]}`));
    gb.forEach((x, i) => assert.ok(Object.is(x + 0, want[i] + 0), `blend [${i}] g=${g[i]}: ${x} vs ${want[i]}`));
    // spikes: 3, -3, 2 (θ·v = 0), Inf, -Inf, 1e30 (4 and -0.5 sit exactly on g² = θ·v: no spike)
    assert.equal((await a.count.data())[0], 6);
    assert.equal((await b.count.data())[0], 6);
    tf.dispose([gt, tvt, a.g, a.count, b.g, b.count]);
    constants.dispose();
  });
});

it('warm-up factor: the closed form of the reference CosineDecay (SPEC §2.2 example, N_w = 3)', () => {
  // ΔT = 5: steps 1-4 are before the first reset (1); reset at 5 -> 0.01, 0.154982, 0.505, then 1.
  const got = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((t) => spamUpdateScale(t, 5, 3));
  const want = [1, 1, 1, 1, 0.01, 0.154982, 0.505, 1, 1, 0.01];
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-6, `step ${i + 1}: ${g} vs ${want[i]}`));
  // ΔT = 1: step 1 has no reset before it; every later step is a reset step.
  assert.equal(spamUpdateScale(1, 1, 3), 1);
  assert.ok(Math.abs(spamUpdateScale(2, 1, 3) - 0.01) < 1e-12);
  // N_w = 0: no warm-up at all.
  assert.equal(spamUpdateScale(10, 5, 0), 1);
});
