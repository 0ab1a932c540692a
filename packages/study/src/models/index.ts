/** The article's networks, one builder per file (re-exports only). */
export { regressionMlp, type RegressionMlpOptions } from './regression-mlp.js';
export { mnistMlp, type MnistMlpOptions } from './mnist-mlp.js';
export { cifarCnn, type CifarCnnOptions } from './cifar-cnn.js';
export { addingRnn, type AddingModelOptions } from './adding-rnn.js';
export { addingLstm } from './adding-lstm.js';
export { sparseSoftmaxCrossEntropy } from './sparse-softmax-cross-entropy.js';
export { softmaxCrossEntropyFromLogits } from './softmax-cross-entropy-from-logits.js';
