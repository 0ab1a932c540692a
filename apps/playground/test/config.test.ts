/** The configuration: validation, and the URL round trip that makes a link reproduce a run. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLIPS, ConfigError, PRESETS, THRESHOLDS, defaultConfig, validateConfig, type PlaygroundConfig } from '../src/config.js';
import { configToQuery, queryToConfig } from '../src/url-state.js';
import { sliderToThreshold, thresholdToSlider } from '../src/controls.js';

describe('configuration in the URL', () => {
  it('every preset round-trips through the query string', () => {
    for (const [name, p] of Object.entries(PRESETS)) {
      assert.deepEqual(queryToConfig(configToQuery(p.config)), p.config, name);
    }
  });

  it('a configuration with every clipping method and policy round-trips, and the query is readable', () => {
    const c: PlaygroundConfig = {
      problem: 'adding-lstm',
      seed: 7,
      batchSize: 16,
      backend: 'cpu',
      steps: 123,
      runs: [
        { optimizer: 'rmsprop', lr: 0.0005, clip: 'agc', threshold: 0.02, nonFinite: 'skip' },
        { optimizer: 'adagrad', lr: 0.3, clip: 'skip-on-spike', threshold: 4, nonFinite: 'error' },
        { optimizer: 'momentum', lr: 1e-5, clip: 'zclip', threshold: 3.25, nonFinite: 'propagate' },
        { optimizer: 'adam', lr: 0.001, clip: 'none', threshold: 1, nonFinite: 'propagate' },
      ],
    };
    const q = configToQuery(c);
    assert.equal(q, 'problem=adding-lstm&seed=7&batch=16&backend=cpu&steps=123&run=rmsprop,0.0005,agc,0.02,skip&run=adagrad,0.3,skip-on-spike,4,error&run=momentum,0.00001,zclip,3.25,propagate&run=adam,0.001,none,1,propagate');
    assert.deepEqual(queryToConfig(`?${q}`), c);
  });

  it('absent parameters take the default; an empty query is the default', () => {
    assert.deepEqual(queryToConfig(''), defaultConfig());
    assert.equal(queryToConfig('seed=3').seed, 3);
    assert.deepEqual(queryToConfig('seed=3').runs, defaultConfig().runs);
  });

  it('bad values are ConfigErrors that name the parameter and the value', () => {
    const bad: [string, RegExp][] = [
      ['problem=cifar', /`problem` must be one of .*Received: problem="cifar"/],
      ['seed=1.5', /`seed` must be an integer in \[0, 4294967295\]. Received: seed=1.5/],
      ['batch=abc', /`batchSize` in the URL must be a number. Received: batchSize="abc"/],
      ['backend=tpu', /`backend` must be one of/],
      ['run=sgd,0.01,norm,1000,propagate', /`runs\[0\].threshold` must be a number in \[0.001, 100\] for norm. Received: runs\[0\].threshold=1000/],
      ['run=sgd,-1,none,1,propagate', /`runs\[0\].lr` must be a finite number > 0/],
      ['run=sgd,0.01,none', /`run` 1 in the URL must be optimizer,lr,clip,threshold,nonFinite/],
      ['run=a,1,none,1,propagate', /`runs\[0\].optimizer` must be one of/],
      [`${'run=sgd,0.01,none,1,propagate&'.repeat(5)}`, /`runs` must be a list of 1 to 4 runs. Received: runs=5/],
    ];
    for (const [q, re] of bad) assert.throws(() => queryToConfig(q), (e: unknown) => e instanceof ConfigError && re.test(e.message), q);
  });

  it('validateConfig accepts the default and rejects an empty run list', () => {
    assert.doesNotThrow(() => validateConfig(defaultConfig()));
    assert.throws(() => validateConfig({ ...defaultConfig(), runs: [] }), /`runs` must be a list of 1 to 4 runs/);
  });
});

describe('threshold sliders', () => {
  it('map the ends of each range to the ends of the slider, and positions back to thresholds within 0.5%', () => {
    for (const clip of CLIPS) {
      if (clip === 'none') continue;
      const s = THRESHOLDS[clip];
      assert.equal(thresholdToSlider(clip, s.min), 0, clip);
      assert.equal(thresholdToSlider(clip, s.max), 1000, clip);
      assert.ok(Math.abs(sliderToThreshold(clip, thresholdToSlider(clip, s.default)) - s.default) <= 0.005 * s.default, clip);
    }
    // Log sliders: the middle of [0.001, 100] is the geometric mean, 0.316.
    assert.equal(sliderToThreshold('norm', 500), 0.316);
  });
});
