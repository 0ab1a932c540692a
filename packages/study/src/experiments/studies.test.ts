import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { addingRnn, cifarCnn, addingLstm, mnistMlp, regressionMlp } from '../models/index.js';
import { AGC_EXCLUDE_NAMES, formatClip } from './clip-setting.js';
import { STUDY_NAMES, studySpecs } from './studies.js';
import { resolveSpec } from './validate-spec.js';

describe('studySpecs: adaptive', () => {
  it('is a study set (and part of `all`)', () => {
    assert.ok(STUDY_NAMES.includes('adaptive'));
  });

  for (const quick of [false, true]) {
    it(`compares none, a fixed global norm, AGC, AutoClip and ZClip on the SimpleRNN and the CNN${quick ? ' (quick)' : ''}`, () => {
      const specs = studySpecs('adaptive', { quick });
      assert.equal(specs.length, 10);
      const rnn = specs.filter((s) => s.model === 'adding-rnn');
      const cnn = specs.filter((s) => s.model === 'cifar-cnn');
      assert.deepEqual(rnn.map((s) => formatClip(s.clip)), ['none', 'global-norm=1', 'agc=0.01', 'autoclip=10', 'zclip']);
      assert.deepEqual(cnn.map((s) => formatClip(s.clip)), ['none', 'global-norm=2', 'agc=0.01', 'autoclip=10', 'zclip']);
      assert.deepEqual(
        specs.map((s) => s.clip.transform?.name ?? null),
        [null, null, 'adaptiveGradClip', 'autoClip', 'zClip', null, null, 'adaptiveGradClip', 'autoClip', 'zClip'],
      );
      assert.equal(new Set(specs.map((s) => s.name)).size, 10);
      for (const s of rnn) assert.deepEqual(s.optimizer, { name: 'sgd', learningRate: 0.1 });
      for (const s of cnn) {
        assert.deepEqual(s.optimizer, { name: 'momentum', learningRate: 0.001, momentum: 0.9 });
        assert.equal(s.batchSize, 4);
        assert.equal(s.data.kind === 'cifar' && s.data.dir, undefined, 'built-in data unless --data');
      }
      // Every spec is valid (the transform specs are built once by the validation).
      for (const s of specs) resolveSpec(s);
      // Plain JSON: the clip settings (transform specs included) survive a round trip unchanged.
      const clips = specs.map((s) => s.clip);
      assert.deepEqual(JSON.parse(JSON.stringify(clips)), clips);
    });
  }

  it('uses the real CIFAR-10 files when given a data directory', () => {
    const cnn = studySpecs('adaptive', { dataDir: '/data/cifar' }).filter((s) => s.model === 'cifar-cnn');
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
