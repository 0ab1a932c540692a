import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { runStudy } from './run-study.js';
import { studySpecs } from './studies.js';
import type { ExperimentSpec, StudyResult } from './types.js';
import { renderReport, renderTextTable } from '../report/index.js';

const tiny = (name: string): ExperimentSpec => ({
  name,
  data: { kind: 'regression', nSamples: 100 },
  model: 'regression-mlp',
  optimizer: { name: 'adam' },
  clip: {},
  epochs: 1,
  batchSize: 32,
  seed: 1,
  backend: 'cpu',
});

describe('runStudy', () => {
  before(() => useBackend('cpu'));

  it('hands over the study so far after every run, marked incomplete until the last', async () => {
    const seen: StudyResult[] = [];
    const before = tf.memory().numTensors;
    const study = await runStudy('s', [tiny('a'), tiny('b'), tiny('c')], {
      date: () => new Date(0),
      onStudyUpdate: (s) => void seen.push(structuredClone(s)),
    });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    assert.deepEqual(
      seen.map((s) => s.runs.map((r) => r.name)),
      [['a'], ['a', 'b'], ['a', 'b', 'c']],
    );
    assert.deepEqual(seen[0].notes, ['incomplete: 1 of 3 configurations finished (the study was interrupted or is still running); rerun it for the rest.']);
    assert.deepEqual(seen[1].notes, ['incomplete: 2 of 3 configurations finished (the study was interrupted or is still running); rerun it for the rest.']);
    assert.deepEqual(seen[2], study, 'the last update is the finished study');
    assert.deepEqual(study.notes, []);
  });

  it('waits for an asynchronous update before the next run', async () => {
    const events: string[] = [];
    await runStudy('s', [tiny('a'), tiny('b')], {
      onRunStart: (spec) => void events.push(`start ${spec.name}`),
      onStudyUpdate: async (s) => {
        await new Promise((r) => setTimeout(r, 20));
        events.push(`saved ${s.runs.length}`);
      },
    });
    assert.deepEqual(events, ['start a', 'saved 1', 'start b', 'saved 2']);
  });

  const fashion = existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz');
  it('the cnn set without --data says it trained on Fashion-MNIST: results, notes, table and report', { skip: !fashion && 'Fashion-MNIST not installed' }, async () => {
    const spec = studySpecs('cnn', { backend: 'cpu', epochs: 1 })[0];
    const small: ExperimentSpec = { ...spec, data: { ...spec.data, kind: 'cifar', nTrain: 8, nTest: 4 } };
    const study = await runStudy('cnn', [small]);
    const r = study.runs[0];
    assert.match(r.data.source, /^Fashion-MNIST from \/usr\/share\/datasets\/fashion-mnist \(real images, first 8 train \/ 4 test;/);
    assert.match(r.data.notice ?? '', /^CNN data: real Fashion-MNIST images stand in for CIFAR-10/);
    assert.deepEqual(study.notes, [r.data.notice]);
    assert.match(renderTextTable(study.runs), /^-- CIFAR-10 CNN · SGD momentum \(article\)\n {3}data: Fashion-MNIST from \/usr\/share\/datasets\/fashion-mnist/m);
    const html = await renderReport(study);
    assert.match(html, /<li>CNN data: real Fashion-MNIST images stand in for CIFAR-10/);
    assert.match(html, /data: Fashion-MNIST from \/usr\/share\/datasets\/fashion-mnist/);
  });
});
