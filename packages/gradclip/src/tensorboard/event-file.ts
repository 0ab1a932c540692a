/**
 * TensorBoard event files in memory: the same records `summaryFileWriter` appends to disk, kept in
 * a byte buffer and handed back as one `Uint8Array` (for a download in a page, a `fetch` upload, or
 * a worker's `postMessage`). Browser-safe: no `node:` imports and no tfjs; it uses only the
 * encoders (`events.ts`, `records.ts`, `crc32c.ts`, `proto-writer.ts`) that the file writer uses.
 */
import { check, checkInteger } from '../errors.js';
import { encodeFileVersionEvent, encodeHistogramValue, encodeScalarValue, encodeSummaryEvent } from './events.js';
import { DEFAULT_HISTOGRAM_BUCKETS, histogramBuckets } from './histogram-buckets.js';
import { frameRecord } from './records.js';

/** Options of {@link eventFile}. */
export interface EventFileOptions {
  /** Clock in milliseconds since the Unix epoch, for `wall_time` (default `Date.now`). */
  now?: () => number;
  /** Initial capacity of the buffer in bytes (it grows as needed; default 4096). */
  initialCapacity?: number;
}

/** Scalars and histograms of one TensorBoard run, encoded as an event file in memory. Get one with {@link eventFile}. */
export interface EventFileBuilder {
  /**
   * Adds a scalar as a legacy `simple_value` (float32), exactly as `summaryFileWriter` writes it.
   * @param name - the tag, a non-empty string.
   * @param value - the value; NaN and ±Infinity are written as is.
   * @param step - the global step, an integer >= 0.
   * @param wallTimeMs - the event's time in ms since the epoch (default: the clock).
   * @throws ValueError naming the argument and the value received.
   */
  scalar(name: string, value: number, step: number, wallTimeMs?: number): void;
  /**
   * Adds a TF2 histogram (`[k, 3]` tensor over the finite values) and the scalars
   * `<name>/nan_count`, `<name>/pos_inf_count`, `<name>/neg_inf_count`, as `summaryFileWriter` does.
   * @param name - the tag, a non-empty string.
   * @param data - the values (`number[]`, `Float32Array` or `Float64Array`).
   * @param step - the global step, an integer >= 0.
   * @param buckets - equal-width buckets, an integer >= 1 (default 30).
   */
  histogram(name: string, data: readonly number[] | Float32Array | Float64Array, step: number, buckets?: number): void;
  /** Events added so far, the `file_version` event included. */
  readonly events: number;
  /** Bytes of the file so far. */
  readonly byteLength: number;
  /** A copy of the file's bytes: a complete, readable event file at any time. */
  bytes(): Uint8Array;
}

class MemoryEventFile implements EventFileBuilder {
  private buf: Uint8Array;
  private length = 0;
  private count = 0;
  private readonly now: () => number;

  constructor(now: () => number, capacity: number) {
    this.now = now;
    this.buf = new Uint8Array(capacity);
    this.append(frameRecord(encodeFileVersionEvent(now() / 1000)));
  }

  get events(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.length;
  }

  private append(record: Uint8Array): void {
    if (this.length + record.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + record.length));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(record, this.length);
    this.length += record.length;
    this.count += 1;
  }

  private event(wallTimeMs: number, step: number, value: Uint8Array): void {
    this.append(frameRecord(encodeSummaryEvent(wallTimeMs / 1000, step, [value])));
  }

  scalar(name: string, value: number, step: number, wallTimeMs?: number): void {
    checkName(name);
    check(typeof value === 'number', 'value', 'a number', value);
    checkStep(step);
    const t = wallTimeMs ?? this.now();
    check(Number.isFinite(t), 'wallTimeMs', 'a finite number of ms since the epoch', wallTimeMs);
    this.event(t, step, encodeScalarValue(name, value));
  }

  histogram(name: string, data: readonly number[] | Float32Array | Float64Array, step: number, buckets: number = DEFAULT_HISTOGRAM_BUCKETS): void {
    checkName(name);
    checkStep(step);
    checkInteger('buckets', buckets, 1);
    const isArray = Array.isArray(data);
    check(isArray || data instanceof Float32Array || data instanceof Float64Array, 'data', 'a number[], Float32Array or Float64Array', data);
    if (isArray) {
      const bad = (data as readonly unknown[]).findIndex((x) => typeof x !== 'number');
      if (bad >= 0) check(false, `data[${bad}]`, 'a number', (data as readonly unknown[])[bad]);
    }
    const h = histogramBuckets(data as ArrayLike<number>, buckets);
    const t = this.now();
    this.event(t, step, encodeHistogramValue(name, h));
    this.event(t, step, encodeScalarValue(`${name}/nan_count`, h.nanCount));
    this.event(t, step, encodeScalarValue(`${name}/pos_inf_count`, h.posInfCount));
    this.event(t, step, encodeScalarValue(`${name}/neg_inf_count`, h.negInfCount));
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkName(name: unknown): void {
  check(typeof name === 'string' && name.length > 0, 'name', 'a non-empty string', name);
}

function checkStep(step: unknown): void {
  check(Number.isSafeInteger(step) && (step as number) >= 0, 'step', 'an integer >= 0', step);
}

/**
 * Starts a TensorBoard event file in memory. Its first record is `Event{file_version: "brain.Event:2"}`,
 * then one record per event, framed and encoded exactly as `summaryFileWriter` (from `gradclip/node`)
 * writes them. Save `bytes()` under a name from {@link eventFileName} in a run directory and
 * `tensorboard --logdir` reads it.
 *
 * @param options - `now` (ms clock, default `Date.now`), `initialCapacity` (bytes, default 4096).
 * @returns an {@link EventFileBuilder}.
 * @throws ValueError if an option breaks its rule.
 * @example
 * ```ts
 * const f = eventFile();
 * f.scalar('loss', 0.5, 1);
 * f.bytes().length; // 2 records: file_version + the scalar
 * ```
 */
export function eventFile(options: EventFileOptions = {}): EventFileBuilder {
  check(typeof options === 'object' && options !== null, 'options', 'an object', options);
  const { now = Date.now, initialCapacity = 4096 } = options;
  check(typeof now === 'function', 'now', 'a function returning milliseconds since the epoch', now);
  checkInteger('initialCapacity', initialCapacity, 64);
  return new MemoryEventFile(now, initialCapacity);
}

/**
 * The file name TensorBoard's writers use: `events.out.tfevents.<10-digit seconds>.<host><suffix>`.
 *
 * @param wallTimeMs - the file's creation time, ms since the epoch.
 * @param host - the host part (path separators become `_`; default `'browser'`).
 * @param suffix - appended (default `'.v2'`, as TF2).
 * @returns the name, e.g. `events.out.tfevents.1717000000.browser.v2`.
 */
export function eventFileName(wallTimeMs: number, host = 'browser', suffix = '.v2'): string {
  check(Number.isFinite(wallTimeMs) && wallTimeMs >= 0, 'wallTimeMs', 'a finite number >= 0', wallTimeMs);
  check(typeof host === 'string' && host.length > 0, 'host', 'a non-empty string', host);
  const secs = String(Math.floor(wallTimeMs / 1000)).padStart(10, '0');
  return `events.out.tfevents.${secs}.${host.replace(/[\\/]/g, '_')}${suffix}`;
}
