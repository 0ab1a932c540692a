/**
 * AdaGC + AdamW against the trajectories of the official reference code (lishuai-97/AdaGC
 * `clip_grads.py` class `AdaGC`, then torch 1.13 `AdamW`; test/fixtures/adaptive2-vectors.json,
 * spec in adaptive2-SPEC.md), through the public API only:
 * `withClipping(tf.train.adam(lr, b1, b2, eps), { transform: { name: 'adaGC', … }, weightDecay })`.
 *
 * Every case whose `method` is `adagc` runs (dispatched on the method, never the name), so the
 * held-back cases with other seeds and hyper-parameters run through the same code
 * (GRADCLIP_REFERENCE_DIR points at their directory). Checked after every step, with each case's
 * tolerance: the parameters (fused update on, and off), the clipped gradients the transform
 * returns, and γ against the reference's `aux.gamma_after` when the case records it. The runners
 * are test/helpers/adaptive2-cases.ts's, which the browser suite runs too.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { adaGCAdamW, adaGCOptions, adaGCTransformSteps, checkAdaGCState, replay, type AdaGCStateLike, type TrajectoryCase } from '../../test/helpers/adaptive2-cases.js';
import { loadTrajectories } from '../../test/helpers/spam-vectors.js';
import { ClippedOptimizer, setFusedUpdateEnabled, transforms, withClipping } from '../index.js';
// Internal counter only, to see that the fused update (with its weight decay) really ran.
import { fusedUpdates } from '../optimizer/fused-update.js';

const CASES = loadTrajectories('adagc');

/** The case through the wrapper (NamedTensor[] form); returns the parameters' bits after every step. */
async function trajectory(c: TrajectoryCase, fused: boolean): Promise<Uint32Array[][]> {
  const f0 = fusedUpdates.steps;
  const h = adaGCAdamW(c);
  const before = setFusedUpdateEnabled(fused);
  const tag = Math.random().toString(36).slice(2);
  const opt = withClipping(tf.train.adam(h.lr, h.beta1, h.beta2, h.eps), {
    transform: { name: 'adaGC', args: [adaGCOptions(c)] },
    weightDecay: h.weightDecay,
  });
  let bits: Uint32Array[][];
  try {
    bits = await replay(c, opt, (t) => checkAdaGCState(c, (opt as ClippedOptimizer).transformStateValue as AdaGCStateLike, t), {
      form: 'array',
      names: (i) => `adagc_${c.name}_${tag}_${i}`,
    });
  } finally {
    setFusedUpdateEnabled(before);
    opt.dispose();
  }
  // Adam makes its slots through tfjs on the first step; the fused update takes every later one.
  assert.equal(fusedUpdates.steps - f0, fused ? c.grads.length - 1 : 0, 'fused steps');
  return bits;
}

describeBackends('AdaGC + AdamW reference trajectories (official code)', () => {
  it('the fixture has AdaGC cases', () => assert.ok(CASES.length >= 4, `${CASES.length} cases`));

  for (const c of CASES) {
    it(`${c.name}: parameters and γ after every step within tolerance, fused update bit-identical to tfjs's`, async () => {
      const fused = await trajectory(c, true);
      const unfused = await trajectory(c, false);
      assert.deepEqual(fused, unfused);
    });

    it(`${c.name}: clipped gradients and γ after every step`, async () => {
      await adaGCTransformSteps(c, transforms.adaGC(adaGCOptions(c)));
    });
  }
});
