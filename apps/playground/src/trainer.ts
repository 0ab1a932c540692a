/**
 * One run of the playground: a network, its gradclip optimizer and a custom training loop that
 * records what each step did. Pure tfjs (no DOM), so the worker runs it and Node tests it.
 *
 * Each step: gather a batch from a seeded per-epoch permutation, `optimizer.minimize` (clipping
 * happens inside, per gradclip's options), then one asynchronous read of the loss and the
 * wrapper's statistics (global norm before and after clipping, clip flag, skip flag, non-finite
 * count, per-variable gradient norms) through a `TrainingMonitor`, which also feeds gradclip's
 * `lossSpikeDetector` and `gradientHealth`.
 */
import * as tf from '@tensorflow/tfjs';
import { RandomState } from '@gradclip/study';
import {
  GradclipError,
  MonitorCallback,
  TrainingMonitor,
  gradientHealth,
  lossSpikeDetector,
  type ClippedOptimizer,
  type StepRecord,
} from 'gradclip';
import type { RunSettings } from './config.js';
import { buildOptimizer } from './optimizer.js';
import type { Problem } from './problems.js';
import type { RunEvent, RunStatus } from './protocol.js';

/** What one step did, as numbers. */
export interface StepRow {
  step: number;
  epoch: number;
  loss: number;
  gradNorm: number;
  clippedNorm: number;
  clipped: boolean;
  skipped: boolean;
  nonFinite: number;
  /**
   * Gradient norm of each layer (see {@link Run.layers}), before clipping; measured every
   * {@link Run.layerEvery} steps, -1 ({@link NOT_MEASURED}) on the others.
   */
  layerNorms: Float32Array;
}

/** A layer norm of a step where per-layer statistics were not measured. */
export const NOT_MEASURED = -1;

/**
 * Per-layer gradient norms are measured on every this many steps (and on the first): the wrapper's
 * per-variable statistics add kernels (weight norms included) and a read to the step, which on a
 * small network costs more than the step itself.
 */
export const LAYER_EVERY = 10;

/** A run stops by itself after this many steps in a row with a non-finite loss. */
export const DIVERGED_AFTER = 20;

/** Keeps the monitor's last {@link StepRecord} (read once, shared with the other callbacks). */
class LastRecord extends MonitorCallback {
  last: StepRecord | null = null;
  protected override async step(record: StepRecord): Promise<void> {
    this.last = record;
  }
}

export class Run {
  readonly model: tf.LayersModel;
  readonly optimizer: ClippedOptimizer;
  /** Names of the layers that have trainable weights, in model order (the heat map's rows). */
  readonly layers: string[];
  status: RunStatus = 'ready';
  stepsDone = 0;
  /** Events since the last {@link takeEvents}. */
  private events: RunEvent[] = [];
  private readonly layerOfVariable = new Map<string, number>();
  /** This model's variables: `minimize` would otherwise differentiate every variable of every run. */
  private readonly variables: tf.Variable[];
  private readonly monitor: TrainingMonitor;
  private readonly recorder = new LastRecord(null);
  private readonly rng: RandomState;
  private perm: number[] = [];
  private cursor = 0;
  private epoch = 0;
  private nonFiniteStreak = 0;
  private skippedStreak = 0;
  private healthy = new Map<string, string>();

  constructor(
    readonly index: number,
    readonly settings: RunSettings,
    readonly problem: Problem,
    readonly seed: number,
    readonly batchSize: number,
    readonly maxSteps: number,
    /** Measure per-layer gradient norms every this many steps (default {@link LAYER_EVERY}). */
    readonly layerEvery: number = LAYER_EVERY,
  ) {
    this.model = problem.model(seed);
    this.optimizer = buildOptimizer(settings);
    this.layers = [];
    for (const layer of this.model.layers) {
      if (layer.trainableWeights.length === 0) continue;
      const i = this.layers.push(layer.name) - 1;
      for (const w of layer.trainableWeights) this.layerOfVariable.set((w.read() as tf.Variable).name, i);
    }
    this.variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const spikes = lossSpikeDetector({
      action: 'none',
      window: 64,
      warmup: 16,
      onSpike: (e) => {
        if (e.rule !== 'nonFinite') this.emit('spike', e.message, e.step);
      },
    });
    const health = gradientHealth({
      freq: 50,
      log: false,
      onReport: (report) => {
        for (const l of report.layers) {
          // Say it when a layer's status changes, not at every check.
          if (this.healthy.get(l.layer) === l.status) continue;
          const was = this.healthy.get(l.layer);
          this.healthy.set(l.layer, l.status);
          if (l.status !== 'ok' && l.message != null) this.emit('health', l.message, report.step);
          else if (was != null && was !== 'ok') this.emit('health', `Layer "${l.layer}" is healthy again at step ${report.step}.`, report.step);
        }
      },
    });
    this.monitor = new TrainingMonitor({ optimizer: this.optimizer, model: this.model, callbacks: [this.recorder, spikes, health] });
    this.rng = new RandomState(seed);
  }

