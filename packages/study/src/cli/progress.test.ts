import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { progressHooks } from './progress.js';
import { fakeRun } from '../report/testing/fixtures.js';

function captured(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}

describe('progressHooks (no TTY)', () => {
  it('prints one line per finished configuration, numbers formatted as in the table', () => {
    const { stream, text } = captured();
    const r = fakeRun('exploding-adam-none', 'g', { finalVal: 3.504e9 / 1.1 });
    r.finalValLoss = 3504000000;
    r.clipRate = 0.125;
    r.wallTimeMs = 2345;
    progressHooks(stream).onRunEnd(r, 1, 11);
    // The table writes 3.504e+9 (exponent outside [1e-3, 1e6)), 12.5% and 2.3 s.
    assert.equal(text(), '[2/11] exploding-adam-none: val loss 3.504e+9, no NaN, clip rate 12.5%, 2.3 s\n');
  });

  it('prints small losses in exponent form and a NaN loss as NaN', () => {
    const { stream, text } = captured();
    const r = fakeRun('normal-sgd-none', 'g', { finalVal: 1, nanAt: 9 });
    r.finalValLoss = null;
    const s = fakeRun('tiny', 'g', { finalVal: 1 });
    s.finalValLoss = 0.000123456;
    s.clipRate = 0;
    const hooks = progressHooks(stream);
    hooks.onRunEnd(r, 0, 2);
    hooks.onRunEnd(s, 1, 2);
    const [a, b] = text().trimEnd().split('\n');
    assert.match(a, /^\[1\/2\] normal-sgd-none: val loss NaN, loss Infinity at step 9, /);
    assert.match(b, /^\[2\/2\] tiny: val loss 1\.235e-4, no NaN, clip rate 0\.0%, 1\.2 s$/);
  });
});
