/**
 * CIFAR-10: a reader for the official binary version, and a built-in CIFAR-shaped stand-in.
 *
 * Binary format (the "CIFAR-10 binary version" from the dataset page): files `data_batch_1.bin`
 * … `data_batch_5.bin` and `test_batch.bin`, each a run of 3073-byte records: 1 label byte (0-9)
 * then 3072 pixel bytes, the 1024 red values of the 32x32 image row by row, then the 1024 green,
 * then the 1024 blue (CHW). Each real file has 10000 records.
 *
 * References: A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009;
 * https://www.cs.toronto.edu/~kriz/cifar.html.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { check, checkInteger, checkOneOf } from '../errors.js';
import { DatasetFormatError } from './dataset-format-error.js';
import { RandomState } from './random-state.js';

/** The ten CIFAR-10 class names, indexed by label. */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

/** Image height and width. */
export const CIFAR_SIZE = 32;
/** Colour channels. */
export const CIFAR_CHANNELS = 3;
/** Bytes in one record: 1 label byte + 32*32*3 pixel bytes. */
export const CIFAR_RECORD_BYTES = 1 + CIFAR_SIZE * CIFAR_SIZE * CIFAR_CHANNELS;

/**
 * How pixel bytes become floats: `'unit'` is `byte / 255` in [0, 1]; `'symmetric'` is
 * `(byte / 255 - 0.5) / 0.5` in [-1, 1], torchvision's `Normalize((0.5,)*3, (0.5,)*3)` from the
 * PyTorch CIFAR-10 tutorial that the article's CNN follows.
 */
export type CifarNormalization = 'unit' | 'symmetric';

/** A set of CIFAR-shaped images. */
export interface CifarSplit {
  /** Pixels, layout NHWC `[count, 32, 32, 3]`, scaled by the chosen normalization. */
  images: Float32Array;
  /** Class labels 0-9. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/** Training (data_batch_1..5) and test (test_batch) sets. */
export interface CifarData {
  train: CifarSplit;
  test: CifarSplit;
}

/** Options of {@link loadCifar10Dir}. */
export interface LoadCifar10Options {
  /** Read at most this many records from each file (for quick runs). Default: all. */
  maxPerBatch?: number;
  /** Pixel scaling. Default `'unit'`. */
  normalize?: CifarNormalization;
}

function scaler(normalize: CifarNormalization): (byte: number) => number {
  return normalize === 'unit' ? (b) => b / 255 : (b) => (b / 255 - 0.5) / 0.5;
}

/**
 * Decodes CIFAR-10 binary records (CHW) into NHWC floats and labels.
 *
 * @param bytes - whole records, a multiple of 3073 bytes.
 * @param options - `maxRecords` (default all), `normalize` (default `'unit'`), `name` for errors.
 * @returns `{ images, labels, count }`.
 * @throws DatasetFormatError naming the file when the size is not a multiple of 3073 or a label is > 9.
 * @example
 * ```ts
 * const rec = new Uint8Array(3073); rec[0] = 3; rec[1] = 255; // label cat, red of pixel (0,0)
 * decodeCifarRecords(rec).images.slice(0, 3); //=> Float32Array [1, 0, 0]
 * ```
 */
export function decodeCifarRecords(
  bytes: Uint8Array,
  options: { maxRecords?: number; normalize?: CifarNormalization; name?: string } = {},
): CifarSplit {
  const { maxRecords, normalize = 'unit', name = 'CIFAR-10 data' } = options;
  checkOneOf('normalize', normalize, ['unit', 'symmetric'] as const);
  if (bytes.length % CIFAR_RECORD_BYTES !== 0) {
    throw new DatasetFormatError(
      `${name}: size ${bytes.length} bytes is not a multiple of the ${CIFAR_RECORD_BYTES}-byte record ` +
        `(1 label + 3072 pixels); ${Math.floor(bytes.length / CIFAR_RECORD_BYTES)} whole records and ` +
        `${bytes.length % CIFAR_RECORD_BYTES} extra bytes, so the file is truncated or not CIFAR-10 binary`,
    );
  }
  const total = bytes.length / CIFAR_RECORD_BYTES;
  const count = maxRecords === undefined ? total : Math.min(total, maxRecords);
  const plane = CIFAR_SIZE * CIFAR_SIZE;
  const images = new Float32Array(count * plane * CIFAR_CHANNELS);
  const labels = new Uint8Array(count);
  const f = scaler(normalize);
  for (let r = 0; r < count; r++) {
    const off = r * CIFAR_RECORD_BYTES;
    const label = bytes[off];
    if (label > 9) throw new DatasetFormatError(`${name}: record ${r} has label ${label}; CIFAR-10 labels are 0-9`);
    labels[r] = label;
    const out = r * plane * CIFAR_CHANNELS;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < CIFAR_CHANNELS; c++) {
        images[out + p * CIFAR_CHANNELS + c] = f(bytes[off + 1 + c * plane + p]);
      }
    }
  }
  return { images, labels, count };
}

