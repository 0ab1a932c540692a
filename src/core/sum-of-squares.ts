/**
 * The building block of every L2 norm: `sum(x*x)` over all elements (or some axes) in float32,
 * with no rescaling, so that Σx² overflows to `inf` exactly as in TF, Keras and PyTorch.
 */
import * as tf from '@tensorflow/tfjs';

/** `sum(square(x))` over all elements, as a float32 scalar. NaN and inf propagate. */
export function sumOfSquares(x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.square(x.toFloat())) as tf.Scalar);
}
