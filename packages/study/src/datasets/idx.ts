/**
 * Reader for the IDX format of MNIST and Fashion-MNIST (plain or gzipped).
 *
 * Layout: two zero bytes, a type byte (0x08 = unsigned byte, the only type MNIST uses), the
 * number of dimensions, then one big-endian uint32 per dimension, then the data, row-major.
 * So images start with the magic number 0x00000803 (`[n, rows, cols]`) and labels with 0x00000801.
 *
 * References: Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database",
 * http://yann.lecun.com/exdb/mnist/ (section "File formats").
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { check, checkInteger } from 'gradclip/errors';
import { DatasetFormatError } from './dataset-format-error.js';
import type { MnistData, MnistSplit } from './mnist-types.js';

/** A decoded IDX file of unsigned bytes. */
export interface IdxArray {
  /** Dimensions, e.g. `[60000, 28, 28]` for MNIST training images. */
  shape: number[];
  /** The values, row-major, `shape` multiplied out. */
  data: Uint8Array;
}

const IDX_TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** True when `bytes` starts with the gzip magic number 0x1f 0x8b. */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Reads an IDX file of unsigned bytes, gunzipping it first when it starts with the gzip magic
 * number (whatever its name).
 *
 * @param source - a file path, or the file's bytes.
 * @param name - the name used in error messages (default: the file's base name, or "IDX data").
 * @returns `{ shape, data }`.
 * @throws DatasetFormatError, with the file name, when the file is missing, not valid gzip, has a
 *   bad magic number or a type other than unsigned byte, or its data is shorter or longer than
 *   its header says.
 * @example
 * ```ts
 * const { shape, data } = readIdx('/data/mnist/t10k-labels-idx1-ubyte.gz');
 * shape; //=> [10000]
 * data[0]; //=> 7
 * ```
 */
export function readIdx(source: string | Uint8Array, name?: string): IdxArray {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    name ??= basename(source);
    if (!existsSync(source)) throw new DatasetFormatError(`${name}: file not found at ${source}`);
    bytes = readFileSync(source);
  } else {
    check(source instanceof Uint8Array, 'source', 'a file path or a Uint8Array', source);
    bytes = source;
    name ??= 'IDX data';
  }
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DatasetFormatError(`${name}: gzip data is corrupt or truncated (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4) {
    throw new DatasetFormatError(`${name}: file is ${bytes.length} bytes, too short for the 4-byte IDX magic number`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DatasetFormatError(
      `${name}: not an IDX file (magic number 0x${magic.toString(16).padStart(8, '0')}; IDX files start with two zero bytes, e.g. 0x00000803)`,
    );
  }
  const type = bytes[2];
  const ndims = bytes[3];
  if (type !== 0x08) {
    const typeName = IDX_TYPE_NAMES[type] ?? 'unknown';
    throw new DatasetFormatError(
      `${name}: IDX data type 0x${type.toString(16).padStart(2, '0')} (${typeName}) is not supported; only 0x08 (unsigned byte, as in MNIST) is`,
    );
  }
  if (ndims === 0) throw new DatasetFormatError(`${name}: IDX header declares 0 dimensions`);
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    throw new DatasetFormatError(
      `${name}: header declares ${ndims} dimensions (${headerLength} header bytes) but the file is only ${bytes.length} bytes`,
    );
  }
  const shape: number[] = [];
  for (let d = 0; d < ndims; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const expected = shape.reduce((a, b) => a * b, 1);
  const found = bytes.length - headerLength;
  if (found !== expected) {
    throw new DatasetFormatError(
      `${name}: expected ${expected} bytes of data after the header (shape [${shape.join(', ')}]), found ${found}`,
    );
  }
  // A plain Uint8Array view (not a Node Buffer), sharing memory with the file's bytes.
  return { shape, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerLength, expected) };
}

/** The first existing file among the usual spellings of an MNIST file name, or undefined. */
function findIdxFile(dir: string, stem: string, kind: 'idx3' | 'idx1'): string | undefined {
  const candidates = [`${stem}-${kind}-ubyte`, `${stem}.${kind}-ubyte`];
  for (const base of candidates) {
    for (const suffix of ['', '.gz']) {
      const p = join(dir, base + suffix);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

function loadSplit(dir: string, stem: 'train' | 't10k', max: number | undefined): MnistSplit {
  const imagesPath = findIdxFile(dir, `${stem}-images`, 'idx3');
  const labelsPath = findIdxFile(dir, `${stem}-labels`, 'idx1');
  if (!imagesPath || !labelsPath) {
    const missing = [!imagesPath && `${stem}-images-idx3-ubyte[.gz]`, !labelsPath && `${stem}-labels-idx1-ubyte[.gz]`]
      .filter(Boolean)
      .join(' and ');
    throw new DatasetFormatError(`${dir}: no ${missing} in this directory`);
  }
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  const imagesName = basename(imagesPath);
  const labelsName = basename(labelsPath);
  if (images.shape.length !== 3) {
    throw new DatasetFormatError(`${imagesName}: expected 3 dimensions [count, rows, cols], found [${images.shape.join(', ')}]`);
  }
  if (labels.shape.length !== 1) {
    throw new DatasetFormatError(`${labelsName}: expected 1 dimension [count], found [${labels.shape.join(', ')}]`);
  }
  const [n, rows, cols] = images.shape;
  if (labels.shape[0] !== n) {
    throw new DatasetFormatError(`${labelsName}: has ${labels.shape[0]} labels but ${imagesName} has ${n} images`);
  }
  const count = max === undefined ? n : Math.min(n, max);
  const size = rows * cols;
  const pixels = new Float32Array(count * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { images: pixels, labels: labels.data.slice(0, count), count, rows, cols };
}

/**
 * Loads MNIST (or Fashion-MNIST, or any IDX dataset with the same file names) from a directory
 * holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
 * `t10k-labels-idx1-ubyte`, each plain or gzipped (`.gz`); the `train-images.idx3-ubyte` spelling
 * is accepted too.
 *
 * @param dir - the directory.
 * @param options - `maxTrain`/`maxTest`: keep only the first that many images of each split.
 * @returns `{ train, test }`, pixels scaled to [0, 1] (byte / 255).
 * @throws DatasetFormatError naming the file when a file is missing, truncated or malformed, or
 *   the image and label counts differ.
 * @example
 * ```ts
 * const { train, test } = loadMnistDir('/data/mnist');
 * train.count; //=> 60000
 * test.images.length; //=> 7840000
 * ```
 */
export function loadMnistDir(dir: string, options: { maxTrain?: number; maxTest?: number } = {}): MnistData {
  check(typeof dir === 'string' && dir.length > 0, 'dir', 'a directory path', dir);
  if (options.maxTrain !== undefined) checkInteger('maxTrain', options.maxTrain, 1);
  if (options.maxTest !== undefined) checkInteger('maxTest', options.maxTest, 1);
  if (!existsSync(dir)) throw new DatasetFormatError(`${dir}: directory not found`);
  return { train: loadSplit(dir, 'train', options.maxTrain), test: loadSplit(dir, 't10k', options.maxTest) };
}
