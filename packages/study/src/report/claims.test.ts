import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateClaims, summarizeAdaptive } from './claims.js';
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

  it('ignores runs clipped by a transform (the article tested clipnorm / clipvalue only)', () => {
    const runs = fakeStudy().runs;
    const before = evaluateClaims(runs);
    // A ZClip run on the exploding data that is far better than the baseline would flip "much lower" there.
    const z = fakeRun('exploding-adam-zclip', 'exploding data (X², y²) · Adam (article)', {
      variant: 'exploding',
      clip: { transform: { name: 'zClip', args: [{}] } },
      finalVal: 1,
    });
    assert.deepEqual(evaluateClaims([...runs, z]), before);
    assert.ok(evaluateClaims([z]).every((c) => c.verdict === 'not measured'));
  });
});

describe('summarizeAdaptive', () => {
  const G = 'adding problem · SimpleRNN';
  const agc = { transform: { name: 'adaptiveGradClip' as const, args: [0.01, { excludeNames: ['head/'] }] } };
  const zclip = { transform: { name: 'zClip' as const, args: [{}] } };

  it('ranks the runs of each group with a transform run by final val loss, non-finite last, and says whether the unclipped run diverged', () => {
    const runs = [
      fakeRun('none', G, { optimizer: 'sgd', finalVal: 0, nanAt: 34 }),
      fakeRun('global-norm-1', G, { optimizer: 'sgd', clip: { globalClipnorm: 1 }, finalVal: 0.2 }),
      fakeRun('agc', G, { optimizer: 'sgd', clip: agc, finalVal: 0.1 }),
      fakeRun('zclip', G, { optimizer: 'sgd', clip: zclip, finalVal: 0.3 }),
      ...fakeStudy().runs, // groups without a transform run: not summarised
    ];
    const [s, ...more] = summarizeAdaptive(runs);
    assert.equal(more.length, 0);
    assert.equal(s.group, G);
    assert.deepEqual(s.ranking.map((x) => x.clip), ['agc=0.01', 'global-norm=1', 'zclip', 'none']);
    assert.equal(s.baseline?.firstNonFinite?.step, 34);
    assert.equal(
      s.text,
      `${G}: lowest final val loss with agc=0.01 (0.11); then global-norm=1 0.22, zclip 0.33, none NaN (loss Infinity at step 34). ` +
        'Without clipping the loss went Infinity at step 34.',
    );
  });

  it('says when the unclipped run stayed finite, and when every run went non-finite', () => {
    const finite = summarizeAdaptive([fakeRun('none', G, { finalVal: 1 }), fakeRun('zclip', G, { clip: zclip, finalVal: 2 })]);
    assert.match(finite[0].text, /lowest final val loss with none \(1.1\); then zclip 2.2. Without clipping the loss stayed finite for all 500 steps.$/);
    const allNan = summarizeAdaptive([fakeRun('zclip', G, { clip: zclip, finalVal: 0, nanAt: 5 })]);
    assert.match(allNan[0].text, /every run went non-finite/);
    assert.equal(allNan[0].baseline, null);
    assert.deepEqual(summarizeAdaptive(fakeStudy().runs), []);
  });

  it('names the highest validation accuracy too for classification (it can differ from the lowest loss)', () => {
    const runs = [fakeRun('none', G, { finalVal: 5 }), fakeRun('agc', G, { clip: agc, finalVal: 2 }), fakeRun('zclip', G, { clip: zclip, finalVal: 3 })];
    runs.forEach((r, i) => {
      r.data.task = 'classification';
      r.finalValAccuracy = [0.18, 0.136, 0.244][i];
    });
    assert.match(summarizeAdaptive(runs)[0].text, /lowest final val loss with agc=0.01 \(2.2\); .* Highest val accuracy with zclip \(24.4%\)\. Without clipping/);
  });

  it('summarises a group of SPAM / Stable-SPAM runs (clipping inside the optimizer), naming each run by its optimizer', () => {
    const F = 'adding problem · SimpleRNN · Adam family';
    const withOpt = (r: ReturnType<typeof fakeRun>, optimizer: ReturnType<typeof fakeRun>['spec']['optimizer']) => ({ ...r, spec: { ...r.spec, optimizer } });
    const adagc = { transform: { name: 'adaGC' as const, args: [{}] } };
    const runs = [
      fakeRun('adam', F, { finalVal: 3 }),
      fakeRun('adam-adagc', F, { clip: adagc, finalVal: 2 }),
      withOpt(fakeRun('spam', F, { finalVal: 1 }), { name: 'spam', learningRate: 0.001 }),
      withOpt(fakeRun('spam-dt63', F, { finalVal: 4 }), { name: 'spam', learningRate: 0.001, resetInterval: 63 }),
    ];
    const [s] = summarizeAdaptive(runs);
    assert.deepEqual(s.ranking.map((x) => x.clip), ['spam', 'adam + adagc', 'adam', 'spam ΔT 63']);
    assert.equal(s.baseline?.name, 'adam', 'the baseline is the plain optimizer, not SPAM');
    assert.equal(
      s.text,
      `${F}: lowest final val loss with spam (1.1); then adam + adagc 2.2, adam 3.3, spam ΔT 63 4.4. Without clipping (adam lr 0.001) the loss stayed finite for all 500 steps.`,
    );
    // Without any transform, a group with a SPAM or Stable-SPAM run is still summarised; one without is not.
    const stable = withOpt(fakeRun('stable', F, { finalVal: 5 }), { name: 'stable-spam', learningRate: 0.001 });
    assert.deepEqual(summarizeAdaptive([runs[0], stable])[0].ranking.map((x) => x.clip), ['adam', 'stable-spam']);
    assert.deepEqual(summarizeAdaptive([runs[0], fakeRun('sgd', F, { optimizer: 'sgd', finalVal: 1 })]), []);
  });
});
