/**
 * gradclip: gradient clipping and training stability for TensorFlow.js.
 * This file is the public surface; it only re-exports.
 */
export { GradclipError, ValueError, NonFiniteError } from './errors.js';

export type { Grads, MaybeTensor, NamedTensor, SameForm } from './core/grad-forms.js';
export { clipByValue, type ClipBound } from './core/clip-by-value.js';
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
export { resolveClippingOptions, type ClippingOptions, type NonFinitePolicy, type ResolvedClippingOptions } from './optimizer/clipping-options.js';
export { setFusedUpdateEnabled, fusedUpdateEnabled } from './optimizer/fused-update.js';
export { setFastPath, fastPathStatus, FAST_PATH_ENV, type FastPathStatus } from './internals/fast-path-switch.js';
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
/** SPAM and Stable-SPAM optimizers (official reference code reproduced; see their doc comments). */
export { SPAM, spam, spamUpdateScale, type SpamConfig, type SpamOptions, type SpamStepInfo, type SpamStepReport } from './optimizer/spam.js';
export { StableSPAM, stableSpam, stableSpamScale, type StableSpamConfig, type StableSpamOptions, type StableSpamStepInfo } from './optimizer/stable-spam.js';

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
export { gradientLogs, GradientLogs, GRADIENT_LOG_KEYS, type GradientLogsOptions } from './monitoring/gradient-logs.js';

export {
  registerWasmTrainingFixes,
  unregisterWasmTrainingFixes,
  wasmTrainingFixesRegistered,
  WASM_TRAINING_FIX_KERNELS,
  type WasmTrainingFixKernel,
  type WasmTrainingFixesOptions,
} from './kernels/index.js';

/** Composable gradient transformations in the style of optax (AGC, AutoClip, ZClip, skip rules). */
export * as transforms from './transforms/index.js';
export type { TransformSpec } from './transforms/from-spec.js';
