import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { addingRnn, cifarCnn, addingLstm, mnistMlp, regressionMlp } from '../models/index.js';
import { AGC_EXCLUDE_NAMES, formatClip } from './clip-setting.js';
import { STUDY_NAMES, spamScaled, studySpecs } from './studies.js';
import { resolveSpec } from './validate-spec.js';

describe('studySpecs: adaptive', () => {
  it('is a study set (and part of `all`)', () => {
    assert.ok(STUDY_NAMES.includes('adaptive'));
  });

  for (const quick of [false, true]) {
    it(`compares none, a fixed global norm, AGC, AutoClip, ZClip and AdaGC on the SimpleRNN and the CNN${quick ? ' (quick)' : ''}`, () => {
      const specs = studySpecs('adaptive', { quick });
      assert.equal(specs.length, 24);
      const sgd = specs.filter((s) => s.optimizer.name === 'sgd' || s.optimizer.name === 'momentum');
      const rnn = sgd.filter((s) => s.model === 'adding-rnn');
      const cnn = sgd.filter((s) => s.model === 'cifar-cnn');
      assert.deepEqual(rnn.map((s) => formatClip(s.clip)), ['none', 'global-norm=1', 'agc=0.01', 'autoclip=10', 'zclip', 'adagc']);
      assert.deepEqual(cnn.map((s) => formatClip(s.clip)), ['none', 'global-norm=2', 'agc=0.01', 'autoclip=10', 'zclip', 'adagc']);
      assert.deepEqual(
        sgd.map((s) => s.clip.transform?.name ?? null),
        [null, null, 'adaptiveGradClip', 'autoClip', 'zClip', 'adaGC', null, null, 'adaptiveGradClip', 'autoClip', 'zClip', 'adaGC'],
      );
      assert.deepEqual(rnn.at(-1)?.clip, { transform: { name: 'adaGC', args: [{}] } }, 'AdaGC with the reference defaults');
      assert.equal(new Set(specs.map((s) => s.name)).size, 24);
      for (const s of rnn) assert.deepEqual(s.optimizer, { name: 'sgd', learningRate: 0.1 });
      for (const s of cnn) {
        assert.deepEqual(s.optimizer, { name: 'momentum', learningRate: 0.001, momentum: 0.9 });
        assert.equal(s.batchSize, 4);
        assert.equal(s.data.kind === 'cifar' && s.data.dir, undefined, 'built-in data unless --data');
      }
      // Every spec is valid (the transform specs are built once by the validation).
      for (const s of specs) resolveSpec(s);
      // Plain JSON: the specs (transform specs included) survive a round trip unchanged.
      assert.deepEqual(JSON.parse(JSON.stringify(specs)), specs);
    });

    it(`adds Adam, Adam + AdaGC, SPAM and Stable-SPAM (reference defaults and scaled resets) at lr 0.001 per task${quick ? ' (quick)' : ''}`, () => {
      const specs = studySpecs('adaptive', { quick });
      for (const [model, prefix, steps] of [
        ['adding-rnn', 'adding-rnn', quick ? 2 : 630],
        ['cifar-cnn', 'cnn', quick ? 10 : 1000],
      ] as const) {
        const task = specs.filter((s) => s.model === model);
        const sgdRun = task[0];
        const family = task.filter((s) => !['sgd', 'momentum'].includes(s.optimizer.name));
        const dt = spamScaled(steps);
        assert.deepEqual(
          family.map((s) => s.name),
          ['adam-none', 'adam-adagc', 'spam-none', `spam-dt${dt.resetInterval}-none`, 'stable-spam-none', `stable-spam-dt${dt.resetInterval}-none`].map((n) => `${prefix}-${n}`),
        );
        assert.deepEqual(
          family.map((s) => s.optimizer),
          [
            { name: 'adam', learningRate: 0.001 },
            { name: 'adam', learningRate: 0.001 },
            { name: 'spam', learningRate: 0.001 },
            { name: 'spam', learningRate: 0.001, ...dt },
            { name: 'stable-spam', learningRate: 0.001 },
            { name: 'stable-spam', learningRate: 0.001, resetInterval: dt.resetInterval },
          ],
        );
        assert.deepEqual(family.map((s) => formatClip(s.clip)), ['none', 'adagc', 'none', 'none', 'none', 'none']);
        assert.equal(new Set(family.map((s) => s.group)).size, 1, 'one group per task');
        assert.notEqual(family[0].group, sgdRun.group, 'apart from the SGD rows (another optimizer family)');
        assert.match(family[0].group ?? '', /Adam family lr 0.001/);
        for (const s of family) {
          // Same task as the SGD rows: data, network, epochs, batch size.
          assert.deepEqual([s.data, s.model, s.epochs, s.batchSize], [sgdRun.data, sgdRun.model, sgdRun.epochs, sgdRun.batchSize]);
        }
      }
    });
  }

  it('scales the SPAM intervals to the run: a reset every tenth of it, N_w and N_a in the reference proportions', () => {
    assert.deepEqual(spamScaled(630), { resetInterval: 63, warmupSteps: 19, gradAccuSteps: 3 });
    assert.deepEqual(spamScaled(1000), { resetInterval: 100, warmupSteps: 30, gradAccuSteps: 4 });
    assert.deepEqual(spamScaled(5000), { resetInterval: 500, warmupSteps: 150, gradAccuSteps: 20 }, 'the reference values at 5000 steps');
    assert.deepEqual(spamScaled(2), { resetInterval: 2, warmupSteps: 1, gradAccuSteps: 1 });
  });

  it('scales the resets to --epochs', () => {
    const specs = studySpecs('adaptive', { epochs: 20 });
    assert.ok(specs.some((s) => s.name === 'adding-rnn-spam-dt126-none' && s.optimizer.resetInterval === 126 && s.epochs === 20));
    assert.ok(specs.some((s) => s.name === 'cnn-stable-spam-dt1000-none' && s.optimizer.resetInterval === 1000));
  });

  it('uses the real CIFAR-10 files when given a data directory', () => {
    const cnn = studySpecs('adaptive', { dataDir: '/data/cifar' }).filter((s) => s.model === 'cifar-cnn');
    assert.equal(cnn.length, 12);
    assert.ok(cnn.every((s) => s.data.kind === 'cifar' && s.data.dir === '/data/cifar' && s.data.nTrain === 10000));
    assert.match(cnn[0].group ?? '', /CIFAR-10 CNN/);
  });
});

