/** Sparse softmax cross-entropy from logits, as a tfjs-layers loss function. */
import * as tf from '@tensorflow/tfjs';

/**
 * Keras's `SparseCategoricalCrossentropy(from_logits=True)` (PyTorch's `nn.CrossEntropyLoss`) for
 * tfjs: integer class labels and unnormalised logits, mean over the batch.
 *
 * tfjs has no sparse variant; this one-hot encodes the labels and calls
 * `tf.losses.softmaxCrossEntropy(onehot, logits)` (reduction: mean), which is numerically stable
 * (log-sum-exp) and has the usual `softmax - onehot` gradient. (`'sparseCategoricalCrossentropy'`
 * in `model.compile` expects probabilities, not logits.) For custom loops (`optimizer.minimize`);
 * `model.fit` requires targets shaped like the outputs, so there use one-hot labels with
 * {@link softmaxCrossEntropyFromLogits}.
 *
 * NaN policy: a NaN logit makes that example's loss, and so the mean, NaN.
 *
 * @param yTrue - labels, shape `[batch]` or `[batch, 1]`, any numeric dtype holding 0..C-1.
 * @param logits - shape `[batch, C]`.
 * @returns the mean loss, a scalar.
 * @example
 * ```ts
 * optimizer.minimize(() => sparseSoftmaxCrossEntropy(labels, model.apply(x) as tf.Tensor));
 * sparseSoftmaxCrossEntropy(tf.tensor1d([0]), tf.tensor2d([[0, 0]])).dataSync()[0]; //=> 0.6931 (ln 2)
 * ```
 */
export function sparseSoftmaxCrossEntropy(yTrue: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.shape.length - 1] as number;
    const labels = tf.cast(tf.reshape(yTrue, [-1]), 'int32');
    const onehot = tf.oneHot(labels as tf.Tensor1D, classes);
    return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
  });
}
