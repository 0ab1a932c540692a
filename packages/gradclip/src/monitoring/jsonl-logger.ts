/** `jsonlLogger(filename)`: the monitoring series as JSON lines. Node only. */
import { check, checkKnownKeys } from '../errors.js';
import type { ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { checkOptionalOptimizer, checkOptionsObject } from './monitor-callback.js';
import { LineFile } from './line-file.js';
import { SeriesCallback, type BatchRow, type EpochRow } from './series-callback.js';
import type { UpdateFreq } from './update-freq.js';

/** Options of {@link jsonlLogger}. */
export interface JsonlLoggerOptions {
  /** Append to an existing file instead of overwriting it (default false). */
  append?: boolean;
  /** `'epoch'` (default): epoch lines only. `'batch'` or N: also a batch line every N batches. */
  updateFreq?: UpdateFreq;
  /** The wrapper to read gradient statistics from (default: `model.optimizer` when it is one). */
  optimizer?: ClippedOptimizer;
}

/** JSON has no NaN/Infinity: they are written as the strings "NaN", "Infinity", "-Infinity". */
function jsonValue(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

function jsonValues(values: Record<string, number>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, jsonValue(v)]));
}

/** The callback returned by {@link jsonlLogger}. */
export class JsonlLogger extends SeriesCallback {
  private readonly file: LineFile;

  constructor(filename: string, options: JsonlLoggerOptions = {}) {
    check(typeof filename === 'string' && filename.length > 0, 'filename', 'a non-empty string', filename);
    checkOptionsObject(options);
    checkKnownKeys('jsonlLogger', options, ['append', 'updateFreq', 'optimizer']);
    const { append = false, updateFreq = 'epoch' } = options;
    super(checkOptionalOptimizer(options.optimizer), updateFreq);
    check(typeof append === 'boolean', 'append', 'a boolean', append);
    this.file = new LineFile(filename, append);
  }

  protected override async writeBatch(row: BatchRow): Promise<void> {
    this.file.write(JSON.stringify({ kind: 'batch', step: row.step, epoch: row.epoch, batch: row.batch, ...jsonValues(row.values) }));
  }

  protected override async writeEpoch(row: EpochRow): Promise<void> {
    const val = Object.fromEntries(Object.entries(row.validation).map(([k, v]) => [`val_${k}`, jsonValue(v)]));
    this.file.write(JSON.stringify({ kind: 'epoch', epoch: row.epoch, ...jsonValues(row.train), ...val }));
    this.file.flush();
  }

  protected override async trainEnd(): Promise<void> {
    this.file.close();
  }
}

/**
 * A `model.fit` callback that writes the monitoring series as JSON lines: `{"kind":"epoch","epoch":0,
 * "loss":…, "val_loss":…, "grad_norm":…, …}` per epoch and, with `updateFreq: 'batch'` or N,
 * `{"kind":"batch","step":…,"epoch":…,"batch":…,"loss":…,"grad_norm":…,…}` every N batches. Same
 * series names as {@link csvLogger}; NaN and ±Infinity are written as strings.
 *
 * @param filename - the file (its directory is created if missing).
 * @param options - see {@link JsonlLoggerOptions}.
 * @returns a `tf.Callback`.
 * @throws ValueError if an argument breaks its rule.
 * @example
 * ```ts
 * await model.fit(x, y, { callbacks: [jsonlLogger('logs/train.jsonl', { updateFreq: 'batch' })] });
 * // {"kind":"batch","step":1,"epoch":0,"batch":0,"loss":0.91,"grad_norm":3.2,"grad_norm_clipped":1,…}
 * ```
 */
export function jsonlLogger(filename: string, options: JsonlLoggerOptions = {}): JsonlLogger {
  return new JsonlLogger(filename, options);
}
