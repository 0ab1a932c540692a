/** Seeded datasets and loaders for the article's experiments (re-exports only). */
export { RandomState, checkRandomState } from './random-state.js';
export type { Seed } from './random-state.js';
export { makeRegression } from './make-regression.js';
export type { MakeRegressionOptions, RegressionData } from './make-regression.js';
export { trainTestSplit, trainTestSplitIndices, splitSizes } from './train-test-split.js';
export type { TrainTestSplitOptions, SplitIndices, SplitPairs } from './train-test-split.js';
export { explodingVariant } from './exploding-variant.js';
export type { ExplodingVariantOptions } from './exploding-variant.js';
export { standardize } from './standardize.js';
export type { StandardizeResult } from './standardize.js';
export { DatasetFormatError } from './dataset-format-error.js';
export { readIdx, loadMnistDir } from './idx.js';
export type { IdxArray, MnistSplit, MnistData } from './idx.js';
export { loadMnistSample } from './mnist-sample.js';
export type { MnistSampleOptions } from './mnist-sample.js';
export {
  loadCifar10Dir,
  decodeCifarRecords,
  syntheticCifarLike,
  CIFAR10_CLASSES,
  CIFAR_SIZE,
  CIFAR_CHANNELS,
  CIFAR_RECORD_BYTES,
} from './cifar10.js';
export type { CifarNormalization, CifarSplit, CifarData, LoadCifar10Options, SyntheticCifarOptions } from './cifar10.js';
export { addingProblem } from './adding-problem.js';
export type { AddingProblemOptions, AddingProblemData } from './adding-problem.js';
