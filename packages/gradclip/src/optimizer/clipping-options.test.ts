import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValueError } from '../errors.js';
import { withClipping } from './clipped-optimizer.js';
import { adam, sgd, momentum, rmsprop, adagrad } from './factories.js';

const opt = () => tf.train.sgd(0.1);
const rejects = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => e instanceof ValueError && re.test(e.message), String(re));

describe('clipping options are validated at construction', () => {
  it('at most one clipping option, listing every value received', () => {
    rejects(() => withClipping(opt(), { clipnorm: 1, clipvalue: 2 }), /^Only one of `clipnorm`, `clipvalue` and `globalClipnorm` can be set\. Received: clipnorm=1, clipvalue=2, globalClipnorm=null$/);
    rejects(() => withClipping(opt(), { clipvalue: 1, globalClipnorm: 3 }), /Received: clipnorm=null, clipvalue=1, globalClipnorm=3/);
  });
  it('each threshold must be a finite number > 0', () => {
    rejects(() => withClipping(opt(), { clipnorm: -1 }), /^`clipnorm` must be a finite number > 0\. Received: clipnorm=-1$/);
    rejects(() => withClipping(opt(), { clipvalue: 0 }), /^`clipvalue` must be a finite number > 0\. Received: clipvalue=0$/);
    rejects(() => withClipping(opt(), { globalClipnorm: Infinity }), /^`globalClipnorm` must be a finite number > 0\. Received: globalClipnorm=Infinity$/);
    rejects(() => withClipping(opt(), { clipnorm: '1' as any }), /Received: clipnorm="1"/);
  });
  it('nonFinite must be a known policy', () => {
    rejects(() => withClipping(opt(), { nonFinite: 'ignore' as any }), /^`nonFinite` must be one of 'propagate', 'error', 'skip'\. Received: nonFinite="ignore"$/);
  });
  it('unknown options are named, with a hint for the snake_case spelling', () => {
    rejects(() => withClipping(opt(), { global_clipnorm: 1 } as any), /Unknown clipping option `global_clipnorm` \(gradclip spells it 'globalClipnorm'\)/);
  });
  it('the optimizer must be a tf.Optimizer', () => {
    rejects(() => withClipping({} as any, { clipnorm: 1 }), /`optimizer` must be a tf\.Optimizer.*Received: optimizer=\{\}/);
  });
  it('factories validate their own options and the clipping ones', () => {
    rejects(() => sgd(undefined as any), /`sgd` options must be an object/);
    rejects(() => sgd({} as any), /`learningRate` must be a finite number > 0\. Received: learningRate=undefined/);
    rejects(() => adam({ learningRate: -0.1 }), /`learningRate` must be a finite number > 0\. Received: learningRate=-0\.1/);
    rejects(() => adam({ clipnorm: 1, clipvalue: 1 }), /Only one of/);
    rejects(() => momentum({ learningRate: 0.1 } as any), /`momentum` must be a finite number >= 0\. Received: momentum=undefined/);
    rejects(() => adam({ lr: 0.1 } as any), /^Unknown adam option `lr`\. Known options: learningRate, beta1, beta2, epsilon, clipnorm/);
  });
  it('factories use the tf.train defaults', () => {
    const a = adam({ clipvalue: 0.5 });
    assert.deepEqual(a.inner.getConfig(), tf.train.adam().getConfig());
    assert.equal(a.options.clipvalue, 0.5);
    assert.deepEqual(rmsprop({ learningRate: 0.01 }).inner.getConfig(), tf.train.rmsprop(0.01).getConfig());
    assert.deepEqual(adagrad({ learningRate: 0.01 }).inner.getConfig(), tf.train.adagrad(0.01).getConfig());
    assert.equal(sgd({ learningRate: 0.01, clipnorm: 1 }).inner.getClassName(), 'SGD');
  });
});
