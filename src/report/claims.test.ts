import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateClaims } from './claims.js';
import { fakeRun, fakeStudy } from './testing/fixtures.js';

describe('evaluateClaims', () => {
  it('NaN claim holds only in the regime that diverged (SGD), not with Adam', () => {
    const [nan] = evaluateClaims(fakeStudy().runs);
    assert.equal(nan.verdict, 'held only in some regime');
    assert.ok(nan.evidence.some((e) => /sgd lr 0.01 .*loss Infinity at step 9/.test(e)));
    assert.ok(nan.evidence.some((e) => /adam .*exploding data, no clipping: no NaN/.test(e)));
  });

  it('"much lower" holds where the clipped loss is at most half the baseline', () => {
    const [, lower] = evaluateClaims(fakeStudy().runs);
    // normal Adam: 1.76 and 2.09 vs 22 (held); exploding Adam: 0.97x (not); SGD: baseline NaN (held).
    assert.equal(lower.verdict, 'held only in some regime');
    const only = evaluateClaims(fakeStudy().runs.filter((r) => r.spec.data.kind === 'regression' && r.name.startsWith('normal-adam')));
    assert.equal(only[1].verdict, 'held');
  });

  it('preprocessing claim compares normalised MSE of standardized vs clipped runs', () => {
    const [, , pre] = evaluateClaims(fakeStudy().runs);
    assert.equal(pre.verdict, 'held');
    const noStd = evaluateClaims(fakeStudy().runs.filter((r) => !r.name.includes('standardized')));
    assert.equal(noStd[2].verdict, 'not measured');
  });

  it('NaN claim does not hold when no unclipped run diverged', () => {
    const [nan] = evaluateClaims([fakeRun('a', 'g', { variant: 'exploding', finalVal: 1 })]);
    assert.equal(nan.verdict, 'did not hold');
  });
});
