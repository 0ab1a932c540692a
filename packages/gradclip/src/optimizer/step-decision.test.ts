/** decideStep: the nonFinite policy and the step gates, as apply / skip / throw. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NonFiniteError } from '../errors.js';
import { decideStep, decisionNeedsNorm, type StepDecisionInput, type StepGateInfo } from './step-decision.js';

/** An input whose host reads are counted. */
function input(over: Partial<StepDecisionInput> & { norm?: number; lossValue?: number | null }) {
  const reads = { norm: 0, loss: 0 };
  const { norm = 1, lossValue = 0.5, ...rest } = over;
  const i: StepDecisionInput = {
    step: 7,
    policy: 'propagate',
    gates: [],
    globalNorm: () => (reads.norm++, norm),
    loss: () => (reads.loss++, lossValue),
    ...rest,
  };
  return { i, reads };
}

describe('decideStep', () => {
  it("applies without reading anything under 'propagate' and no gate", () => {
    for (const norm of [1, NaN, Infinity]) {
      const { i, reads } = input({ norm });
      assert.deepEqual(decideStep(i), { action: 'apply' });
      assert.deepEqual(reads, { norm: 0, loss: 0 }, 'no host read');
    }
    assert.equal(decisionNeedsNorm('propagate', []), false);
    assert.equal(decisionNeedsNorm('skip', []), true);
    assert.equal(decisionNeedsNorm('error', []), true);
    assert.equal(decisionNeedsNorm('propagate', [() => false]), true);
  });

  it("non-finite norm: 'skip' skips, 'error' throws a NonFiniteError naming the step and the norm", () => {
    for (const norm of [NaN, Infinity, -Infinity]) {
      assert.deepEqual(decideStep(input({ policy: 'skip', norm }).i), { action: 'skip', reason: 'nonFinite' });
      const d = decideStep(input({ policy: 'error', norm }).i);
      assert.equal(d.action, 'throw');
      const e = (d as { error: unknown }).error;
      assert.ok(e instanceof NonFiniteError);
      assert.equal(
        e.message,
        `Non-finite gradient norm at step 7 (globalNorm=${norm}); weights and optimizer state were not changed. ` +
          "To skip such steps, set `nonFinite: 'skip'`; to apply them anyway, `nonFinite: 'propagate'`.",
      );
    }
    for (const policy of ['skip', 'error'] as const) {
      const { i, reads } = input({ policy, norm: 3 });
      assert.deepEqual(decideStep(i), { action: 'apply' }, `${policy}: a finite norm applies`);
      assert.deepEqual(reads, { norm: 1, loss: 0 }, 'the norm read once, the loss not at all');
    }
  });

  it('runs every gate with the step, loss and norm; any true skips', () => {
    const seen: StepGateInfo[] = [];
    const gates = [(g: StepGateInfo) => void seen.push(g), (g: StepGateInfo) => (seen.push(g), true), (g: StepGateInfo) => (seen.push(g), false)];
    const { i, reads } = input({ gates, norm: 2.5, lossValue: 12 });
    assert.deepEqual(decideStep(i), { action: 'skip', reason: 'gate' });
    assert.equal(seen.length, 3, 'the gate after the one that skipped still ran');
    assert.deepEqual(seen[0], { step: 7, loss: 12, globalNorm: 2.5 });
    assert.deepEqual(reads, { norm: 1, loss: 1 });
    assert.deepEqual(decideStep(input({ gates: [() => false, () => undefined] }).i), { action: 'apply' });
    assert.deepEqual(decideStep(input({ gates: [() => 1 as unknown as boolean] }).i), { action: 'apply' }, 'only true skips');
  });

  it('a gate that throws makes it throw that error', () => {
    const boom = new Error('stop training');
    const d = decideStep(input({ gates: [() => true, () => { throw boom; }] }).i);
    assert.deepEqual(d, { action: 'throw', error: boom });
  });

  it('gates do not run on a non-finite norm: the policy decides', () => {
    let ran = 0;
    const gates = [() => (ran++, true)];
    assert.deepEqual(decideStep(input({ gates, norm: NaN }).i), { action: 'apply' }, "'propagate' applies");
    assert.deepEqual(decideStep(input({ gates, norm: NaN, policy: 'skip' }).i), { action: 'skip', reason: 'nonFinite' });
    assert.equal(ran, 0);
  });
});
