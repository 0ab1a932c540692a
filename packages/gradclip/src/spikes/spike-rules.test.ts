import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpikeRules, sigmaThreshold, STD_FLOOR, type SpikeRuleOptions } from './spike-rules.js';

const detector = (o: Partial<SpikeRuleOptions> = {}): SpikeRules =>
  new SpikeRules({ history: 4, warmup: 2, sigma: 3, maxFactor: null, recordSpikes: false, nonFiniteDuringWarmup: true, ...o });
const levanter = (o: Partial<SpikeRuleOptions> = {}): SpikeRules =>
  new SpikeRules({ history: 5, warmup: 2, sigma: 3, maxFactor: null, recordSpikes: true, nonFiniteDuringWarmup: false, ...o });

describe('sigmaThreshold', () => {
  it('is mean + sigma·std (population), by hand', () => {
    // [1, 1.1, 1, 1.1]: mean 1.05, population std 0.05.
    assert.ok(Math.abs(sigmaThreshold([1, 1.1, 1, 1.1], 3) - 1.2) < 1e-12);
  });
  it('floors the std at 1e-6, ignores NaN entries, and maps an infinite mean to float32 max (Levanter nan_to_num)', () => {
    assert.equal(sigmaThreshold([2, 2, 2], 6), 2 + 6 * STD_FLOOR);
    assert.ok(Math.abs(sigmaThreshold([1, NaN, 3], 1) - 3) < 1e-12, 'mean 2, std 1');
    assert.equal(sigmaThreshold([], 6), 6 * STD_FLOOR, 'NaN mean -> 0, NaN std -> 1e-6');
    assert.equal(sigmaThreshold([1, Infinity], 1), 3.4028234663852886e38 + STD_FLOOR);
  });
});

describe('SpikeRules', () => {
  it('keeps spikes out of the statistics when recordSpikes is false (lossSpikeDetector)', () => {
    const r = detector();
    for (const v of [1, 1.1, 1, 1.1]) assert.equal(r.observe(v), null);
    const spike = r.observe(10);
    assert.equal(spike?.rule, 'sigma');
    assert.ok(Math.abs(spike!.threshold - 1.2) < 1e-12);
    assert.deepEqual(r.history, [1, 1.1, 1, 1.1], 'the spike was not recorded');
    assert.equal(r.observe(1.3)?.rule, 'sigma', 'the bar did not move: 1.3 > 1.2 is still a spike');
  });

  it('records every value when recordSpikes is true (skipOnSpike, Levanter), so a spike raises the bar', () => {
    const r = levanter();
    for (const v of [1, 1.1, 1, 1.1]) assert.equal(r.observe(v), null);
    assert.equal(r.observe(10)?.rule, 'sigma');
    assert.deepEqual(r.history, [1, 1.1, 1, 1.1, 10]);
    // mean 2.84, std 3.58: 1.3 passes now.
    assert.equal(r.observe(1.3), null);
    assert.deepEqual(r.history, [1.1, 1, 1.1, 10, 1.3], 'history keeps the last `history` values');
  });

  it('waits for `warmup` recorded values before the sigma rule applies', () => {
    const r = detector({ warmup: 3 });
    assert.equal(r.observe(1), null);
    assert.equal(r.observe(1), null);
    assert.equal(r.observe(100), null, 'two values recorded: still warming up');
    assert.equal(r.observe(1000)?.rule, 'sigma');
  });

  it('non-finite values: always spikes with nonFiniteDuringWarmup; otherwise NaN and +inf fail after warm-up, -inf passes', () => {
    const d = detector();
    assert.equal(d.observe(NaN)?.rule, 'nonFinite', 'first step');
    assert.equal(d.observe(-Infinity)?.rule, 'nonFinite');
    assert.equal(d.count, 0, 'never recorded');
    const l = levanter();
    assert.equal(l.observe(NaN), null, 'before warm-up every step passes');
    l.observe(1);
    assert.equal(l.observe(NaN)?.rule, 'nonFinite');
    assert.equal(l.observe(Infinity)?.rule, 'nonFinite');
    assert.equal(l.observe(-Infinity), null, '-inf <= threshold');
  });

  it('maxFactor: above k times the largest finite recorded value, only while it is > 0', () => {
    const r = detector({ sigma: null, maxFactor: 10 });
    assert.equal(r.observe(-5), null);
    assert.equal(r.observe(1000), null, 'max was -5: rule off');
    assert.equal(r.observe(10001)?.rule, 'maxFactor');
    assert.equal(r.observe(9999), null);
  });

  it('resumes from a saved history (plain data), counting it as recorded', () => {
    const r = levanter({}); // history 5
    const resumed = new SpikeRules(r.options, [1, 1.1, 1, 1.1, 1, 1.1, 1]);
    assert.deepEqual(resumed.history, [1, 1.1, 1, 1.1, 1]);
    assert.equal(resumed.count, 7);
    assert.equal(resumed.check(5)?.rule, 'sigma');
  });

  it('validates its options', () => {
    assert.throws(() => detector({ history: 0 }), /`history` must be an integer >= 1\. Received: history=0/);
    assert.throws(() => detector({ warmup: 1 }), /`warmup` must be an integer >= 2\. Received: warmup=1/);
    assert.throws(() => detector({ sigma: -1 }), /`sigma` must be a finite number > 0 or null\. Received: sigma=-1/);
    assert.throws(() => detector({ maxFactor: 1 }), /`maxFactor` must be a finite number > 1 or null\. Received: maxFactor=1/);
  });
});
