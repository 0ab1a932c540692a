/** Browser-safe monitoring: statistics types, NaN/spike/health callbacks and the custom-loop monitor. Re-exports only. */
export { MonitorCallback } from './monitor-callback.js';
export type { StepRecord, StepAggregate } from './step-record.js';
export { terminateOnNaN, TerminateOnNaN, type TerminateOnNaNOptions, type NaNStop } from './terminate-on-nan.js';
export {
  lossSpikeDetector,
  LossSpikeDetector,
  type LossSpikeDetectorOptions,
  type SpikeEvent,
  type SpikeSeries,
  type SpikeAction,
} from './loss-spike-detector.js';
export { SpikeRules, type SpikeRule, type SpikeRuleOptions, type SpikeVerdict } from '../spikes/spike-rules.js';
export {
  gradientHealth,
  GradientHealth,
  type GradientHealthOptions,
  type GradientHealthReport,
  type LayerHealth,
  type LayerStatus,
} from './gradient-health.js';
export { TrainingMonitor, type TrainingMonitorOptions, type RecordStepArgs, type RecordStepResult } from './training-monitor.js';
export type { UpdateFreq } from './update-freq.js';
