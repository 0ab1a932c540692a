/**
 * The page's copy of each run's steps: growable typed columns filled from the worker's batches,
 * plus the events. Charts, the heat map and the downloads read from here.
 */
import type { RunEvent, RunStatus, StepBatch } from './protocol.js';

/** Steps over which the clip-rate chart averages. */
export const CLIP_RATE_WINDOW = 50;

class Column<T extends Float64Array | Int32Array | Uint8Array | Float32Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  push(src: ArrayLike<number>): void {
    if (this.length + src.length > this.data.length) {
      const grown = this.make(Math.max(this.data.length * 2, this.length + src.length));
      grown.set(this.data.subarray(0, this.length) as never);
      this.data = grown;
    }
    this.data.set(src as never, this.length);
    this.length += src.length;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/** Kinds of markers drawn on the charts. */
export type MarkerKind = 'nonfinite' | 'skipped' | 'spike';

export interface Marker {
  kind: MarkerKind;
  step: number;
}

export class RunSeries {
  readonly step = new Column((n) => new Int32Array(n));
  readonly epoch = new Column((n) => new Int32Array(n));
  readonly loss = new Column((n) => new Float64Array(n));
  readonly gradNorm = new Column((n) => new Float64Array(n));
  readonly clippedNorm = new Column((n) => new Float64Array(n));
  readonly clipped = new Column((n) => new Uint8Array(n));
  readonly skipped = new Column((n) => new Uint8Array(n));
  readonly nonFinite = new Column((n) => new Float64Array(n));
  readonly layerNorms = new Column((n) => new Float32Array(n));
  /** Rolling clip rate over the last {@link CLIP_RATE_WINDOW} steps, per step. */
  readonly clipRate = new Column((n) => new Float64Array(n));
  readonly events: RunEvent[] = [];
  readonly markers: Marker[] = [];
  status: RunStatus = 'ready';

  constructor(
    readonly index: number,
    readonly label: string,
    readonly layers: string[],
  ) {}

  get length(): number {
    return this.step.length;
  }

  /** Appends a batch of steps from the worker, and the markers they call for. */
  append(b: StepBatch): void {
    const start = this.length;
    this.step.push(b.step);
    this.epoch.push(b.epoch);
    this.loss.push(b.loss);
    this.gradNorm.push(b.gradNorm);
    this.clippedNorm.push(b.clippedNorm);
    this.clipped.push(b.clipped);
    this.skipped.push(b.skipped);
    this.nonFinite.push(b.nonFinite);
    this.layerNorms.push(b.layerNorms);
    const clipped = this.clipped.view();
    const rate = new Float64Array(b.step.length);
    for (let i = 0; i < b.step.length; i++) {
      const at = start + i;
      const from = Math.max(0, at - CLIP_RATE_WINDOW + 1);
      let n = 0;
      for (let j = from; j <= at; j++) n += clipped[j];
      rate[i] = n / (at - from + 1);
      if (!Number.isFinite(b.loss[i]) || !Number.isFinite(b.gradNorm[i]) || b.nonFinite[i] > 0) this.markers.push({ kind: 'nonfinite', step: b.step[i] });
      if (b.skipped[i] === 1) this.markers.push({ kind: 'skipped', step: b.step[i] });
    }
    this.clipRate.push(rate);
  }

  /** Records an event from the worker (spikes also become markers). */
  addEvent(e: RunEvent): void {
    this.events.push(e);
    if (e.kind === 'spike') this.markers.push({ kind: 'spike', step: e.step });
  }
}
