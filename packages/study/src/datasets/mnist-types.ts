/** The shape of MNIST-format data, from IDX files or from the `mnist` package (browser-safe). */

/** One split of MNIST as `loadMnistDir` and `mnistSample` returns it. */
export interface MnistSplit {
  /** Pixels, `count * rows * cols` values in [0, 1] (byte / 255), layout `[count, rows, cols]`. */
  images: Float32Array;
  /** Digit labels 0-9, one per image. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
  /** Image height (28 for MNIST). */
  rows: number;
  /** Image width (28 for MNIST). */
  cols: number;
}

/** Training and test splits of an MNIST-format dataset. */
export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
}
