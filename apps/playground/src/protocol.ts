/** Messages between the page and the training worker (structured-cloned; typed arrays are transferred). */
import type { BackendId, PlaygroundConfig } from './config.js';

/** What a run reports about its steps: one entry per step, columns as typed arrays. */
export interface StepBatch {
  run: number;
  /** 1-based global step of each row. */
  step: Int32Array;
  epoch: Int32Array;
  loss: Float64Array;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: Float64Array;
  /** Global L2 norm of what the optimizer applied (0 for a skipped step). */
  clippedNorm: Float64Array;
  /** 1 when clipping changed the gradients. */
  clipped: Uint8Array;
  /** 1 when the step was not applied (non-finite policy `skip`, or a skip transform). */
  skipped: Uint8Array;
  /** NaN/±Inf gradient entries of the step. */
  nonFinite: Float64Array;
  /** Per-layer gradient norms before clipping, `rows × layers` row-major. */
  layerNorms: Float32Array;
}

/** Something worth a marker or a line in the messages panel. */
export interface RunEvent {
  run: number;
  step: number;
  kind: 'nonfinite' | 'skipped' | 'spike' | 'health' | 'stopped' | 'error';
  message: string;
}

/** Page → worker. */
export type ToWorker =
  | { type: 'init'; assetsBase: string }
  | { type: 'configure'; config: PlaygroundConfig }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'memory' };

/** The state of each run. */
export type RunStatus = 'ready' | 'training' | 'paused' | 'done' | 'diverged' | 'error';

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; backends: BackendId[] }
  | { type: 'configured'; backend: string; threads: number; layers: string[]; dataNote: string; params: number }
  | { type: 'steps'; batches: StepBatch[]; events: RunEvent[]; status: RunStatus[]; trainMs: number; stepsDone: number; /** The worker's clock when it posted this. */ at: number }
  | { type: 'memory'; numTensors: number; steps: number }
  | { type: 'error'; message: string };
