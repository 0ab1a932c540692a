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
    assert.throws(() => parseClip('clipnorm=1'), /must be one of 'none', 'value=V', 'norm=N', 'global-norm=N'. Received: "clipnorm=1"/);
  });
});
