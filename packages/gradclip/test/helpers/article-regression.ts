/**
 * Test helper: the article's regression network (from @gradclip/testing), and seeded unscaled regression data (targets in the hundreds, so clipping at 1 fires every step).
 * The study package has the real `makeRegression`; the library's tests only need data of its shape.
 */
import * as tf from '@tensorflow/tfjs';
export { regressionNetwork } from '@gradclip/testing/article-network';

/** `n` rows: x ~ N(0, 1) (seed 7), y = x·w with w ~ N(0, 40²) (seed 8), so |y| is in the hundreds. */
export function unscaledRegressionData(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, 30], 0, 1, 'float32', 7) as tf.Tensor2D;
    const w = tf.randomNormal([30, 1], 0, 40, 'float32', 8);
    return { x, y: tf.matMul(x, w) as tf.Tensor2D };
  });
}
