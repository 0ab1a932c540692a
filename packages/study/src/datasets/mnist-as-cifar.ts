/**
 * Fashion-MNIST (or MNIST) images adapted to the article's CIFAR-10 network (browser-safe).
 *
 * Real CIFAR-10 is a 160 MB download; Fashion-MNIST (Xiao et al. 2017) is a real-image, 10-class
 * dataset of the same difficulty class that Debian ships offline (`dataset-fashion-mnist`). Its
 * 28x28 gray images become 32x32x3 inputs exactly as follows:
 *
 * - zero-padding: 2 pixels of byte value 0 on each side, so pixel (r, c) lands at (r + 2, c + 2)
 *   (the padding is the images' own background: Fashion-MNIST's background is 0);
 * - colour: the gray value is copied into the 3 channels (R = G = B);
 * - normalisation: the CIFAR path's, applied to the bytes, so `'symmetric'` gives
 *   `(byte / 255 - 0.5) / 0.5` in [-1, 1] (the padding becomes -1) and `'unit'` gives `byte / 255`.
 *
 * The layout is the CIFAR loaders' NHWC `[count, 32, 32, 3]`.
 *
 * References: H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
 * Benchmarking Machine Learning Algorithms", 2017, https://arxiv.org/abs/1708.07747.
 */
import { check, checkInteger, checkOneOf } from 'gradclip/errors';
import { CIFAR_CHANNELS, CIFAR_SIZE, scaler, type CifarNormalization, type CifarSplit } from './cifar-records.js';

/** The ten Fashion-MNIST class names, indexed by label. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle boot',
] as const;

/** Side of the MNIST-format images the adapter takes. */
export const MNIST_SIZE = 28;

/** Pixels of padding on each side (32 = 2 + 28 + 2). */
export const MNIST_PAD = (CIFAR_SIZE - MNIST_SIZE) / 2;

/** Options of {@link mnistAsCifar}. */
export interface MnistAsCifarOptions {
  /** Pixel scaling, as for CIFAR-10. Default `'unit'`. */
  normalize?: CifarNormalization;
  /** Adapt only the first `count` images. Default all. */
  count?: number;
}

/**
 * Turns 28x28 gray images (bytes, `[n, 28, 28]` row-major, as in the IDX files) into the CIFAR
 * network's 32x32x3 input: zero-padded by 2 pixels on each side, the gray value replicated into the
 * 3 channels, normalised like CIFAR-10 (see the module notes).
 *
 * @param images - pixel bytes, `n * 784` values.
 * @param labels - one label (0-9) per image.
 * @param options - `normalize` (default `'unit'`), `count` (default all).
 * @returns `{ images, labels, count }`, images NHWC `[count, 32, 32, 3]`.
 * @throws ValueError when `images` is not a whole number of 28x28 images, the label count differs,
 *   a label is > 9, or an option is bad.
 * @example
 * ```ts
 * const px = new Uint8Array(784); px[0] = 255; // pixel (0, 0) white
 * const s = mnistAsCifar(px, Uint8Array.of(3), { normalize: 'symmetric' });
 * [s.images[(2 * 32 + 2) * 3], s.images[0]]; //=> [1, -1]   (moved to (2, 2); padding is a 0 byte)
 * ```
 */
export function mnistAsCifar(images: Uint8Array, labels: Uint8Array, options: MnistAsCifarOptions = {}): CifarSplit {
  const px = MNIST_SIZE * MNIST_SIZE;
  check(images instanceof Uint8Array && images.length % px === 0, 'images', `a Uint8Array of whole ${MNIST_SIZE}x${MNIST_SIZE} images`, images?.length);
  const n = images.length / px;
  check(labels instanceof Uint8Array && labels.length === n, 'labels', `a Uint8Array with one label per image (${n})`, labels?.length);
  const { normalize = 'unit', count = n } = options;
  checkOneOf('normalize', normalize, ['unit', 'symmetric'] as const);
  checkInteger('count', count, 0);
  const m = Math.min(count, n);
  const f = scaler(normalize);
  const S = CIFAR_SIZE;
  const C = CIFAR_CHANNELS;
  const out = new Float32Array(m * S * S * C).fill(f(0));
  for (let i = 0; i < m; i++) {
    check(labels[i] <= 9, `labels[${i}]`, 'a class in 0-9', labels[i]);
    for (let r = 0; r < MNIST_SIZE; r++) {
      for (let c = 0; c < MNIST_SIZE; c++) {
        const v = f(images[i * px + r * MNIST_SIZE + c]);
        const o = ((i * S + r + MNIST_PAD) * S + c + MNIST_PAD) * C;
        for (let k = 0; k < C; k++) out[o + k] = v;
      }
    }
  }
  return { images: out, labels: labels.slice(0, m), count: m };
}
