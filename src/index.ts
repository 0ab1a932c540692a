/**
 * gradclip: gradient clipping and training stability for TensorFlow.js.
 * This file is the public surface; it only re-exports.
 */
export { GradclipError, ValueError, NonFiniteError } from './errors.js';

export type { Grads, MaybeTensor, NamedTensor, SameForm } from './core/grad-forms.js';
export { clipByValue } from './core/clip-by-value.js';
export { clipByNorm } from './core/clip-by-norm.js';
export { globalNorm } from './core/global-norm.js';
export { clipByGlobalNorm } from './core/clip-by-global-norm.js';
export { getTotalNorm, type NormOptions } from './core/get-total-norm.js';
export { clipGradsWithNorm } from './core/clip-grads-with-norm.js';
export { clipGradNorm, type ClipGradNormResult } from './core/clip-grad-norm.js';
export { clipGradValue } from './core/clip-grad-value.js';
export { clipGradNorm_, clipGradValue_ } from './core/clip-in-place.js';

export {
  ClippedOptimizer,
  withClipping,
  readStepStats,
  type StepStats,
  type StepStatsTensors,
  type StatsOptions,
  type VariableStats,
  type StepGate,
  type StepGateInfo,
} from './optimizer/clipped-optimizer.js';
export type { ClippingOptions, NonFinitePolicy } from './optimizer/clipping-options.js';
export { setFusedUpdateEnabled, fusedUpdateEnabled } from './optimizer/fused-update.js';
export {
  sgd,
  momentum,
  adam,
  adamax,
  rmsprop,
  adagrad,
  adadelta,
  type SgdOptions,
  type MomentumOptions,
  type AdamOptions,
  type AdamaxOptions,
  type RmspropOptions,
  type AdagradOptions,
  type AdadeltaOptions,
} from './optimizer/factories.js';

export {
  MonitorCallback,
  terminateOnNaN,
  TerminateOnNaN,
  lossSpikeDetector,
  LossSpikeDetector,
  SpikeRules,
  gradientHealth,
  GradientHealth,
  TrainingMonitor,
  type StepRecord,
  type StepAggregate,
  type TerminateOnNaNOptions,
  type NaNStop,
  type LossSpikeDetectorOptions,
  type SpikeEvent,
  type SpikeSeries,
  type SpikeAction,
  type SpikeRule,
  type SpikeRuleOptions,
  type SpikeVerdict,
  type GradientHealthOptions,
  type GradientHealthReport,
  type LayerHealth,
  type LayerStatus,
  type TrainingMonitorOptions,
  type RecordStepArgs,
  type RecordStepResult,
  type UpdateFreq,
} from './monitoring/index.js';

export {
  registerWasmTrainingFixes,
  unregisterWasmTrainingFixes,
  wasmTrainingFixesRegistered,
  WASM_TRAINING_FIX_KERNELS,
  type WasmTrainingFixKernel,
  type WasmTrainingFixesOptions,
} from './kernels/index.js';

/** The article's networks, with seeded initializers. */
export {
  regressionMlp,
  mnistMlp,
  cifarCnn,
  addingRnn,
  addingLstm,
  sparseSoftmaxCrossEntropy,
  softmaxCrossEntropyFromLogits,
  type RegressionMlpOptions,
  type MnistMlpOptions,
  type CifarCnnOptions,
  type AddingModelOptions,
} from './models/index.js';

/** Seeded data generators exact to scikit-learn/numpy (file loaders are in `gradclip/node`). */
export { RandomState, checkRandomState, type Seed } from './datasets/random-state.js';
export { makeRegression, type MakeRegressionOptions, type RegressionData } from './datasets/make-regression.js';
export { trainTestSplit, trainTestSplitIndices, splitSizes, type TrainTestSplitOptions, type SplitIndices, type SplitPairs } from './datasets/train-test-split.js';
export { explodingVariant, type ExplodingVariantOptions } from './datasets/exploding-variant.js';
export { standardize, type StandardizeResult } from './datasets/standardize.js';
export { addingProblem, type AddingProblemOptions, type AddingProblemData } from './datasets/adding-problem.js';

/** Composable gradient transformations in the style of optax (AGC, AutoClip, ZClip, skip rules). */
export * as transforms from './transforms/index.js';
