/**
 * Stable-SPAM against the official reference code's trajectories (test/fixtures/adaptive2-vectors.json,
 * made by running `TianjinYellow/StableSPAM` stablespam.py; see adaptive2-SPEC.md §3): weights after
 * every step within each case's tolerance, and the per-step diagnostics the reference recorded
 * (schedule factor, MoRet, each tensor's k, AdaClip threshold m̂_max and count, AdaGN's c) equal to
 * `StableSPAM.lastStep`. Every 'stablespam' case of the file runs, so a held-back copy
 * (GRADCLIP_REFERENCE_DIR) goes through the same code.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { checkStableSpamStep, stableSpamConfig, type TrajectoryCase } from '../../test/helpers/adaptive2-cases.js';
import { loadTrajectories, replay } from '../../test/helpers/spam-vectors.js';
import { StableSPAM, stableSpamScale } from './stable-spam.js';

const cases = loadTrajectories('stablespam');

/** The case's optimizer (test/helpers/adaptive2-cases.ts maps the reference's hyper-parameters; the browser suite uses it too). */
function fromHyper(c: TrajectoryCase): StableSPAM {
  return new StableSPAM(stableSpamConfig(c));
}

describeBackends('StableSPAM reference trajectories', () => {
  for (const c of cases) {
    it(`${c.name}: weights after every step and the step diagnostics match the reference (${c.grads.length} steps)`, async () => {
      const opt = fromHyper(c);
      await replay(c, opt, async (t) => checkStableSpamStep(c, await opt.readLastStep(), t));
      opt.dispose();
    });
  }
});

it('schedule factor: etaMin + (1-etaMin)(1+cos(πt/(T+1)))/2, unclamped past T (SPEC §3.2)', () => {
  assert.equal(stableSpamScale(7, null, 0.5), 1);
  // T = 12: t = 13 is the minimum 0.5; t = 26 is back to 1.
  assert.ok(Math.abs(stableSpamScale(13, 12, 0.5) - 0.5) < 1e-15);
  assert.ok(Math.abs(stableSpamScale(26, 12, 0.5) - 1) < 1e-15);
  assert.ok(Math.abs(stableSpamScale(1, 12, 0.5) - (0.5 + 0.25 * (1 + Math.cos(Math.PI / 13)))) < 1e-15);
  assert.ok(stableSpamScale(20, 12, 0.5) > stableSpamScale(14, 12, 0.5));
});
