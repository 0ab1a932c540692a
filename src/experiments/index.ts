/** Experiments as data: specs, the runner and the article's study sets (re-exports only). */
export type {
  BackendName,
  OptimizerName,
  OptimizerSpec,
  ClipSetting,
  DataSpec,
  RegressionDataSpec,
  MnistDataSpec,
  CifarDataSpec,
  AddingDataSpec,
  ModelName,
  ExperimentSpec,
  JsonNumber,
  EpochRecord,
  StepSeries,
  NonFiniteEvent,
  RunResult,
  StudyResult,
  RunProgress,
} from './types.js';
export { BACKEND_NAMES, OPTIMIZER_NAMES, MODEL_NAMES } from './types.js';
export { parseClip, formatClip } from './clip-setting.js';
export { resolveSpec } from './validate-spec.js';
export { useBackend, type BackendChoice } from './use-backend.js';
export { runExperiment, type RunExperimentOptions } from './run-experiment.js';
export { runStudy, type RunStudyOptions } from './run-study.js';
export { studySpecs, STUDY_NAMES, type StudyName, type StudyOptions } from './studies.js';
