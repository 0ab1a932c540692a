import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadHostData } from './load-data.js';

it('built-in CIFAR-like train and test splits share their classes (nearest class mean transfers)', () => {
  const d = loadHostData({ kind: 'cifar', nTrain: 400, nTest: 200 }, 65);
  const px = d.exampleShape.reduce((a, b) => a * b, 1);
  const label = (y: Float32Array, i: number) => y[i]; // class indices
  // Class means from the training split only, then nearest-mean accuracy on the test split.
  const means = Array.from({ length: 10 }, () => new Float64Array(px));
  const counts = new Array(10).fill(0);
  for (let i = 0; i < d.nTrain; i++) {
    const k = label(d.yTrain, i);
    counts[k]++;
    for (let j = 0; j < px; j++) means[k][j] += d.xTrain[i * px + j];
  }
  means.forEach((m, k) => m.forEach((_, j) => (m[j] /= counts[k])));
  let correct = 0;
  for (let i = 0; i < d.nVal; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let k = 0; k < 10; k++) {
      let dist = 0;
      for (let j = 0; j < px; j++) dist += (d.xVal[i * px + j] - means[k][j]) ** 2;
      if (dist < bestD) [best, bestD] = [k, dist];
    }
    if (best === label(d.yVal, i)) correct++;
  }
  assert.ok(correct / d.nVal > 0.6, `nearest-mean test accuracy ${correct / d.nVal} (chance is 0.1)`);
});
