/**
 * `summaryFileWriter(logdir)`: TensorBoard event files written from pure TypeScript, with the API
 * shape of tfjs-node's `tf.node.summaryFileWriter` (no native addon, no tfjs import).
 *
 * This is the only file of `tensorboard/` that touches `node:fs`/`node:os`/`node:path`; the
 * encoders it uses are browser-safe.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GradclipError, check, checkInteger, checkNonNegative } from '../errors.js';
import { encodeFileVersionEvent, encodeHistogramValue, encodeScalarValue, encodeSummaryEvent } from './events.js';
import { DEFAULT_HISTOGRAM_BUCKETS, histogramBuckets } from './histogram-buckets.js';
import { frameRecord } from './records.js';

/** Data accepted by {@link SummaryFileWriter.histogram}: numbers, typed arrays, or a tensor. */
export type HistogramData = readonly number[] | Float32Array | Float64Array | { dataSync(): ArrayLike<number> };

/** Options of {@link summaryFileWriter}. */
export interface SummaryFileWriterOptions {
  /** Events buffered in memory before they are written; more than this forces a write (default 10, as tfjs-node). */
  maxQueue?: number;
  /** Milliseconds after the last write after which the next event forces a write (default 120000, as tfjs-node). */
  flushMillis?: number;
  /** Appended to the file name (default `'.v2'`, as TF2 and tfjs-node). */
  filenameSuffix?: string;
  /** Clock in milliseconds since the Unix epoch, for `wall_time` and the file name (default `Date.now`). */
  now?: () => number;
}

/** Writes scalars and histograms to one TensorBoard event file. Get one with {@link summaryFileWriter}. */
export interface SummaryFileWriter {
  /** The directory given to {@link summaryFileWriter}, resolved to an absolute path. */
  readonly logdir: string;
  /** The event file this writer appends to. */
  readonly filePath: string;
  /** True after {@link SummaryFileWriter.close}. */
  readonly closed: boolean;
  /**
   * Logs a scalar as a legacy `simple_value` (float32, as tfjs-node). NaN and ±Infinity are written as is.
   * @param name - the tag, a non-empty string (e.g. `'loss'`, `'grad_norm/global'`).
   * @param value - the value; rounded to float32 on disk.
   * @param step - the global step, an integer >= 0.
   * @throws ValueError if `name` is not a non-empty string, `value` is not a number or `step` is not an integer >= 0.
   * @example
   * ```ts
   * writer.scalar('loss', 0.25, 3); // TensorBoard: scalar "loss", step 3, value 0.25
   * ```
   */
  scalar(name: string, value: number, step: number): void;
  /**
   * Logs a TF2 histogram (`[k, 3]` tensor, equal-width buckets over the finite values) and, always,
   * the scalars `<name>/nan_count`, `<name>/pos_inf_count` and `<name>/neg_inf_count`, which are
   * skipped by the buckets.
   * @param name - the tag, a non-empty string.
   * @param data - the values: `number[]`, `Float32Array`, `Float64Array` or a tensor (read with `dataSync()`).
   * @param step - the global step, an integer >= 0.
   * @param buckets - the number of equal-width buckets, an integer >= 1 (default 30).
   * @throws ValueError if an argument breaks its rule (`buckets` must be an integer >= 1).
   * @example
   * ```ts
   * writer.histogram('dense/kernel', [0.1, -0.2, NaN, 0.4], 1, 10);
   * // histogram "dense/kernel" ([10, 3] tensor over 3 values) + "dense/kernel/nan_count" = 1,
   * // "dense/kernel/pos_inf_count" = 0, "dense/kernel/neg_inf_count" = 0, all at step 1
   * ```
   */
  histogram(name: string, data: HistogramData, step: number, buckets?: number): void;
  /**
   * Writes the queued events and `fsync`s the file.
   * @example
   * ```ts
   * writer.flush(); // every event logged so far is now on disk
   * ```
   */
  flush(): void;
  /**
   * Flushes, closes the file and removes this writer from the per-logdir cache. Idempotent; any
   * other call after it throws.
   * @example
   * ```ts
   * writer.close();
   * summaryFileWriter(logdir) !== writer; //=> true (a new writer and a new file)
   * ```
   */
  close(): void;
}

