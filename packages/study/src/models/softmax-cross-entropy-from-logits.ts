/** Softmax cross-entropy from logits with one-hot targets, as a tfjs-layers loss function. */
import * as tf from '@tensorflow/tfjs';

/**
 * Keras's `CategoricalCrossentropy(from_logits=True)` for tfjs: one-hot targets and unnormalised
 * logits, mean over the batch; `tf.losses.softmaxCrossEntropy(onehot, logits)` (numerically
 * stable log-sum-exp, gradient `softmax - onehot`).
 *
 * Use it in `model.compile` to train the article's logit networks: tfjs-layers checks that
 * targets have the output's shape, so `fit` needs one-hot labels (`tf.oneHot(labels, 10)`); with
 * integer labels in a custom loop, {@link sparseSoftmaxCrossEntropy} is the same loss.
 *
 * NaN policy: a NaN logit makes that example's loss, and so the mean, NaN.
 *
 * @param yTrue - one-hot targets, shape `[batch, C]`.
 * @param logits - shape `[batch, C]`.
 * @returns the mean loss, a scalar.
 * @example
 * ```ts
 * model.compile({ optimizer: adam({ clipnorm: 1 }), loss: softmaxCrossEntropyFromLogits });
 * softmaxCrossEntropyFromLogits(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 0]])).dataSync()[0]; //=> 0.6931 (ln 2)
 * ```
 */
export function softmaxCrossEntropyFromLogits(yTrue: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(yTrue, logits) as tf.Scalar;
}
