import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { loadMnistSample } from './load-mnist-sample.js';

// Independent view of the package: its own per-digit accessor.
const pkg = createRequire(import.meta.url)('mnist') as { length: number; get: (i: number) => number[] }[];
const TOTAL = Array.from({ length: 10 }, (_, d) => pkg[d].length).reduce((a, b) => a + b, 0);

describe('loadMnistSample', () => {
  it('splits all package digits 80/20 with 28x28 images in [0, 1] and labels 0-9', () => {
    const { train, test } = loadMnistSample({ seed: 1 });
    assert.equal(train.count + test.count, TOTAL);
    assert.equal(test.count, Math.ceil(0.2 * TOTAL));
    assert.equal(train.images.length, train.count * 784);
    assert.equal(test.labels.length, test.count);
    assert.equal(train.rows, 28);
    assert.equal(train.cols, 28);
    assert.ok(train.images.every((v) => v >= 0 && v <= 1));
    const counts = new Array(10).fill(0);
    for (const l of [...train.labels, ...test.labels]) counts[l]++;
    assert.deepEqual(counts, Array.from({ length: 10 }, (_, d) => pkg[d].length));
  });

  it('each image matches one of the package samples of its label', () => {
    const { test } = loadMnistSample({ seed: 3, maxTest: 5 });
    for (let i = 0; i < test.count; i++) {
      const img = test.images.subarray(i * 784, (i + 1) * 784);
      const digit = pkg[test.labels[i]];
      let found = false;
      for (let k = 0; k < digit.length && !found; k++) {
        const s = digit.get(k);
        found = s.every((v, j) => Math.fround(v) === img[j]);
      }
      assert.ok(found, `test image ${i} (label ${test.labels[i]}) is a package sample`);
    }
  });

  it('is deterministic per seed, different across seeds, and honours maxTrain/maxTest', () => {
    const a = loadMnistSample({ seed: 5, maxTrain: 50, maxTest: 10 });
    const b = loadMnistSample({ seed: 5, maxTrain: 50, maxTest: 10 });
    const c = loadMnistSample({ seed: 6, maxTrain: 50, maxTest: 10 });
    assert.equal(a.train.count, 50);
    assert.equal(a.test.count, 10);
    assert.deepEqual(a.train.labels, b.train.labels);
    assert.deepEqual(a.train.images, b.train.images);
    assert.notDeepEqual(a.train.labels, c.train.labels);
    assert.throws(() => loadMnistSample({ maxTrain: 0 }), /`maxTrain` must be an integer >= 1/);
  });
});