describe('studySpecs: cnn data', () => {
  for (const set of ['cnn', 'adaptive'] as const) {
    it(`${set}: real Fashion-MNIST stand-in by default (2000 / 500), synthetic images only with quick, CIFAR-10 with a data directory`, () => {
      const cnn = (o: Parameters<typeof studySpecs>[1]) => studySpecs(set, o).filter((s) => s.model === 'cifar-cnn');
      for (const s of cnn({})) assert.deepEqual(s.data, { kind: 'cifar', images: 'fashion-mnist', nTrain: 2000, nTest: 500 });
      for (const s of cnn({ quick: true })) assert.deepEqual(s.data, { kind: 'cifar', images: 'synthetic', nTrain: 40, nTest: 20 });
      for (const s of cnn({ dataDir: '/d' })) assert.deepEqual(s.data, { kind: 'cifar', dir: '/d', nTrain: 10000, nTest: 2000 });
      assert.doesNotMatch(cnn({})[0].group ?? '', /synthetic/, 'the default does not claim synthetic data');
      assert.match(cnn({ quick: true })[0].group ?? '', /synthetic/);
    });
  }
});

describe('AGC exclusion of the final layer', () => {
  before(() => useBackend('cpu'));
  it('matches exactly the final layer of every model, also in later models of the process', () => {
    const builders = [
      () => regressionMlp({ inputDim: 30 }),
      () => mnistMlp(),
      () => cifarCnn(),
      () => addingRnn({ seqLength: 5 }),
      () => addingLstm({ seqLength: 5 }),
    ];
    for (const build of builders) {
      for (let k = 0; k < 2; k++) {
        const m = build();
        // What fit hands the optimizer: the tf.Variable names.
        const names = m.trainableWeights.map((w) => (w.read() as tf.Variable).name);
        const last = m.layers[m.layers.length - 1].trainableWeights.map((w) => (w.read() as tf.Variable).name);
        const excluded = names.filter((n) => AGC_EXCLUDE_NAMES.some((e) => n.includes(e)));
        assert.deepEqual(excluded, last, `${m.name}: ${names.join(', ')}`);
        assert.equal(excluded.length, 2);
        m.dispose();
      }
    }
  });
});
