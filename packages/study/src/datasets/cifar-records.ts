/**
 * CIFAR-10's binary record format (browser-safe): constants, types, and the record decoder.
 *
 * Binary format (the "CIFAR-10 binary version" from the dataset page): files `data_batch_1.bin`
 * … `data_batch_5.bin` and `test_batch.bin`, each a run of 3073-byte records: 1 label byte (0-9)
 * then 3072 pixel bytes, the 1024 red values of the 32x32 image row by row, then the 1024 green,
 * then the 1024 blue (CHW). Each real file has 10000 records.
 *
 * References: A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009;
 * https://www.cs.toronto.edu/~kriz/cifar.html.
 */
import { checkOneOf } from 'gradclip/errors';
import { DatasetFormatError } from './dataset-format-error.js';

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

export function scaler(normalize: CifarNormalization): (byte: number) => number {
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
