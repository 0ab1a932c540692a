/**
 * @gradclip/study: the article's study, browser-safe entry. Seeded data generators exact to
 * scikit-learn/numpy, the built-in MNIST digits and CIFAR-shaped images, the article's networks, and
 * experiments as data. File loaders, the experiment runner and the CLI are in `@gradclip/study/node`;
 * the HTML report is in `@gradclip/study/report`. Re-exports only.
 */
export * from './datasets/index.js';
export * from './models/index.js';
export type {
  BackendName,
  OptimizerName,
  OptimizerSpec,
  ClipSetting,
  DataSpec,
  RegressionDataSpec,
  MnistDataSpec,
  CifarDataSpec,
  CifarStandIn,
  AddingDataSpec,
  ModelName,
  ExperimentSpec,
  JsonNumber,
  EpochRecord,
  StepSeries,
  NonFiniteEvent,
  RunResult,
  OptimizerClipping,
  StudyResult,
  RunProgress,
} from './experiments/types.js';
export { BACKEND_NAMES, OPTIMIZER_NAMES, MODEL_NAMES, MOMENTUM_OPTIMIZERS, RESET_OPTIMIZERS, SPAM_WINDOW_OPTIMIZERS } from './experiments/types.js';
export { parseClip, formatClip } from './experiments/clip-setting.js';
export { resolveSpec } from './experiments/validate-spec.js';
export { studySpecs, spamScaled, STUDY_NAMES, type StudyName, type StudyOptions } from './experiments/studies.js';
