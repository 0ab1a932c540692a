import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR10_CLASSES, decodeCifarRecords } from './cifar-records.js';
import { loadCifar10Dir } from './cifar10.js';
import { syntheticCifarLike } from './synthetic-cifar.js';
import { DatasetFormatError } from './dataset-format-error.js';

/**
 * One hand-built record: label, then R plane, G plane, B plane (1024 bytes each, row-major).
 * Pixel p of channel c holds (p * 3 + c + seed) % 256, so NHWC output index p*3+c should hold it too.
 */
function record(label: number, seed: number): Buffer {
  const b = Buffer.alloc(3073);
  b[0] = label;
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) b[1 + c * 1024 + p] = (p * 3 + c + seed) % 256;
  return b;
}

describe('decodeCifarRecords', () => {
  it('turns CHW records into NHWC floats in [0, 1] and reads the label byte', () => {
    const { images, labels, count } = decodeCifarRecords(Buffer.concat([record(3, 0), record(9, 7)]));
    assert.equal(count, 2);
    assert.deepEqual([...labels], [3, 9]);
    assert.equal(images.length, 2 * 32 * 32 * 3);
    // Record 0, pixel (row 0, col 1) = p 1: R = 3, G = 4, B = 5.
    assert.deepEqual([...images.slice(3, 6)], [3 / 255, 4 / 255, 5 / 255].map(Math.fround));
    // Record 1, pixel (row 2, col 5) = p 69: R = (207 + 7) % 256 = 214, G = 215, B = 216.
    const off = 3072 + 69 * 3;
    assert.deepEqual([...images.slice(off, off + 3)], [214 / 255, 215 / 255, 216 / 255].map(Math.fround));
  });

  it("'symmetric' maps bytes to (x/255 - 0.5)/0.5 in [-1, 1]", () => {
    const r = Buffer.alloc(3073);
    r[1] = 255; // R of pixel 0
    r[1 + 1024] = 0; // G of pixel 0
    r[1 + 2048] = 51; // B of pixel 0 -> 0.2 -> -0.6
    const { images } = decodeCifarRecords(r, { normalize: 'symmetric' });
    assert.deepEqual([...images.slice(0, 3)], [1, -1, Math.fround(-0.6)]);
  });

  it('fails with the file name when the size is not a multiple of 3073 or a label is out of range', () => {
    assert.throws(
      () => decodeCifarRecords(Buffer.alloc(3073 * 2 + 100), { name: 'data_batch_3.bin' }),
      (e: Error) =>
        e instanceof DatasetFormatError &&
        /^data_batch_3\.bin: size 6246 bytes is not a multiple of the 3073-byte record .*2 whole records and 100 extra bytes/.test(e.message),
    );
    assert.throws(() => decodeCifarRecords(record(10, 0), { name: 'test_batch.bin' }), /test_batch\.bin: record 0 has label 10; CIFAR-10 labels are 0-9/);
    assert.throws(() => decodeCifarRecords(record(1, 0), { normalize: 'z' as 'unit' }), /`normalize` must be one of 'unit', 'symmetric'/);
  });
});

describe('loadCifar10Dir', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gradclip-cifar-'));
    const nested = join(dir, 'cifar-10-batches-bin');
    mkdirSync(nested);
    writeFileSync(join(nested, 'data_batch_1.bin'), Buffer.concat([record(0, 1), record(1, 2), record(2, 3)]));
    writeFileSync(join(nested, 'data_batch_2.bin'), Buffer.concat([record(4, 4), record(5, 5)]));
    writeFileSync(join(nested, 'test_batch.bin'), Buffer.concat([record(8, 9)]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the batches in order (from the archive subdirectory) and the test batch', () => {
    const { train, test } = loadCifar10Dir(dir);
    assert.equal(train.count, 5);
    assert.deepEqual([...train.labels], [0, 1, 2, 4, 5]);
    // Train image 3 is data_batch_2 record 0 (seed 4): pixel 0 R = 4.
    assert.equal(train.images[3 * 3072], Math.fround(4 / 255));
    assert.equal(test.count, 1);
    assert.deepEqual([...test.labels], [8]);
  });

  it('maxPerBatch limits records per file', () => {
    const { train, test } = loadCifar10Dir(dir, { maxPerBatch: 1 });
    assert.deepEqual([...train.labels], [0, 4]);
    assert.equal(train.images.length, 2 * 3072);
    assert.equal(test.count, 1);
  });

  it('names a truncated file and missing files', () => {
    const d2 = mkdtempSync(join(tmpdir(), 'gradclip-cifar-bad-'));
    try {
      assert.throws(() => loadCifar10Dir(d2), /no data_batch_1\.bin … data_batch_5\.bin/);
      writeFileSync(join(d2, 'data_batch_1.bin'), record(1, 1));
      assert.throws(() => loadCifar10Dir(d2), /no test_batch\.bin/);
      writeFileSync(join(d2, 'test_batch.bin'), record(1, 1).subarray(0, 3000));
      assert.throws(() => loadCifar10Dir(d2), /^DatasetFormatError: test_batch\.bin: size 3000 bytes is not a multiple of the 3073-byte record/);
    } finally {
      rmSync(d2, { recursive: true, force: true });
    }
    assert.throws(() => loadCifar10Dir('/nonexistent-cifar'), /directory not found/);
  });
});

describe('syntheticCifarLike', () => {
  it('is CIFAR-shaped, balanced, in range and deterministic', () => {
    const a = syntheticCifarLike({ n: 200, seed: 1 });
    assert.equal(a.count, 200);
    assert.equal(a.images.length, 200 * 32 * 32 * 3);
    const counts = new Array(10).fill(0);
    for (const l of a.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(20));
    assert.ok(a.images.every((v) => v >= 0 && v <= 1));
    assert.deepEqual(syntheticCifarLike({ n: 200, seed: 1 }).images, a.images);
    const s = syntheticCifarLike({ n: 50, seed: 1, normalize: 'symmetric' });
    assert.ok(s.images.every((v) => v >= -1 && v <= 1) && s.images.some((v) => v < 0));
    assert.equal(CIFAR10_CLASSES.length, 10);
  });

  it('has learnable class structure: a nearest-class-mean classifier beats chance by far', () => {
    const train = syntheticCifarLike({ n: 1000, seed: 2 });
    const D = 3072;
    const means = Array.from({ length: 10 }, () => new Float64Array(D));
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 500; i++) {
      const l = train.labels[i];
      counts[l]++;
      for (let d = 0; d < D; d++) means[l][d] += train.images[i * D + d];
    }
    means.forEach((m, k) => m.forEach((_, d) => (m[d] /= counts[k])));
    let correct = 0;
    for (let i = 500; i < 1000; i++) {
      let best = -1;
      let bestDist = Infinity;
      for (let k = 0; k < 10; k++) {
        let dist = 0;
        for (let d = 0; d < D; d++) dist += (train.images[i * D + d] - means[k][d]) ** 2;
        if (dist < bestDist) {
          bestDist = dist;
          best = k;
        }
      }
      if (best === train.labels[i]) correct++;
    }
    assert.ok(correct / 500 > 0.4, `nearest-mean accuracy ${correct / 500} (chance 0.1)`);
  });

  it('rejects bad options', () => {
    assert.throws(() => syntheticCifarLike({ n: 0, seed: 0 }), /`n` must be an integer >= 1/);
    assert.throws(() => syntheticCifarLike({ n: 1, seed: 0, noise: 2 }), /`noise` must be a number in \[0, 1\]/);
  });
});
