import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSpec } from './validate-spec.js';
import { buildOptimizer } from './build-run.js';
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
