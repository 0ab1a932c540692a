/** The CNN of the article's PyTorch example (the PyTorch CIFAR-10 tutorial's `Net`). */
import * as tf from '@tensorflow/tfjs';
import { checkInteger } from 'gradclip/errors';
import { seededInitializers } from './seeded-initializers.js';

/** Options of {@link cifarCnn}. */
export interface CifarCnnOptions {
  /** Seed of the initializers (an integer >= 0). Default 0. */
  seed?: number;
}

/**
 * Builds `conv 6@5x5 → maxpool 2 → conv 16@5x5 → maxpool 2 → Dense 120 → Dense 84 → Dense 10`
 * with ReLU after every layer but the last (logits), for 32x32x3 NHWC images. Keras initializers
 * (seeded Glorot-uniform, zero biases), not PyTorch's Kaiming-uniform. Train it with
 * {@link softmaxCrossEntropyFromLogits} (one-hot targets) (PyTorch's `nn.CrossEntropyLoss`). Not compiled.
 *
 * On the wasm backend call `registerWasmTrainingFixes()` first (Conv2D's filter gradient is
 * missing there).
 *
 * @param options - `seed` (default 0).
 * @returns an uncompiled `tf.Sequential`.
 * @throws ValueError for a seed that is not an integer >= 0.
 * @example
 * ```ts
 * cifarCnn().countParams(); //=> 62006  (same as the PyTorch Net)
 * ```
 */
export function cifarCnn(options: CifarCnnOptions = {}): tf.Sequential {
  const { seed = 0 } = options;
  checkInteger('seed', seed, 0);
  const init = seededInitializers(seed);
  return tf.sequential({
    name: 'cifar_cnn',
    layers: [
      tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 6, kernelSize: 5, activation: 'relu', kernelInitializer: init.kernel(0) }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init.kernel(1) }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu', kernelInitializer: init.kernel(2) }),
      tf.layers.dense({ units: 84, activation: 'relu', kernelInitializer: init.kernel(3) }),
      // Named `head` so that AGC can exclude the final layer by name (`--clip agc=…`, excludeNames ['head/']).
      tf.layers.dense({ units: 10, kernelInitializer: init.kernel(4), name: 'head' }),
    ],
  });
}
