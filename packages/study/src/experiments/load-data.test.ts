import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { loadHostData } from './load-data.js';
import { studySpecs } from './studies.js';

it('built-in CIFAR-like train and test splits share their classes (nearest class mean transfers)', () => {
  const d = loadHostData({ kind: 'cifar', images: 'synthetic', nTrain: 400, nTest: 200 }, 65);
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

const FASHION = '/usr/share/datasets/fashion-mnist';
const installed = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].every((f) =>
  existsSync(path.join(FASHION, f)),
);

/** The IDX file's bytes after its header, read here with zlib alone (independent of the loader). */
function idxBody(file: string, headerBytes: number): Uint8Array {
  return gunzipSync(readFileSync(path.join(FASHION, file))).subarray(headerBytes);
}

describe('CNN data without --data', () => {
  it('the cnn study loads real Fashion-MNIST, padded to 32x32x3 and normalised like CIFAR-10, and says so', { skip: !installed && `${FASHION} not installed (Debian package dataset-fashion-mnist)` }, () => {
    const spec = studySpecs('cnn')[0];
    const d = loadHostData(spec.data, spec.seed);
    assert.match(d.source, /^Fashion-MNIST from \/usr\/share\/datasets\/fashion-mnist \(real images, first 2000 train \/ 500 test; /);
    assert.match(d.notice ?? '', /real Fashion-MNIST images stand in for CIFAR-10/);
    assert.deepEqual([d.nTrain, d.nVal, ...d.exampleShape], [2000, 500, 32, 32, 3]);
    for (const [split, x, y, n] of [
      ['train', d.xTrain, d.yTrain, 2000],
      ['t10k', d.xVal, d.yVal, 500],
    ] as const) {
      const pixels = idxBody(`${split}-images-idx3-ubyte.gz`, 16);
      const labels = idxBody(`${split}-labels-idx1-ubyte.gz`, 8);
      assert.deepEqual([...y], [...labels.subarray(0, n)], `${split} labels`);
      for (const i of [0, 1, n - 1]) {
        for (let r = 0; r < 32; r++) {
          for (let c = 0; c < 32; c++) {
            const inside = r >= 2 && r < 30 && c >= 2 && c < 30;
            const byte = inside ? pixels[i * 784 + (r - 2) * 28 + (c - 2)] : 0;
            const want = Math.fround((byte / 255 - 0.5) / 0.5);
            for (let k = 0; k < 3; k++) {
              const got = x[((i * 32 + r) * 32 + c) * 3 + k];
              if (got !== want) assert.fail(`${split} image ${i} (${r}, ${c}) channel ${k}: ${got} !== ${want}`);
            }
          }
        }
      }
    }
  });

  it('falls back to the synthetic images, saying why, when Fashion-MNIST is not installed', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'gradclip-no-fashion-'));
    try {
      const d = loadHostData({ kind: 'cifar', images: 'fashion-mnist', fashionMnistDir: empty, nTrain: 30, nTest: 10 }, 65);
      const synthetic = loadHostData({ kind: 'cifar', images: 'synthetic', nTrain: 30, nTest: 10 }, 65);
      assert.deepEqual(d.xTrain, synthetic.xTrain);
      assert.deepEqual(d.yVal, synthetic.yVal);
      const missing = path.join(empty, 'train-images-idx3-ubyte.gz');
      assert.equal(d.source, `built-in syntheticCifarLike images (Fashion-MNIST not installed: ${missing} not found; 30 train / 10 test)`);
      assert.match(d.notice ?? '', new RegExp(`^CNN data: Fashion-MNIST is not installed \\(${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} not found; Debian: apt install dataset-fashion-mnist\\), so the CNN trains on built-in synthetic`));
      assert.equal(synthetic.source, 'built-in syntheticCifarLike images (synthetic; 30 train / 10 test)');
      assert.match(synthetic.notice ?? '', /synthetic CIFAR-like images \(quick run\), not real images/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
