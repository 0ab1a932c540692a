import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeRegression } from './make-regression.js';
import { splitSizes, trainTestSplit, trainTestSplitIndices } from './train-test-split.js';
import { SKIP_NO_SKLEARN, runPythonJson } from '../../test/python-live.js';

const REF_URL = new URL('../../test/fixtures/make-regression.json', import.meta.url);

interface SplitRef {
  split_test_first_y: number[];
  split_train_first_y: number[];
  split_test_y_sum: number;
  n_train: number;
  n_test: number;
}

function loadReference(): { seeds: Record<string, SplitRef> } {
  const path = fileURLToPath(REF_URL);
  if (!existsSync(path)) {
    throw new Error(`reference file missing: ${path} (test/fixtures/make-regression.json is part of the repository)`);
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

const relErr = (a: number, b: number): number => (b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b));

describe('trainTestSplit', () => {
  const ref = loadReference();

  for (const [seed, r] of Object.entries(ref.seeds)) {
    it(`equals sklearn train_test_split(X, y, test_size=0.2, random_state=${seed}) on make_regression data`, () => {
      const { X, y } = makeRegression({ nSamples: 10000, nFeatures: 30, randomState: Number(seed) });
      const [XTrain, XTest, yTrain, yTest] = trainTestSplit([X, y as number[]], { testSize: 0.2, randomState: Number(seed) });
      assert.equal(XTrain.length, r.n_train);
      assert.equal(yTrain.length, r.n_train);
      assert.equal(XTest.length, r.n_test);
      assert.equal(yTest.length, r.n_test);
      let worst = 0;
      r.split_test_first_y.forEach((v, i) => (worst = Math.max(worst, relErr(yTest[i], v))));
      r.split_train_first_y.forEach((v, i) => (worst = Math.max(worst, relErr(yTrain[i], v))));
      assert.ok(worst < 1e-9, `max relative error ${worst}`);
      const sum = yTest.reduce((a, b) => a + b, 0);
      assert.ok(relErr(sum, r.split_test_y_sum) < 1e-9, `test y sum ${sum} vs ${r.split_test_y_sum}`);
      // Rows stay paired: X rows and y values move together.
      const yOf = new Map((y as number[]).map((v, i) => [X[i], v]));
      XTest.forEach((row, i) => assert.equal(yOf.get(row), yTest[i]));
    });
  }

  it('uses numpy permutation order: test = perm[:n_test], train = perm[n_test:]', () => {
    // np.random.RandomState(0).permutation(10) == [2, 8, 4, 9, 1, 6, 7, 3, 0, 5] (numpy docs).
    assert.deepEqual(trainTestSplitIndices(10, { testSize: 0.2, randomState: 0 }), {
      test: [2, 8],
      train: [4, 9, 1, 6, 7, 3, 0, 5],
    });
    assert.deepEqual(trainTestSplitIndices(10, { testSize: 2, trainSize: 3, randomState: 0 }), {
      test: [2, 8],
      train: [4, 9, 1],
    });
  });

  it('computes sizes as sklearn: ceil for test, floor for train, 0.25 default', () => {
    assert.deepEqual(splitSizes(10000, 0.2), { nTrain: 8000, nTest: 2000 });
    assert.deepEqual(splitSizes(10, 0.25), { nTrain: 7, nTest: 3 });
    assert.deepEqual(splitSizes(10), { nTrain: 7, nTest: 3 });
    assert.deepEqual(splitSizes(10, null, 0.66), { nTrain: 6, nTest: 4 });
    assert.deepEqual(splitSizes(10, 0.3, 0.5), { nTrain: 5, nTest: 3 });
    assert.deepEqual(splitSizes(10, 4), { nTrain: 6, nTest: 4 });
  });

  it('splits in order without shuffling', () => {
    const [a, b] = trainTestSplit([[0, 1, 2, 3, 4]], { testSize: 2, shuffle: false });
    assert.deepEqual(a, [0, 1, 2]);
    assert.deepEqual(b, [3, 4]);
  });

  it('rejects bad sizes and mismatched lengths with clear messages', () => {
    assert.throws(() => splitSizes(10, 1.5), /`testSize` must be a fraction in \(0, 1\) or an integer count in \[1, 9\].*Received: testSize=1\.5/);
    assert.throws(() => splitSizes(10, 0), /Received: testSize=0/);
    assert.throws(() => splitSizes(10, 0.6, 0.6), /must be <= 1/);
    assert.throws(() => splitSizes(10, 6, 6), /at most n_samples=10/);
    assert.throws(() => trainTestSplit([[1, 2, 3], [1, 2]], { testSize: 1 }), /same length.*lengths \[3, 2\]/);
    assert.throws(() => trainTestSplit([], {}), /`arrays` must be a non-empty list/);
  });

  describe('against live scikit-learn (/usr/bin/python3)', { skip: SKIP_NO_SKLEARN }, () => {
    const cases = [
      { n: 37, seed: 11, test: '0.3', train: 'None' },
      { n: 101, seed: 123456, test: '10', train: '0.5' },
      { n: 9, seed: 11, test: 'None', train: '0.6' },
    ];
    for (const c of cases) {
      it(`n=${c.n} seed=${c.seed} test_size=${c.test} train_size=${c.train}`, () => {
        const py = runPythonJson<[number[], number[]]>(`
import json, numpy as np
from sklearn.model_selection import train_test_split
tr, te = train_test_split(np.arange(${c.n}), test_size=${c.test}, train_size=${c.train}, random_state=${c.seed})
print(json.dumps([tr.tolist(), te.tolist()]))
`);
        const num = (s: string): number | null => (s === 'None' ? null : Number(s));
        const idx = Array.from({ length: c.n }, (_, i) => i);
        const [tr, te] = trainTestSplit([idx], { testSize: num(c.test), trainSize: num(c.train), randomState: c.seed });
        assert.deepEqual(tr, py[0]);
        assert.deepEqual(te, py[1]);
      });
    }
  });
});