function concatSplits(parts: CifarSplit[]): CifarSplit {
  const count = parts.reduce((a, p) => a + p.count, 0);
  const images = new Float32Array(count * CIFAR_SIZE * CIFAR_SIZE * CIFAR_CHANNELS);
  const labels = new Uint8Array(count);
  let n = 0;
  for (const p of parts) {
    images.set(p.images, n * CIFAR_SIZE * CIFAR_SIZE * CIFAR_CHANNELS);
    labels.set(p.labels, n);
    n += p.count;
  }
  return { images, labels, count };
}

function readBatch(path: string, options: LoadCifar10Options): CifarSplit {
  const name = basename(path);
  if (!statSync(path).isFile()) throw new DatasetFormatError(`${name}: not a regular file (${path})`);
  return decodeCifarRecords(readFileSync(path), {
    maxRecords: options.maxPerBatch,
    normalize: options.normalize,
    name,
  });
}

/**
 * Loads the CIFAR-10 binary version from a directory holding `data_batch_1.bin` …
 * `data_batch_5.bin` and `test_batch.bin` (or from its `cifar-10-batches-bin/` subdirectory, as the
 * official archive unpacks). Training batches that are absent are skipped, but at least one must be
 * there, and so must `test_batch.bin`.
 *
 * @param dir - the directory.
 * @param options - `maxPerBatch` (records per file, default all), `normalize` (`'unit'` default, or `'symmetric'`).
 * @returns `{ train, test }` with NHWC images.
 * @throws DatasetFormatError naming the file when files are missing, a size is not a multiple of
 *   3073 bytes, or a label is out of range; ValueError for bad options.
 * @example
 * ```ts
 * const { train, test } = loadCifar10Dir('/data/cifar-10-batches-bin', { normalize: 'symmetric' });
 * train.count; //=> 50000
 * test.images.length; //=> 30720000 (10000 * 32 * 32 * 3)
 * ```
 */
export function loadCifar10Dir(dir: string, options: LoadCifar10Options = {}): CifarData {
  check(typeof dir === 'string' && dir.length > 0, 'dir', 'a directory path', dir);
  if (options.maxPerBatch !== undefined) checkInteger('maxPerBatch', options.maxPerBatch, 1);
  checkOneOf('normalize', options.normalize ?? 'unit', ['unit', 'symmetric'] as const);
  if (!existsSync(dir)) throw new DatasetFormatError(`${dir}: directory not found`);
  let root = dir;
  const nested = join(dir, 'cifar-10-batches-bin');
  if (!existsSync(join(dir, 'test_batch.bin')) && existsSync(join(nested, 'test_batch.bin'))) root = nested;
  const trainPaths = [1, 2, 3, 4, 5].map((i) => join(root, `data_batch_${i}.bin`)).filter((p) => existsSync(p));
  const testPath = join(root, 'test_batch.bin');
  if (trainPaths.length === 0) throw new DatasetFormatError(`${root}: no data_batch_1.bin … data_batch_5.bin in this directory`);
  if (!existsSync(testPath)) throw new DatasetFormatError(`${root}: no test_batch.bin in this directory`);
  const train = concatSplits(trainPaths.map((p) => readBatch(p, options)));
  const test = readBatch(testPath, options);
  return { train, test };
}