/** One writer per resolved logdir, as tfjs-node ("to avoid problems of multiple writers on one logdir"). */
const writers = new Map<string, FileWriter>();
/** Makes file names unique within the process (TensorBoard's python writer's `global_uid`). */
let fileCounter = 0;
let exitHookInstalled = false;

class FileWriter implements SummaryFileWriter {
  readonly logdir: string;
  readonly filePath: string;
  private fd: number | undefined;
  private queue: Uint8Array[] = [];
  private lastWrite: number;
  private readonly maxQueue: number;
  private readonly flushMillis: number;
  private readonly now: () => number;

  constructor(logdir: string, options: Required<SummaryFileWriterOptions>) {
    this.logdir = logdir;
    this.maxQueue = options.maxQueue;
    this.flushMillis = options.flushMillis;
    this.now = options.now;
    fs.mkdirSync(logdir, { recursive: true });
    const t = this.now();
    const secs = String(Math.floor(t / 1000)).padStart(10, '0');
    const host = os.hostname().replace(/[\\/]/g, '_');
    this.filePath = path.join(logdir, `events.out.tfevents.${secs}.${host}.${process.pid}.${fileCounter++}${options.filenameSuffix}`);
    this.fd = fs.openSync(this.filePath, 'a');
    // The file_version event is written at once so TensorBoard sees the run immediately.
    this.writeRecords([frameRecord(encodeFileVersionEvent(t / 1000))]);
    this.lastWrite = t;
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  private ensureOpen(): void {
    if (this.fd === undefined) {
      throw new GradclipError(
        `This SummaryFileWriter for logdir ${JSON.stringify(this.logdir)} is closed. Call summaryFileWriter(logdir) to get a new one.`,
      );
    }
  }

  /**
   * Appends whole records with one `writeSync` (records are concatenated: one syscall per flush, not
   * per event). Bytes are only ever appended, so if the process dies mid-write the file holds a
   * prefix of the records, and readers, which stop at the first incomplete record, still get every
   * complete one.
   */
  private writeRecords(records: readonly Uint8Array[]): void {
    if (records.length === 0) return;
    const fd = this.fd as number;
    let buf: Uint8Array;
    if (records.length === 1) {
      buf = records[0];
    } else {
      buf = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
      let at = 0;
      for (const r of records) {
        buf.set(r, at);
        at += r.length;
      }
    }
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
  }

  private enqueue(wallTimeMs: number, step: number, values: readonly Uint8Array[]): void {
    this.queue.push(frameRecord(encodeSummaryEvent(wallTimeMs / 1000, step, values)));
    // Same rule as TF's C++ SummaryFileWriter: more than maxQueue queued, or flushMillis elapsed.
    if (this.queue.length > this.maxQueue || wallTimeMs - this.lastWrite >= this.flushMillis) this.writeQueue(wallTimeMs);
  }

  private writeQueue(t: number): void {
    const records = this.queue;
    this.queue = [];
    this.writeRecords(records);
    this.lastWrite = t;
  }

  scalar(name: string, value: number, step: number): void {
    this.ensureOpen();
    checkName(name);
    check(typeof value === 'number', 'value', 'a number', value);
    checkStep(step);
    this.enqueue(this.now(), step, [encodeScalarValue(name, value)]);
  }

  histogram(name: string, data: HistogramData, step: number, buckets: number = DEFAULT_HISTOGRAM_BUCKETS): void {
    this.ensureOpen();
    checkName(name);
    checkStep(step);
    checkInteger('buckets', buckets, 1);
    const values = toValues(data);
    const h = histogramBuckets(values, buckets);
    const t = this.now();
    this.enqueue(t, step, [encodeHistogramValue(name, h)]);
    this.enqueue(t, step, [encodeScalarValue(`${name}/nan_count`, h.nanCount)]);
    this.enqueue(t, step, [encodeScalarValue(`${name}/pos_inf_count`, h.posInfCount)]);
    this.enqueue(t, step, [encodeScalarValue(`${name}/neg_inf_count`, h.negInfCount)]);
  }

  flush(): void {
    this.ensureOpen();
    this.writeQueue(this.now());
    fs.fsyncSync(this.fd as number);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      this.flush();
    } finally {
      fs.closeSync(this.fd);
      this.fd = undefined;
      if (writers.get(this.logdir) === this) writers.delete(this.logdir);
    }
  }

