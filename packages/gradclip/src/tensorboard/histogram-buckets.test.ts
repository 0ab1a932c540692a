import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HISTOGRAM_BUCKETS, histogramBuckets } from './histogram-buckets.js';

const rows = (v: Float64Array) => Array.from({ length: v.length / 3 }, (_, i) => Array.from(v.subarray(i * 3, i * 3 + 3)));
const countSum = (v: Float64Array) => rows(v).reduce((s, r) => s + r[2], 0);

describe('histogramBuckets', () => {
  it('uses 30 equal-width buckets by default, the last edge being max', () => {
    const data = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 + 0.5);
    const h = histogramBuckets(data);
    assert.equal(DEFAULT_HISTOGRAM_BUCKETS, 30);
    assert.equal(h.rows, 30);
    assert.equal(h.values.length, 90);
    const r = rows(h.values);
    assert.equal(r[0][0], Math.min(...data));
    assert.equal(r[29][1], Math.max(...data));
    for (let i = 1; i < 30; i++) assert.equal(r[i][0], r[i - 1][1], 'buckets are contiguous');
    assert.equal(countSum(h.values), 1000);
  });

  it('puts x into floor((x - min) / width), the max into the last bucket', () => {
    const h = histogramBuckets([0, 1, 2, 3], 3);
    assert.deepEqual(rows(h.values), [
      [0, 1, 1],
      [1, 2, 1],
      [2, 3, 2],
    ]);
  });

  it('gives one bucket [v - 0.5, v + 0.5, n] when all values are equal (tfjs-node rule)', () => {
    const h = histogramBuckets([2, 2, 2], 30);
    assert.equal(h.rows, 1);
    assert.deepEqual(Array.from(h.values), [1.5, 2.5, 3]);
  });

  it('gives zero rows for empty data', () => {
    const h = histogramBuckets([], 30);
    assert.equal(h.rows, 0);
    assert.equal(h.values.length, 0);
    assert.equal(h.count, 0);
  });

  it('skips NaN and ±Inf and counts them', () => {
    const h = histogramBuckets([NaN, 1, Infinity, 2, -Infinity, NaN, 3, Infinity], 4);
    assert.deepEqual([h.count, h.nanCount, h.posInfCount, h.negInfCount], [3, 2, 2, 1]);
    assert.equal(countSum(h.values), 3);
    assert.equal(rows(h.values)[0][0], 1);
    assert.equal(rows(h.values)[3][1], 3);
  });

  it('gives zero rows when every value is non-finite', () => {
    const h = histogramBuckets(new Float32Array([NaN, Infinity]), 5);
    assert.equal(h.rows, 0);
    assert.deepEqual([h.count, h.nanCount, h.posInfCount, h.negInfCount], [0, 1, 1, 0]);
  });

  it('handles a range that overflows a double', () => {
    const h = histogramBuckets([-1e308, 0, 1e308], 4);
    const r = rows(h.values);
    assert.equal(r[0][0], -1e308);
    assert.equal(r[3][1], 1e308);
    assert.ok(r.every((row) => row.every(Number.isFinite)));
    assert.deepEqual(r.map((row) => row[2]), [1, 0, 1, 1]);
  });

  it('counts sum to the finite count for a sweep of bucket counts', () => {
    const data = Float64Array.from({ length: 257 }, (_, i) => ((i * 7919) % 101) / 13 - 3);
    for (let k = 1; k <= 64; k++) {
      const h = histogramBuckets(data, k);
      assert.equal(h.rows, k);
      assert.equal(countSum(h.values), 257, `k=${k}`);
    }
  });
});