/** Options of {@link syntheticCifarLike}. */
export interface SyntheticCifarOptions {
  /** Number of images, an integer >= 1. */
  n: number;
  /** Seed (integer in [0, 2**32 - 1]); the class templates depend on it too. */
  seed: number;
  /** Pixel scaling, as for real data. Default `'unit'`. */
  normalize?: CifarNormalization;
  /** Standard deviation of the per-pixel noise, in [0, 1] units. Default 0.2. */
  noise?: number;
}

/**
 * Built-in CIFAR-shaped data (32x32x3 NHWC, 10 classes) for runs with no real copy of CIFAR-10.
 *
 * Each class has a template: a base colour plus three random low-frequency colour waves. An image is
 * its class template, randomly shifted by up to 4 pixels (wrapping) and brightened or darkened,
 * plus Gaussian pixel noise, clipped to [0, 1] and quantized to bytes like a real image, then
 * normalized. A small CNN (or even a nearest-template classifier) can learn it, but not instantly,
 * so gradients behave like a real image task rather than a toy.
 * Labels are balanced (`i % 10`) and shuffled. Everything comes from `RandomState(seed)`.
 *
 * @param options - `{ n, seed, normalize?, noise? }`.
 * @returns `{ images, labels, count }`.
 * @throws ValueError for a bad `n`, `seed`, `noise` or `normalize`.
 * @example
 * ```ts
 * const { images, labels, count } = syntheticCifarLike({ n: 1000, seed: 0 });
 * images.length; //=> 3072000
 * ```
 */
export function syntheticCifarLike(options: SyntheticCifarOptions): CifarSplit {
  check(typeof options === 'object' && options !== null, 'options', 'an object { n, seed }', options);
  const { n, seed, normalize = 'unit', noise = 0.2 } = options;
  checkInteger('n', n, 1);
  check(Number.isFinite(noise) && noise >= 0 && noise <= 1, 'noise', 'a number in [0, 1]', noise);
  checkOneOf('normalize', normalize, ['unit', 'symmetric'] as const);
  const rs = new RandomState(seed);
  const S = CIFAR_SIZE;
  const C = CIFAR_CHANNELS;
  // Class templates, HWC in [0, 1].
  const templates: Float32Array[] = [];
  for (let k = 0; k < 10; k++) {
    const t = new Float32Array(S * S * C);
    const base = [0, 1, 2].map(() => rs.uniform(0.25, 0.75));
    const waves = [0, 1, 2].map(() => ({
      fx: rs.randint(0, 4),
      fy: rs.randint(0, 4),
      phase: rs.uniform(0, 2 * Math.PI),
      amp: [0, 1, 2].map(() => rs.uniform(-0.25, 0.25)),
    }));
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        for (let c = 0; c < C; c++) {
          let v = base[c];
          for (const w of waves) v += w.amp[c] * Math.sin((2 * Math.PI * (w.fx * x + w.fy * y)) / S + w.phase);
          t[(y * S + x) * C + c] = v;
        }
      }
    }
    templates.push(t);
  }
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % 10;
  rs.shuffle(labels);
  const images = new Float32Array(n * S * S * C);
  const f = scaler(normalize);
  for (let i = 0; i < n; i++) {
    const t = templates[labels[i]];
    const dx = rs.randint(-4, 5);
    const dy = rs.randint(-4, 5);
    const gain = rs.uniform(0.8, 1.2);
    const out = i * S * S * C;
    for (let y = 0; y < S; y++) {
      const sy = (y + dy + S) % S;
      for (let x = 0; x < S; x++) {
        const sx = (x + dx + S) % S;
        for (let c = 0; c < C; c++) {
          const v = t[(sy * S + sx) * C + c] * gain + noise * rs.standardNormal();
          const byte = Math.round(Math.min(1, Math.max(0, v)) * 255);
          images[out + (y * S + x) * C + c] = f(byte);
        }
      }
    }
  }
  return { images, labels, count: n };
}