  /** Best effort at process exit: write what is queued (no fsync; the OS still has the data). */
  flushOnExit(): void {
    if (this.fd !== undefined && this.queue.length > 0) this.writeQueue(this.lastWrite);
  }
}

function checkName(name: unknown): void {
  check(typeof name === 'string' && name.length > 0, 'name', 'a non-empty string', name);
}

function checkStep(step: unknown): void {
  // Safe integers only: larger ones are not exact in JS and could not round-trip as int64 steps.
  check(Number.isSafeInteger(step) && (step as number) >= 0, 'step', 'an integer >= 0', step);
}

function toValues(data: unknown): ArrayLike<number> {
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  if (Array.isArray(data)) {
    const bad = data.findIndex((x) => typeof x !== 'number');
    if (bad >= 0) check(false, `data[${bad}]`, 'a number', data[bad]);
    return data as number[];
  }
  if (typeof data === 'object' && data !== null && typeof (data as { dataSync?: unknown }).dataSync === 'function') {
    return (data as { dataSync(): ArrayLike<number> }).dataSync();
  }
  check(false, 'data', 'a number[], Float32Array, Float64Array or a tensor (an object with dataSync())', data);
  return [];
}

function installExitHook(): void {
  if (exitHookInstalled || typeof process === 'undefined' || typeof process.once !== 'function') return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const w of writers.values()) {
      try {
        w.flushOnExit();
      } catch {
        // Nothing useful can be done while the process exits.
      }
    }
  });
}

/**
 * Creates (or returns the cached) writer of TensorBoard event files in `logdir`.
 *
 * Same shape as tfjs-node's `tf.node.summaryFileWriter(logdir, maxQueue, flushMillis, filenameSuffix)`,
 * with the options in an object and an extra `close()`. Writers are cached per resolved `logdir`:
 * a second call returns the same instance (its options are ignored) until it is closed. Each
 * writer creates `logdir` (like `mkdir -p`) and a new file
 * `events.out.tfevents.<10-digit seconds>.<hostname>.<pid>.<counter><suffix>` whose first record is
 * `Event{file_version: "brain.Event:2"}`.
 *
 * Durability: each event is framed as one TFRecord; queued records are appended together with one
 * `writeSync` call and earlier bytes are never rewritten, so a crash leaves every complete record
 * readable (readers stop at the first incomplete record). Events
 * are queued in memory until more than `maxQueue` are queued or `flushMillis` has passed since the
 * last write; `flush()` writes and `fsync`s. Queued events are also written at process exit.
 *
 * @param logdir - the run directory, a non-empty string; created if missing.
 * @param options - `maxQueue` (integer >= 0, default 10), `flushMillis` (>= 0, default 120000),
 *   `filenameSuffix` (default `'.v2'`), `now` (ms clock, default `Date.now`).
 * @returns the writer for `logdir`.
 * @throws ValueError if `logdir` is not a non-empty string or an option breaks its rule.
 * @example
 * ```ts
 * const w = summaryFileWriter('logs/train');
 * for (let step = 1; step <= 3; step++) w.scalar('loss', 1 / step, step);
 * w.histogram('weights', [0.1, -0.3, 0.7, NaN], 3); // also logs weights/nan_count = 1
 * w.flush();
 * // `tensorboard --logdir logs` shows run "train" with scalars "loss" and histogram "weights"
 * ```
 */
export function summaryFileWriter(logdir: string, options: SummaryFileWriterOptions = {}): SummaryFileWriter {
  check(typeof logdir === 'string' && logdir.length > 0, 'logdir', 'a non-empty string', logdir);
  check(typeof options === 'object' && options !== null, 'options', 'an object', options);
  const { maxQueue = 10, flushMillis = 120000, filenameSuffix = '.v2', now = Date.now } = options;
  checkInteger('maxQueue', maxQueue, 0);
  checkNonNegative('flushMillis', flushMillis);
  check(typeof filenameSuffix === 'string' && !/[\\/]/.test(filenameSuffix), 'filenameSuffix', 'a string without path separators', filenameSuffix);
  check(typeof now === 'function', 'now', 'a function returning milliseconds since the epoch', now);
  const key = path.resolve(logdir);
  const cached = writers.get(key);
  if (cached) return cached;
  const writer = new FileWriter(key, { maxQueue, flushMillis, filenameSuffix, now });
  writers.set(key, writer);
  installExitHook();
  return writer;
}
