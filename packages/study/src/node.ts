/**
 * @gradclip/study/node: what reads files or runs experiments in Node (IDX and CIFAR-10 loaders, the
 * `mnist` package loader, the experiment runner). Re-exports the browser-safe entry too.
 */
export * from './index.js';
export { readIdx, loadMnistDir } from './datasets/idx.js';
export type { IdxArray } from './datasets/idx.js';
export { loadMnistSample } from './datasets/load-mnist-sample.js';
export { loadCifar10Dir } from './datasets/cifar10.js';
export {
  loadFashionMnistAsCifar,
  missingFashionMnistFiles,
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_FILES,
  type LoadFashionMnistAsCifarOptions,
} from './datasets/load-fashion-mnist.js';
export { useBackend, type BackendChoice } from './experiments/use-backend.js';
export { runExperiment, type RunExperimentOptions } from './experiments/run-experiment.js';
export { runStudy, type RunStudyOptions } from './experiments/run-study.js';
