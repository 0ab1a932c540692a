/**
 * SPAM / Stable-SPAM argument checks: every hyper-parameter is validated when the optimizer (or its
 * factory) is built, with the library's message format "`name` must be RULE. Received: name=value".
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ValueError } from '../errors.js';
import { ClippedOptimizer } from './clipped-optimizer.js';
import { SPAM, spam } from './spam.js';
import { StableSPAM, stableSpam } from './stable-spam.js';

type Rule = [name: string, bad: unknown[], rule: string];

const COMMON: Rule[] = [
  ['learningRate', [0, -1e-3, NaN, Infinity, '0.1'], 'a finite number > 0'],
  ['beta1', [-0.1, 1, 1.5, NaN], 'a finite number in [0, 1)'],
  ['beta2', [-0.1, 1, Infinity], 'a finite number in [0, 1)'],
  ['epsilon', [-1e-8, NaN, Infinity], 'a finite number >= 0'],
  ['weightDecay', [-0.1, NaN], 'a finite number >= 0'],
];
const SPAM_RULES: Rule[] = [
  ...COMMON,
  ['threshold', [-1, NaN, Infinity], 'a finite number >= 0'],
  ['resetInterval', [0, -5, 2.5, NaN], 'an integer >= 1'],
  ['warmupSteps', [-1, 1.5], 'an integer >= 0'],
  ['gradAccuSteps', [-1, 0.5], 'an integer >= 0'],
];
const STABLE_RULES: Rule[] = [
  ...COMMON,
  ['gamma1', [-0.5, 1, -2, NaN], 'a finite number in [0, 1), or -1 (= beta1)'],
  ['gamma2', [-0.1, 1], 'a finite number in [0, 1)'],
  ['gamma3', [-0.1, 1, 2], 'a finite number in [0, 1)'],
  ['totalT', [0, -3, 2.5], 'an integer >= 1'],
  ['etaMin', [-0.1, 1.5, NaN], 'a finite number in [0, 1]'],
  ['resetInterval', [-1, 0.5], 'an integer >= 0'],
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const [label, build, rules] of [
  ['SPAM', (o: object) => new SPAM(o), SPAM_RULES],
  ['spam()', (o: object) => spam(o), SPAM_RULES],
  ['StableSPAM', (o: object) => new StableSPAM(o), STABLE_RULES],
  ['stableSpam()', (o: object) => stableSpam(o), STABLE_RULES],
] as const) {
  for (const [name, bad, rule] of rules) {
    it(`${label}: \`${name}\` must be ${rule}`, () => {
      for (const value of bad) {
        const re = new RegExp(`^\`${escape(name)}\` must be ${escape(rule)}\\. Received: ${escape(name)}=`);
        assert.throws(() => build({ [name]: value }), (e: unknown) => e instanceof ValueError && re.test((e as Error).message), `${name}=${String(value)}`);
      }
    });
  }
}

it('the message names the argument, the rule and the value', () => {
  assert.throws(() => new SPAM({ resetInterval: 0 }), { name: 'ValueError', message: '`resetInterval` must be an integer >= 1. Received: resetInterval=0' });
  assert.throws(() => new StableSPAM({ gamma3: 1 }), { name: 'ValueError', message: '`gamma3` must be a finite number in [0, 1). Received: gamma3=1' });
});

it('the boundary values of the reference are accepted', () => {
  // threshold 0 (no clipping), N_a 0, N_w 0, ε 0, ΔT 1
  assert.ok(new SPAM({ threshold: 0, gradAccuSteps: 0, warmupSteps: 0, epsilon: 0, resetInterval: 1, beta1: 0 }) instanceof SPAM);
  // γ1 = -1 (= β1), ΔT 0 (no reset), totalT null, etaMin 0 and 1
  assert.ok(new StableSPAM({ gamma1: -1, resetInterval: 0, totalT: null, etaMin: 0 }) instanceof StableSPAM);
  assert.ok(new StableSPAM({ totalT: 1, etaMin: 1 }) instanceof StableSPAM);
});

it('the defaults are those of the reference code', () => {
  assert.deepEqual(new SPAM().getConfig(), {
    learningRate: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-6,
    weightDecay: 0,
    threshold: 5000,
    resetInterval: 500,
    warmupSteps: 150,
    gradAccuSteps: 20,
  });
  assert.deepEqual(new StableSPAM().getConfig(), {
    learningRate: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0,
    gamma1: 0.7,
    gamma2: 0.9,
    gamma3: 0.999,
    totalT: null,
    etaMin: 0.5,
    resetInterval: 1000,
  });
});

it('unknown options are rejected, by the classes and the factories', () => {
  assert.throws(() => new SPAM({ DeltaT: 5 } as object), /^ValueError: `options\.DeltaT` must be one of the options of SPAM \(learningRate, .*gradAccuSteps\)\. Received: options\.DeltaT=5$/);
  assert.throws(() => new SPAM({ clipnorm: 1 } as object), /`options\.clipnorm` must be one of the options of SPAM/);
  assert.throws(() => spam({ thresold: 5 } as object), /`options\.thresold` must be one of the options of spam \(learningRate, .*, clipnorm, clipvalue, globalClipnorm, nonFinite, transform\)/);
  assert.throws(() => new StableSPAM({ update_proj_gap: 5 } as object), /`options\.update_proj_gap` must be one of the options of StableSPAM/);
  assert.throws(() => stableSpam({ amsgrad: true } as object), /`options\.amsgrad` must be one of the options of stableSpam/);
  assert.throws(() => new SPAM(5 as unknown as object), /^ValueError: `config` must be an object/);
  assert.throws(() => spam([] as unknown as object), /^ValueError: `options` must be an object/);
});

it("the factories check the wrapper's options at once and wrap only when one is set", () => {
  assert.throws(() => spam({ clipnorm: 0 }), /`clipnorm` must be a finite number > 0\. Received: clipnorm=0/);
  assert.throws(() => stableSpam({ clipnorm: 1, clipvalue: 1 }), /Only one of `clipnorm`, `clipvalue` and `globalClipnorm` can be set/);
  assert.throws(() => spam({ nonFinite: 'ignore' as 'skip' }), /`nonFinite` must be one of 'propagate', 'error', 'skip'/);
  assert.ok(spam() instanceof SPAM);
  assert.ok(spam({ learningRate: 0.1, clipnorm: undefined }) instanceof SPAM);
  assert.ok(stableSpam({ totalT: 10 }) instanceof StableSPAM);
  const w = spam({ threshold: 100, globalClipnorm: 1, nonFinite: 'skip' });
  assert.ok(w instanceof ClippedOptimizer && w.inner instanceof SPAM);
  assert.equal((w.inner as SPAM).threshold, 100);
  assert.deepEqual([w.options.globalClipnorm, w.options.nonFinite], [1, 'skip']);
  const s = stableSpam({ gamma1: -1, nonFinite: 'error' });
  assert.ok(s instanceof ClippedOptimizer && s.inner instanceof StableSPAM);
  // instanceof is by prototype: other optimizers are not SPAMs
  assert.ok(!(tf.train.adam() instanceof SPAM) && !(new StableSPAM() instanceof SPAM) && !(new SPAM() instanceof StableSPAM));
});

it('a learning rate reassigned to a bad value is refused at the next step, before anything changes', () => {
  const v = tf.variable(tf.ones([2]));
  const g = tf.ones([2]);
  for (const opt of [new SPAM(), new StableSPAM()]) {
    opt.learningRate = -1;
    assert.throws(() => opt.applyGradients({ [v.name]: g }), /`learningRate` must be a finite number > 0\. Received: learningRate=-1/);
    assert.equal(opt.iterations, 0);
    opt.dispose();
  }
  assert.deepEqual(Array.from(v.dataSync()), [1, 1]);
  tf.dispose([v, g]);
});

it('applyGradients rejects a gradient whose name is not a variable, or whose shape is not the variable\'s', () => {
  const v = tf.variable(tf.ones([2]));
  const g3 = tf.ones([3]);
  for (const opt of [new SPAM(), new StableSPAM()]) {
    assert.throws(() => opt.applyGradients({ nope: g3 }), /no variable is named 'nope'/);
    assert.throws(() => opt.applyGradients([{ name: v.name, tensor: g3 }]), /has shape \[3\] but the variable has shape \[2\]/);
    opt.dispose();
  }
  tf.dispose([v, g3]);
});