  /** True while the run still has steps to take. */
  get active(): boolean {
    return this.status === 'ready' || this.status === 'training' || this.status === 'paused';
  }

  /** Events recorded since the last call, oldest first. */
  takeEvents(): RunEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** Records an event at `step` (default: the last step taken). */
  private emit(kind: RunEvent['kind'], message: string, step: number = this.stepsDone): void {
    this.events.push({ run: this.index, step, kind, message });
  }

  /** The next batch's indices (a seeded permutation per epoch, the last batch may be short). */
  private nextIndices(): Int32Array {
    if (this.cursor >= this.perm.length) {
      if (this.perm.length > 0) this.epoch += 1;
      this.perm = this.rng.permutation(this.problem.count);
      this.cursor = 0;
    }
    const idx = Int32Array.from(this.perm.slice(this.cursor, this.cursor + this.batchSize));
    this.cursor += idx.length;
    return idx;
  }

  /**
   * Takes one training step and reads what it did. Returns null when the run is over (done,
   * diverged, or stopped by an error such as `nonFinite: 'error'`, recorded as an event).
   */
  async step(): Promise<StepRow | null> {
    if (!this.active) return null;
    this.status = 'training';
    const epoch = this.epoch;
    const idx = this.nextIndices();
    // A new epoch: gradclip's monitors restart their per-epoch bookkeeping, as in model.fit.
    if (this.epoch !== epoch) await this.monitor.endEpoch();
    const [xb, yb] = tf.tidy(() => {
      const i = tf.tensor1d(idx, 'int32');
      return [tf.gather(this.problem.x, i), tf.gather(this.problem.y, i)];
    });
    let loss: tf.Scalar | null = null;
    const release = this.stepsDone % this.layerEvery === 0 ? this.optimizer.enableStats({ perVariable: true }) : null;
    try {
      loss = this.optimizer.minimize(() => this.problem.loss(yb, this.model.apply(xb, { training: true }) as tf.Tensor), true, this.variables);
    } catch (e) {
      release?.();
      this.stepsDone += 1;
      this.status = 'error';
      this.emit('error', e instanceof GradclipError ? `${e.name}: ${e.message}` : String(e));
      return null;
    } finally {
      tf.dispose([xb, yb]);
    }
    try {
      await this.monitor.recordStep({ loss });
    } finally {
      loss?.dispose();
      release?.();
    }
    this.stepsDone += 1;
    const row = this.row(this.recorder.last);
    this.watch(row);
    if (this.active && this.stepsDone >= this.maxSteps) {
      this.status = 'done';
      this.emit('stopped', `Finished its ${this.maxSteps} steps.`);
    }
    return row;
  }

  private row(r: StepRecord | null): StepRow {
    const s = r?.stats ?? null;
    const layerNorms = new Float32Array(this.layers.length).fill(NOT_MEASURED);
    if (s?.variables != null) {
      const sq = new Float64Array(this.layers.length);
      for (const v of s.variables) {
        const i = this.layerOfVariable.get(v.name);
        if (i != null) sq[i] += v.gradNorm * v.gradNorm;
      }
      for (let i = 0; i < sq.length; i++) layerNorms[i] = Math.sqrt(sq[i]);
    }
    return {
      step: this.stepsDone,
      epoch: this.epoch,
      loss: r?.loss ?? NaN,
      gradNorm: s?.globalNorm ?? NaN,
      clippedNorm: s?.clippedNorm ?? NaN,
      clipped: s?.clipped ?? false,
      skipped: s?.skipped ?? false,
      nonFinite: s?.nonFiniteCount ?? 0,
      layerNorms,
    };
  }

  /** Turns a step into events (first step of a NaN/Inf or skip streak) and stops a diverged run. */
  private watch(r: StepRow): void {
    const bad = !Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm) || r.nonFinite > 0;
    if (bad) {
      if (this.nonFiniteStreak === 0) {
        const parts = [`loss ${r.loss}`, `gradient norm ${r.gradNorm}`];
        if (r.nonFinite > 0) parts.push(`${r.nonFinite} NaN/Inf gradient entries`);
        this.emit('nonfinite', `Step ${r.step}: ${parts.join(', ')}.`);
      }
      this.nonFiniteStreak += 1;
    } else this.nonFiniteStreak = 0;
    if (r.skipped) {
      if (this.skippedStreak === 0) this.emit('skipped', `Step ${r.step} was skipped: weights and optimizer state left as they were.`);
      this.skippedStreak += 1;
    } else this.skippedStreak = 0;
    if (!Number.isFinite(r.loss) && this.nonFiniteStreak >= DIVERGED_AFTER) {
      this.status = 'diverged';
      this.emit('stopped', `Stopped: the loss has not been finite for ${DIVERGED_AFTER} steps. The weights are lost to NaN/Inf.`);
    }
  }

  /** Marks a run that was training as paused. */
  pause(): void {
    if (this.status === 'training') this.status = 'paused';
  }

  /** Frees the model, the optimizer and the monitor. */
  async dispose(): Promise<void> {
    await this.monitor.close();
    this.optimizer.dispose();
    this.model.dispose();
  }
}
