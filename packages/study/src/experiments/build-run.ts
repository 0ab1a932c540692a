/** Building the network, loss and optimizer of a spec (internal to the runner). */
import type * as tf from '@tensorflow/tfjs';
import { addingLstm, addingRnn, cifarCnn, mnistMlp, regressionMlp, softmaxCrossEntropyFromLogits } from '../models/index.js';
import { adadelta, adagrad, adam, adamax, momentum, rmsprop, sgd, SPAM, StableSPAM, withClipping } from 'gradclip';
import type { ClippedOptimizer } from 'gradclip';
import type { ExperimentSpec } from './types.js';

/** Loss used by `model.compile`. */
export type LossSpec = string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);

/**
 * The network of a spec and its loss: MSE for regression and the adding problem, sparse softmax
 * cross-entropy from logits (one-hot targets) for MNIST and CIFAR.
 */
export function buildModel(spec: ExperimentSpec, exampleShape: number[]): { model: tf.Sequential; loss: LossSpec } {
  const seed = spec.seed;
  switch (spec.model) {
    case 'regression-mlp':
      return { model: regressionMlp({ seed, inputDim: exampleShape[0] }), loss: 'meanSquaredError' };
    case 'mnist-mlp':
      return { model: mnistMlp({ seed }), loss: softmaxCrossEntropyFromLogits };
    case 'cifar-cnn':
      return { model: cifarCnn({ seed }), loss: softmaxCrossEntropyFromLogits };
    case 'adding-rnn':
      return { model: addingRnn({ seed, seqLength: exampleShape[0] }), loss: 'meanSquaredError' };
    case 'adding-lstm':
      return { model: addingLstm({ seed, seqLength: exampleShape[0] }), loss: 'meanSquaredError' };
  }
}

/**
 * The optimizer of a spec, wrapped by {@link ClippedOptimizer} (always, so that every run records
 * gradient norms). `spam` and `stable-spam` are gradclip's `SPAM` / `StableSPAM` with the reference
 * code's defaults (learning rate 1e-3), `resetInterval`, `warmupSteps` and `gradAccuSteps` from the
 * spec when set; the clip setting is applied before them, by the wrapper.
 */
export function buildOptimizer(spec: ExperimentSpec): ClippedOptimizer {
  const { name, learningRate, momentum: m, resetInterval, warmupSteps, gradAccuSteps } = spec.optimizer;
  const clip = { ...spec.clip };
  switch (name) {
    case 'sgd':
      return sgd({ learningRate: learningRate ?? 0.01, ...clip });
    case 'momentum':
      return momentum({ learningRate: learningRate ?? 0.01, momentum: m ?? 0.9, ...clip });
    case 'adam':
      return adam({ learningRate: learningRate ?? 0.001, ...clip });
    case 'adamax':
      return adamax({ learningRate: learningRate ?? 0.002, ...clip });
    case 'rmsprop':
      return rmsprop({ learningRate: learningRate ?? 0.001, momentum: m ?? 0, ...clip });
    case 'adagrad':
      return adagrad({ learningRate: learningRate ?? 0.01, ...clip });
    case 'adadelta':
      return adadelta({ learningRate: learningRate ?? 0.001, ...clip });
    case 'spam':
      return withClipping(new SPAM({ learningRate: learningRate ?? 0.001, resetInterval, warmupSteps, gradAccuSteps }), clip);
    case 'stable-spam':
      return withClipping(new StableSPAM({ learningRate: learningRate ?? 0.001, resetInterval }), clip);
  }
}

