import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadMnistDir, readIdx } from './idx.js';
import { DatasetFormatError } from './dataset-format-error.js';

/** Builds IDX bytes by hand: 0,0,type,ndims, big-endian uint32 dims, data. */
function idxBytes(dims: number[], data: number[], type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

describe('readIdx', () => {
  it('reads a hand-built 3-d file: shape from the big-endian header, data row-major', () => {
    const bytes = idxBytes([2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    assert.deepEqual([...bytes.subarray(0, 4)], [0, 0, 8, 3]); // magic 0x00000803
    const { shape, data } = readIdx(bytes);
    assert.deepEqual(shape, [2, 2, 3]);
    assert.deepEqual([...data], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  });

  it('detects gzip by its 0x1f8b magic, whatever the name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradclip-idx-'));
    try {
      const p = join(dir, 'labels-without-gz-suffix');
      writeFileSync(p, gzipSync(idxBytes([4], [7, 2, 1, 0])));
      assert.deepEqual(readIdx(p), { shape: [4], data: new Uint8Array([7, 2, 1, 0]) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('handles a dimension >= 2**31 in the header as unsigned (and then reports truncation)', () => {
    assert.throws(() => readIdx(idxBytes([0x80000000], [1]), 'big'), /big: expected 2147483648 bytes of data after the header/);
  });

  it('fails clearly on truncated, over-long, foreign and corrupt files', () => {
    const full = idxBytes([10, 28, 28], new Array(10 * 784).fill(0));
    assert.throws(
      () => readIdx(full.subarray(0, 16 + 1000), 'train-images-idx3-ubyte.gz'),
      (e: Error) =>
        e instanceof DatasetFormatError &&
        /^train-images-idx3-ubyte\.gz: expected 7840 bytes of data after the header \(shape \[10, 28, 28\]\), found 1000$/.test(e.message),
    );
    assert.throws(() => readIdx(Buffer.concat([full, Buffer.from([1])]), 'x'), /x: expected 7840 bytes .* found 7841/);
    assert.throws(() => readIdx(Buffer.from([1, 2]), 'tiny'), /tiny: file is 2 bytes, too short/);
    assert.throws(() => readIdx(Buffer.from('%PDF-1.4 hello'), 'doc.pdf'), /doc\.pdf: not an IDX file \(magic number 0x25504446/);
    assert.throws(() => readIdx(idxBytes([2], [0, 0, 0, 0, 0, 0, 0, 0], 0x0c), 'ints'), /ints: IDX data type 0x0c \(int32\) is not supported/);
    assert.throws(() => readIdx(Buffer.from([0, 0, 8, 3, 0, 0]), 'hdr'), /hdr: header declares 3 dimensions \(16 header bytes\) but the file is only 6 bytes/);
    const gz = gzipSync(full);
    assert.throws(() => readIdx(gz.subarray(0, gz.length - 10), 'cut.gz'), /cut\.gz: gzip data is corrupt or truncated/);
    assert.throws(() => readIdx('/nonexistent/dir/t10k-labels-idx1-ubyte'), /t10k-labels-idx1-ubyte: file not found at \/nonexistent/);
  });
});

describe('loadMnistDir', () => {
  let dir: string;
  // 3 training images of 2x2, 2 test images; pixel values chosen so /255 is easy to check.
  const trainPixels = [0, 255, 51, 102, 255, 0, 0, 0, 1, 2, 3, 4];
  const testPixels = [255, 255, 255, 255, 0, 0, 0, 0];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gradclip-mnist-'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxBytes([3, 2, 2], trainPixels)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([3], [5, 0, 9]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes([2, 2, 2], testPixels));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes([2], [7, 1])));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds plain and gzipped files and scales pixels by 1/255', () => {
    const { train, test } = loadMnistDir(dir);
    assert.equal(train.count, 3);
    assert.equal(train.rows, 2);
    assert.equal(train.cols, 2);
    assert.deepEqual([...train.labels], [5, 0, 9]);
    assert.deepEqual([...train.images], trainPixels.map((v) => Math.fround(v / 255)));
    assert.ok(train.images instanceof Float32Array);
    assert.equal(test.count, 2);
    assert.deepEqual([...test.labels], [7, 1]);
    assert.deepEqual([...test.images], [1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('keeps only the first maxTrain/maxTest images', () => {
    const { train, test } = loadMnistDir(dir, { maxTrain: 2, maxTest: 5 });
    assert.equal(train.count, 2);
    assert.equal(train.images.length, 8);
    assert.deepEqual([...train.labels], [5, 0]);
    assert.equal(test.count, 2);
  });

  it('names the missing or inconsistent file', () => {
    const d2 = mkdtempSync(join(tmpdir(), 'gradclip-mnist-bad-'));
    try {
      writeFileSync(join(d2, 'train-images-idx3-ubyte'), idxBytes([3, 2, 2], trainPixels));
      writeFileSync(join(d2, 'train-labels-idx1-ubyte'), idxBytes([2], [5, 0]));
      assert.throws(() => loadMnistDir(d2), /train-labels-idx1-ubyte: has 2 labels but train-images-idx3-ubyte has 3 images/);
      writeFileSync(join(d2, 'train-labels-idx1-ubyte'), idxBytes([3], [5, 0, 1]));
      assert.throws(() => loadMnistDir(d2), /no t10k-images-idx3-ubyte\[\.gz\] and t10k-labels-idx1-ubyte\[\.gz\] in this directory/);
      writeFileSync(join(d2, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBytes([2, 28, 28], [1, 2, 3])));
      writeFileSync(join(d2, 't10k-labels-idx1-ubyte'), idxBytes([2], [1, 2]));
      assert.throws(() => loadMnistDir(d2), /t10k-images-idx3-ubyte\.gz: expected 1568 bytes of data after the header \(shape \[2, 28, 28\]\), found 3/);
    } finally {
      rmSync(d2, { recursive: true, force: true });
    }
    assert.throws(() => loadMnistDir('/nonexistent-mnist-dir'), /\/nonexistent-mnist-dir: directory not found/);
    assert.throws(() => loadMnistDir(dir, { maxTrain: 0 }), /`maxTrain` must be an integer >= 1/);
  });
});
