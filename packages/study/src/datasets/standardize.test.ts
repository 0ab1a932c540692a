import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { standardize } from './standardize.js';
import { SKIP_NO_SKLEARN, runPythonJson } from '../../test/python-live.js';

describe('standardize', () => {
  it('fits mean and population std on train and applies them to every array', () => {
    // Column 0: [1, 3, 5] -> mean 3, std sqrt(8/3); column 1 constant -> centered, std reported 1.
    const s = Math.sqrt(8 / 3);
    const out = standardize([[1, 7], [3, 7], [5, 7]], [[9, 8]]);
    assert.deepEqual(out.mean, [3, 7]);
    assert.deepEqual(out.std, [s, 1]);
    assert.deepEqual(out.arrays[0], [[-2 / s, 0], [0, 0], [2 / s, 0]]);
    assert.deepEqual(out.arrays[1], [[6 / s, 1]]);
  });

  it('treats a flat array as one column', () => {
    assert.deepEqual(standardize([1, 3], [5]), { arrays: [[-1, 1], [3]], mean: 2, std: 1 });
  });

  it('gives the train rows mean 0 and std 1 per column', () => {
    const rows = Array.from({ length: 100 }, (_, i) => [i * i, Math.sin(i) * 1e6, -i]);
    const [t] = standardize(rows).arrays;
    for (let j = 0; j < 3; j++) {
      const col = t.map((r) => r[j]);
      const m = col.reduce((a, b) => a + b, 0) / col.length;
      const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
      assert.ok(Math.abs(m) < 1e-12 && Math.abs(v - 1) < 1e-12);
    }
  });

  it('rejects empty train and ragged rows', () => {
    assert.throws(() => standardize([] as number[][]), /`train` must be a non-empty array/);
    assert.throws(() => standardize([[1, 2]], [[1]]), /`others\[0\]\[0\]\.length` must be 2\. Received: others\[0\]\[0\]\.length=1/);
  });

  it('matches sklearn StandardScaler', { skip: SKIP_NO_SKLEARN }, () => {
    const train = [[1.5, -2, 100], [2.5, 0, 300], [-4, 3, 250], [0.25, 1, 90]];
    const test = [[0, 0, 0], [10, -10, 1000]];
    const py = runPythonJson<{ mean: number[]; scale: number[]; tr: number[][]; te: number[][] }>(`
import json, numpy as np
from sklearn.preprocessing import StandardScaler
s = StandardScaler().fit(np.array(${JSON.stringify(train)}))
print(json.dumps({'mean': s.mean_.tolist(), 'scale': s.scale_.tolist(),
  'tr': s.transform(np.array(${JSON.stringify(train)})).tolist(), 'te': s.transform(np.array(${JSON.stringify(test)})).tolist()}))
`);
    const out = standardize(train, test);
    const close = (a: number[], b: number[]): void =>
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-12 * Math.max(1, Math.abs(b[i])), `${v} vs ${b[i]}`));
    close(out.mean, py.mean);
    close(out.std, py.scale);
    out.arrays[0].forEach((r, i) => close(r, py.tr[i]));
    out.arrays[1].forEach((r, i) => close(r, py.te[i]));
  });
});
