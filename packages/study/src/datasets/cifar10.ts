/**
 * CIFAR-10 from disk (Node only): reads the official binary version's directory.
 * The record format and decoder are in `cifar-records.ts`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { check, checkInteger, checkOneOf } from 'gradclip/errors';
import { DatasetFormatError } from './dataset-format-error.js';
import { CIFAR_CHANNELS, CIFAR_SIZE, decodeCifarRecords, type CifarData, type CifarSplit, type LoadCifar10Options } from './cifar-records.js';

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
