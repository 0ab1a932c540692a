import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSpec } from './validate-spec.js';
import { buildOptimizer } from './build-run.js';
import { ClippedOptimizer, SPAM, StableSPAM } from 'gradclip';
import type { ExperimentSpec, OptimizerName } from './types.js';

const base: ExperimentSpec = {
  name: 'a',
  data: { kind: 'regression' },
  model: 'regression-mlp',
  optimizer: { name: 'adam' },
  clip: {},
  epochs: 1,
  batchSize: 32,
  seed: 0,
};

describe('resolveSpec: optimizer.momentum', () => {
  for (const name of ['sgd', 'adam', 'adamax', 'adagrad', 'adadelta'] as OptimizerName[]) {
    it(`is an error with ${name}, which has no momentum (it would be ignored)`, () => {
      assert.throws(() => resolveSpec({ ...base, optimizer: { name, momentum: 0.5 } }), {
        name: 'ValueError',
        message: `\`optimizer.momentum\` is used only by the momentum and rmsprop optimizers; ${name} would ignore it. Received: optimizer.name="${name}", optimizer.momentum=0.5`,
      });
    });
  }

  for (const name of ['momentum', 'rmsprop'] as OptimizerName[]) {
    it(`reaches the tf.train optimizer with ${name}`, () => {
      const spec = resolveSpec({ ...base, optimizer: { name, learningRate: 0.01, momentum: 0.25 } });
      const opt = buildOptimizer(spec);
      try {
        assert.equal(opt.inner.getConfig().momentum, 0.25);
      } finally {
        opt.dispose();
      }
    });
  }
});

describe('resolveSpec: SPAM and Stable-SPAM', () => {
  it('accepts spam and stable-spam as optimizer names, with their intervals', () => {
    resolveSpec({ ...base, optimizer: { name: 'spam', resetInterval: 63, warmupSteps: 19, gradAccuSteps: 3 } });
    resolveSpec({ ...base, optimizer: { name: 'stable-spam', resetInterval: 0 } });
  });

  it('names the optimizers that use an interval when another one gets it', () => {
    assert.throws(() => resolveSpec({ ...base, optimizer: { name: 'adam', resetInterval: 100 } }), {
      name: 'ValueError',
      message: '`optimizer.resetInterval` is used only by the spam and stable-spam optimizers; adam would ignore it. Received: optimizer.name="adam", optimizer.resetInterval=100',
    });
    assert.throws(() => resolveSpec({ ...base, optimizer: { name: 'stable-spam', warmupSteps: 10 } }), {
      message: '`optimizer.warmupSteps` is used only by the spam optimizer; stable-spam would ignore it. Received: optimizer.name="stable-spam", optimizer.warmupSteps=10',
    });
    assert.throws(() => resolveSpec({ ...base, optimizer: { name: 'sgd', gradAccuSteps: 2 } }), {
      message: '`optimizer.gradAccuSteps` is used only by the spam optimizer; sgd would ignore it. Received: optimizer.name="sgd", optimizer.gradAccuSteps=2',
    });
    assert.throws(() => resolveSpec({ ...base, optimizer: { name: 'spam', momentum: 0.9 } }), /`optimizer.momentum` is used only by the momentum and rmsprop optimizers; spam would ignore it/);
  });

  it('checks the intervals: integers, >= 1 for SPAM (ΔT = 0 divides by zero in the reference), >= 0 for Stable-SPAM (0 = no reset)', () => {
    assert.throws(() => resolveSpec({ ...base, optimizer: { name: 'spam', resetInterval: 0 } }), {
      message: '`optimizer.resetInterval` must be an integer >= 1. Received: optimizer.resetInterval=0',
    });
    assert.throws(() => resolveSpec({ ...base, optimizer: { name: 'stable-spam', resetInterval: -1 } }), {
      message: '`optimizer.resetInterval` must be an integer >= 0. Received: optimizer.resetInterval=-1',
    });
    assert.throws(() => resolveSpec({ ...base, optimizer: { name: 'spam', warmupSteps: 1.5 } }), {
      message: '`optimizer.warmupSteps` must be an integer >= 0. Received: optimizer.warmupSteps=1.5',
    });
  });

  for (const name of ['spam', 'stable-spam'] as OptimizerName[]) {
    it(`builds gradclip's ${name === 'spam' ? 'SPAM' : 'StableSPAM'} with the reference defaults, wrapped (so that norms are recorded)`, () => {
      const opt = buildOptimizer(resolveSpec({ ...base, optimizer: { name } }));
      try {
        assert.ok(opt instanceof ClippedOptimizer);
        assert.ok(name === 'spam' ? opt.inner instanceof SPAM : opt.inner instanceof StableSPAM);
        const c = opt.inner.getConfig();
        assert.equal(c.learningRate, 0.001);
        assert.equal(c.resetInterval, name === 'spam' ? 500 : 1000);
        if (name === 'spam') assert.deepEqual([c.warmupSteps, c.gradAccuSteps, c.threshold], [150, 20, 5000]);
      } finally {
        opt.dispose();
      }
    });
  }

  it('passes the intervals and the clip setting on', () => {
    const opt = buildOptimizer(resolveSpec({ ...base, optimizer: { name: 'spam', learningRate: 0.01, resetInterval: 63, warmupSteps: 19, gradAccuSteps: 3 }, clip: { globalClipnorm: 1 } }));
    try {
      assert.deepEqual(
        (({ learningRate, resetInterval, warmupSteps, gradAccuSteps }) => ({ learningRate, resetInterval, warmupSteps, gradAccuSteps }))(opt.inner.getConfig()),
        { learningRate: 0.01, resetInterval: 63, warmupSteps: 19, gradAccuSteps: 3 },
      );
      assert.equal(opt.options.globalClipnorm, 1);
    } finally {
      opt.dispose();
    }
  });
});

describe('resolveSpec: CNN images', () => {
  const cifar = { ...base, model: 'cifar-cnn' as const };
  it("accepts images 'fashion-mnist' and 'synthetic', and none", () => {
    for (const images of ['fashion-mnist', 'synthetic', undefined] as const) resolveSpec({ ...cifar, data: { kind: 'cifar', images, nTrain: 4, nTest: 2 } });
  });
  it('rejects an unknown stand-in, naming it', () => {
    assert.throws(() => resolveSpec({ ...cifar, data: { kind: 'cifar', images: 'imagenet' as 'synthetic', nTrain: 4, nTest: 2 } }), {
      message: "`data.images` must be one of 'fashion-mnist', 'synthetic'. Received: data.images=\"imagenet\"",
    });
  });
  it('rejects a stand-in together with CIFAR-10 files (dir)', () => {
    assert.throws(() => resolveSpec({ ...cifar, data: { kind: 'cifar', dir: '/data/cifar', images: 'synthetic', nTrain: 4, nTest: 2 } }), {
      message: /^`data.images` and `data.fashionMnistDir` must be unset when `data.dir` \(CIFAR-10 files\) is set\. Received: data.dir="\/data\/cifar", data.images="synthetic"/,
    });
  });
});
