import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatClip, parseClip } from './clip-setting.js';

describe('parseClip / formatClip', () => {
  it('parses the four forms into wrapper options', () => {
    assert.deepEqual(parseClip('none'), {});
    assert.deepEqual(parseClip('value=3'), { clipvalue: 3 });
    assert.deepEqual(parseClip('norm=1'), { clipnorm: 1 });
    assert.deepEqual(parseClip('global-norm=2.5'), { globalClipnorm: 2.5 });
  });

  it('round-trips through formatClip', () => {
    for (const s of ['none', 'value=0.5', 'norm=1', 'global-norm=2']) assert.equal(formatClip(parseClip(s)), s);
  });

  it('names the rule and the value for bad thresholds', () => {
    assert.throws(() => parseClip('norm=-1'), { message: 'norm must be a finite number > 0. Received: norm=-1' });
    assert.throws(() => parseClip('value=abc'), /value must be a finite number > 0. Received: value=abc/);
    assert.throws(() => parseClip('global-norm=Infinity'), /global-norm must be a finite number > 0/);
    assert.throws(() => parseClip('norm='), /norm must be a finite number > 0/);
  });

  it('rejects unknown forms with the accepted syntax', () => {
    assert.throws(
      () => parseClip('clipnorm=1'),
      { message: "must be one of 'none', 'value=V', 'norm=N', 'global-norm=N', 'agc=L', 'autoclip[=P]', 'zclip[=Z]', 'adagc[=R]'. Received: \"clipnorm=1\"" },
    );
    assert.throws(() => parseClip('agc=0.1=2'), /agc must be a finite number > 0 \(the clipping factor λ\). Received: agc=0.1=2/);
  });

  it('parses the adaptive methods into transform specs (AGC without the final layer `head`)', () => {
    assert.deepEqual(parseClip('agc=0.01'), { transform: { name: 'adaptiveGradClip', args: [0.01, { excludeNames: ['head/'] }] } });
    assert.deepEqual(parseClip('autoclip=10'), { transform: { name: 'autoClip', args: [{ percentile: 10 }] } });
    assert.deepEqual(parseClip('autoclip'), { transform: { name: 'autoClip', args: [{}] } });
    assert.deepEqual(parseClip('zclip'), { transform: { name: 'zClip', args: [{}] } });
    assert.deepEqual(parseClip(' zclip=2.5 '), { transform: { name: 'zClip', args: [{ zThresh: 2.5 }] } });
    assert.deepEqual(parseClip('autoclip=0'), { transform: { name: 'autoClip', args: [{ percentile: 0 }] } });
  });

  it('parses adagc into the adaGC transform spec: reference defaults, or the clip ratio', () => {
    assert.deepEqual(parseClip('adagc'), { transform: { name: 'adaGC', args: [{}] } });
    assert.deepEqual(parseClip(' adagc=1.1 '), { transform: { name: 'adaGC', args: [{ clipRatio: 1.1 }] } });
    assert.deepEqual(parseClip('adagc=1.04'), { transform: { name: 'adaGC', args: [{ clipRatio: 1.04 }] } });
  });

  it('round-trips the adaptive forms through formatClip, and through JSON', () => {
    for (const s of ['agc=0.01', 'agc=0.16', 'autoclip', 'autoclip=10', 'autoclip=100', 'zclip', 'zclip=2.5', 'zclip=3', 'adagc', 'adagc=1.04', 'adagc=2']) {
      assert.equal(formatClip(parseClip(s)), s);
      assert.equal(formatClip(JSON.parse(JSON.stringify(parseClip(s)))), s);
    }
  });

  it('prints a transform spec with no --clip form as name(args)', () => {
    assert.equal(formatClip({ transform: { name: 'adaptiveGradClip', args: [0.01] } }), 'adaptiveGradClip(0.01)');
    assert.equal(formatClip({ transform: { name: 'zClip', args: [{ zThresh: 2, alpha: 0.9 }] } }), 'zClip({"zThresh":2,"alpha":0.9})');
    assert.equal(formatClip({ transform: { name: 'zeroNans' } }), 'zeroNans()');
    assert.equal(formatClip({ transform: { name: 'adaGC', args: [{ clipRatio: 1.1, warmupSteps: 5 }] } }), 'adaGC({"clipRatio":1.1,"warmupSteps":5})');
    assert.equal(formatClip({ transform: { name: 'adaGC', args: [{ beta: 0.9 }] } }), 'adaGC({"beta":0.9})');
  });

  it('names the method, the rule and the value for bad adaptive settings', () => {
    const cases: [string, string][] = [
      ['agc=-1', 'agc must be a finite number > 0 (the clipping factor λ). Received: agc=-1'],
      ['agc=0', 'agc must be a finite number > 0 (the clipping factor λ). Received: agc=0'],
      ['agc=', 'agc must be a finite number > 0 (the clipping factor λ). Received: agc='],
      ['agc', 'agc must be a finite number > 0 (the clipping factor λ), e.g. agc=0.01. Received: agc'],
      ['autoclip=150', 'autoclip must be a percentile in [0, 100]. Received: autoclip=150'],
      ['autoclip=-5', 'autoclip must be a percentile in [0, 100]. Received: autoclip=-5'],
      ['autoclip=ten', 'autoclip must be a percentile in [0, 100]. Received: autoclip=ten'],
      ['zclip=0', 'zclip must be a finite number > 0 (the z-score threshold). Received: zclip=0'],
      ['zclip=Infinity', 'zclip must be a finite number > 0 (the z-score threshold). Received: zclip=Infinity'],
      ['adagc=0', 'adagc must be a finite number > 0 (the relative clip ratio λ_rel). Received: adagc=0'],
      ['adagc=-1.04', 'adagc must be a finite number > 0 (the relative clip ratio λ_rel). Received: adagc=-1.04'],
      ['adagc=', 'adagc must be a finite number > 0 (the relative clip ratio λ_rel). Received: adagc='],
      ['adagc=NaN', 'adagc must be a finite number > 0 (the relative clip ratio λ_rel). Received: adagc=NaN'],
      ['adagc=big', 'adagc must be a finite number > 0 (the relative clip ratio λ_rel). Received: adagc=big'],
    ];
    for (const [s, message] of cases) {
      assert.throws(() => parseClip(s), (e: Error) => e.name === 'ValueError' && e.message === message && !e.message.includes('\n'), s);
    }
  });
});
