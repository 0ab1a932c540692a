/** Fashion-MNIST from Debian's `dataset-fashion-mnist` package, for the CNN (Node only). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { check, checkInteger } from 'gradclip/errors';
import type { CifarData, CifarNormalization } from './cifar-records.js';
import { DatasetFormatError } from './dataset-format-error.js';
import { readIdx } from './idx.js';
import { mnistAsCifar } from './mnist-as-cifar.js';

/** Where Debian's `dataset-fashion-mnist` package installs the four gzipped IDX files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The four files, as Debian (and the Fashion-MNIST repository) name them. */
export const FASHION_MNIST_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'] as const;

/**
 * The Fashion-MNIST files missing from `dir` (all four are needed).
 *
 * @param dir - default {@link DEBIAN_FASHION_MNIST_DIR}.
 * @returns the missing paths; empty when the dataset is installed.
 */
export function missingFashionMnistFiles(dir: string = DEBIAN_FASHION_MNIST_DIR): string[] {
  return FASHION_MNIST_FILES.map((f) => join(dir, f)).filter((p) => !existsSync(p));
}

/** Options of {@link loadFashionMnistAsCifar}. */
export interface LoadFashionMnistAsCifarOptions {
  /** The directory with the four `.gz` IDX files. Default {@link DEBIAN_FASHION_MNIST_DIR}. */
  dir?: string;
  /** Training images: the first `nTrain` of `train-images-idx3-ubyte.gz`. */
  nTrain: number;
  /** Test images: the first `nTest` of `t10k-images-idx3-ubyte.gz`. */
  nTest: number;
  /** Pixel scaling, as for CIFAR-10. Default `'unit'`. */
  normalize?: CifarNormalization;
}

/**
 * Loads the first `nTrain` training and `nTest` test images of Fashion-MNIST and adapts them to the
 * CIFAR-10 network's 32x32x3 input with {@link mnistAsCifar} (zero-padded by 2 pixels per side, gray
 * replicated into 3 channels, normalised like CIFAR-10).
 *
 * @param options - `dir`, `nTrain`, `nTest`, `normalize`.
 * @returns `{ train, test }` in the CIFAR loaders' format.
 * @throws DatasetFormatError naming the file when a file is missing or malformed; ValueError for bad options.
 * @example
 * ```ts
 * const { train, test } = loadFashionMnistAsCifar({ nTrain: 2000, nTest: 500, normalize: 'symmetric' });
 * train.images.length; //=> 6144000 (2000 * 32 * 32 * 3)
 * ```
 */
export function loadFashionMnistAsCifar(options: LoadFashionMnistAsCifarOptions): CifarData {
  check(typeof options === 'object' && options !== null, 'options', 'an object { nTrain, nTest }', options);
  const { dir = DEBIAN_FASHION_MNIST_DIR, nTrain, nTest, normalize = 'unit' } = options;
  checkInteger('nTrain', nTrain, 1);
  checkInteger('nTest', nTest, 1);
  const missing = missingFashionMnistFiles(dir);
  if (missing.length > 0) throw new DatasetFormatError(`Fashion-MNIST: ${missing.join(', ')} not found (Debian: apt install dataset-fashion-mnist)`);
  const split = (stem: 'train' | 't10k', n: number) => {
    const images = readIdx(join(dir, `${stem}-images-idx3-ubyte.gz`));
    const labels = readIdx(join(dir, `${stem}-labels-idx1-ubyte.gz`));
    if (images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
      throw new DatasetFormatError(`${stem}-images-idx3-ubyte.gz: expected shape [count, 28, 28], found [${images.shape.join(', ')}]`);
    }
    if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
      throw new DatasetFormatError(`${stem}-labels-idx1-ubyte.gz: expected [${images.shape[0]}] labels, found [${labels.shape.join(', ')}]`);
    }
    return mnistAsCifar(images.data, labels.data, { normalize, count: n });
  };
  return { train: split('train', nTrain), test: split('t10k', nTest) };
}
