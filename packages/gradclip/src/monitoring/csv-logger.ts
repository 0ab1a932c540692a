/** `csvLogger(filename)`: the monitoring series as CSV rows (Keras `CSVLogger`, plus gradient series). Node only. */
import { check, checkKnownKeys } from '../errors.js';
import type { ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { checkOptionalOptimizer, checkOptionsObject } from './monitor-callback.js';
import { LineFile } from './line-file.js';
import { SeriesCallback, type BatchRow, type EpochRow } from './series-callback.js';
import type { UpdateFreq } from './update-freq.js';

/** Options of {@link csvLogger}. */
export interface CsvLoggerOptions {
  /** Column separator, one character (default `','`). */
  separator?: string;
  /** Append to an existing file instead of overwriting it (default false; no second header when appending). */
  append?: boolean;
  /** `'epoch'` (default): one row per epoch. `'batch'` or N: one row every N batches instead. */
  updateFreq?: UpdateFreq;
  /** The wrapper to read gradient statistics from (default: `model.optimizer` when it is one). */
  optimizer?: ClippedOptimizer;
}

/** The callback returned by {@link csvLogger}. */
export class CsvLogger extends SeriesCallback {
  private readonly file: LineFile;
  private readonly separator: string;
  private columns: string[] | null = null;

  constructor(filename: string, options: CsvLoggerOptions = {}) {
    check(typeof filename === 'string' && filename.length > 0, 'filename', 'a non-empty string', filename);
    checkOptionsObject(options);
    checkKnownKeys('csvLogger', options, ['separator', 'append', 'updateFreq', 'optimizer']);
    const { separator = ',', append = false, updateFreq = 'epoch' } = options;
    super(checkOptionalOptimizer(options.optimizer), updateFreq);
    check(typeof separator === 'string' && separator.length === 1 && separator !== '"' && separator !== '\n', 'separator', 'one character other than a quote or newline', separator);
    check(typeof append === 'boolean', 'append', 'a boolean', append);
    this.separator = separator;
    this.file = new LineFile(filename, append);
  }

  private row(keys: Record<string, number | string>): void {
    if (this.columns == null) {
      const lead = this.every > 0 ? ['step', 'epoch', 'batch'] : ['epoch'];
      this.columns = [...lead, ...Object.keys(keys).filter((k) => !lead.includes(k)).sort()];
      const fresh = !this.file.hasContent();
      this.file.open();
      if (fresh) this.file.write(this.columns.map((c) => this.quote(c)).join(this.separator));
    }
    this.file.write(this.columns.map((c) => (c in keys ? this.quote(String(keys[c])) : '')).join(this.separator));
  }

  private quote(s: string): string {
    return s.includes(this.separator) || s.includes('"') || s.includes('\n') ? `"${s.replace(/"/g, '""')}"` : s;
  }

  protected override async writeBatch(row: BatchRow): Promise<void> {
    this.row({ step: row.step, epoch: row.epoch, batch: row.batch, ...row.values });
  }

  protected override async writeEpoch(row: EpochRow): Promise<void> {
    if (this.every === 0) {
      const val = Object.fromEntries(Object.entries(row.validation).map(([k, v]) => [`val_${k}`, v]));
      this.row({ epoch: row.epoch, ...row.train, ...val });
    }
    this.file.flush();
  }

  protected override async trainEnd(): Promise<void> {
    this.file.close();
  }
}

/**
 * A `model.fit` callback that writes the monitoring series to a CSV file (Keras `CSVLogger`).
 *
 * With `updateFreq: 'epoch'` (default) one row per epoch: `epoch`, `loss`, metrics, `val_*`, and the
 * gradient series `grad_norm` (mean), `grad_norm_max`, `grad_norm_clipped`, `clip_rate`,
 * `skipped_steps`, `nonfinite_count`, `learning_rate`. With `'batch'` or N, one row every N batches
 * instead: `step`, `epoch`, `batch`, `loss`, metrics, `grad_norm`, `grad_norm_clipped`, `clip_rate`,
 * `skipped`, `nonfinite_count`, `learning_rate`. The columns are fixed by the first row (sorted after
 * the leading ones); NaN and ±Infinity are written as `NaN`, `Infinity`, `-Infinity`.
 *
 * @param filename - the CSV file (its directory is created if missing).
 * @param options - see {@link CsvLoggerOptions}.
 * @returns a `tf.Callback`.
 * @throws ValueError if an argument breaks its rule.
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 3, callbacks: [csvLogger('logs/train.csv')] });
 * // logs/train.csv:
 * // epoch,clip_rate,grad_norm,grad_norm_clipped,grad_norm_max,learning_rate,loss,nonfinite_count,skipped_steps
 * // 0,0.25,1.31,0.97,4.2,0.001,0.53,0,0
 * ```
 */
export function csvLogger(filename: string, options: CsvLoggerOptions = {}): CsvLogger {
  return new CsvLogger(filename, options);
}
