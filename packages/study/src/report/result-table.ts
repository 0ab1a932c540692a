/** The results table: one row per run, rendered as text (terminal), markdown or CSV. */
import type { RunResult } from '../experiments/types.js';
import { formatClip } from '../experiments/clip-setting.js';
import { formatNumber, formatPercent, formatSeconds } from './format.js';

/** One row of the results table, as strings. */
export interface ResultRow {
  group: string;
  configuration: string;
  optimizer: string;
  clip: string;
  epochs: string;
  trainLoss: string;
  valLoss: string;
  /** Regression: validation MSE / Var(y_val) (1 - R²); classification: validation accuracy. */
  quality: string;
  firstNaN: string;
  clipRate: string;
  time: string;
  backend: string;
}

/** Column headers, in order, keyed by {@link ResultRow} field. */
export const RESULT_COLUMNS: ReadonlyArray<[keyof ResultRow, string]> = [
  ['group', 'group'],
  ['configuration', 'configuration'],
  ['optimizer', 'optimizer'],
  ['clip', 'clip'],
  ['epochs', 'epochs'],
  ['trainLoss', 'final train loss'],
  ['valLoss', 'final val loss'],
  ['quality', 'val NMSE / acc'],
  ['firstNaN', 'first NaN step'],
  ['clipRate', 'clip rate'],
  ['time', 'time (s)'],
  ['backend', 'backend'],
];

/** The optimizer, its learning rate, momentum and (SPAM / Stable-SPAM) reset interval when set, e.g. `spam lr 0.001 ΔT 63`. */
export function optimizerLabel(r: Pick<RunResult, 'spec'>): string {
  const o = r.spec.optimizer;
  const lr = o.learningRate != null ? ` lr ${o.learningRate}` : '';
  const m = o.name === 'momentum' ? ` m ${o.momentum ?? 0.9}` : '';
  const dt = o.resetInterval != null ? ` ΔT ${o.resetInterval}` : '';
  return `${o.name}${lr}${m}${dt}`;
}

/**
 * The clip rate cell: the wrapper's clip rate, and for SPAM / Stable-SPAM the share of steps on
 * which the optimizer itself clipped entries (`0% (in optimizer 12.5%)`).
 */
function clipRateCell(r: RunResult): string {
  const own = r.optimizerClipping;
  return own == null ? formatPercent(r.clipRate) : `${formatPercent(r.clipRate)} (in optimizer ${formatPercent(own.clipRate)})`;
}

/**
 * Turns runs into table rows (strings).
 *
 * @param runs - the runs.
 * @returns one {@link ResultRow} per run.
 * @example
 * ```ts
 * resultRows(study.runs)[0].clip; //=> 'none'
 * ```
 */
export function resultRows(runs: readonly RunResult[]): ResultRow[] {
  return runs.map((r) => {
    const nan = r.firstNonFinite;
    return {
      group: r.group ?? '',
      configuration: r.name,
      optimizer: optimizerLabel(r),
      clip: formatClip(r.spec.clip),
      epochs: `${r.epochs.length}/${r.spec.epochs}`,
      trainLoss: formatNumber(r.finalLoss),
      valLoss: formatNumber(r.finalValLoss),
      quality:
        r.data.task === 'classification'
          ? r.finalValAccuracy == null
            ? 'NaN'
            : `acc ${formatPercent(r.finalValAccuracy)}`
          : formatNumber(r.finalValNmse),
      firstNaN: nan ? `${nan.step} (${nan.value})` : '-',
      clipRate: clipRateCell(r),
      time: formatSeconds(r.wallTimeMs),
      backend: r.backend,
    };
  });
}

/**
 * Renders runs as a fixed-width text table for the terminal (no group column; groups are
 * printed as headings, each followed by a `data:` line per data source of its runs, e.g. which
 * images stood in for CIFAR-10).
 *
 * @param runs - the runs.
 * @returns the table, lines joined with `\n`.
 */
export function renderTextTable(runs: readonly RunResult[]): string {
  const cols = RESULT_COLUMNS.filter(([k]) => k !== 'group' && k !== 'backend');
  const rows = resultRows(runs);
  const width = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  const out: string[] = [line(cols.map(([, h]) => h))];
  let group: string | null = null;
  rows.forEach((r, i) => {
    if (r.group !== group) {
      group = r.group;
      if (group) out.push(`-- ${group}`);
      const sources = new Set<string>();
      for (let j = i; j < runs.length && rows[j].group === group; j++) sources.add(runs[j].data.source);
      for (const s of sources) out.push(`   data: ${s}`);
    }
    out.push(line(cols.map(([k]) => r[k])));
  });
  return out.join('\n');
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/**
 * Renders runs as a GitHub-flavoured markdown table.
 *
 * @param runs - the runs.
 * @returns the markdown table (header, separator, one line per run), ending with a newline.
 * @example
 * ```ts
 * renderMarkdownTable(study.runs).split('\n')[0];
 * //=> '| group | configuration | optimizer | clip | epochs | final train loss | ... |'
 * ```
 */
export function renderMarkdownTable(runs: readonly RunResult[]): string {
  const rows = resultRows(runs);
  const head = `| ${RESULT_COLUMNS.map(([, h]) => h).join(' | ')} |`;
  const sep = `|${RESULT_COLUMNS.map(([k]) => (k === 'group' || k === 'configuration' || k === 'optimizer' || k === 'clip' ? '---' : '---:')).join('|')}|`;
  const body = rows.map((r) => `| ${RESULT_COLUMNS.map(([k]) => mdCell(r[k])).join(' | ')} |`);
  return [head, sep, ...body].join('\n') + '\n';
}

function csvCell(v: string | number | null): string {
  const s = v == null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Renders runs as CSV with raw numbers (full precision; empty cells for non-finite values).
 *
 * Columns: group, configuration, optimizer, learning_rate, clip, epochs_run, epochs, final_train_loss,
 * final_val_loss, final_val_nmse, final_val_accuracy, first_nan_step, first_nan_value, clip_rate,
 * steps, wall_time_s, backend.
 *
 * @param runs - the runs.
 * @returns CSV text with a header line, ending with a newline.
 */
export function renderCsv(runs: readonly RunResult[]): string {
  const header = [
    'group',
    'configuration',
    'optimizer',
    'learning_rate',
    'clip',
    'epochs_run',
    'epochs',
    'final_train_loss',
    'final_val_loss',
    'final_val_nmse',
    'final_val_accuracy',
    'first_nan_step',
    'first_nan_value',
    'clip_rate',
    'steps',
    'wall_time_s',
    'backend',
  ];
  const lines = runs.map((r) =>
    [
      r.group ?? '',
      r.name,
      r.spec.optimizer.name,
      r.spec.optimizer.learningRate ?? null,
      formatClip(r.spec.clip),
      r.epochs.length,
      r.spec.epochs,
      r.finalLoss,
      r.finalValLoss,
      r.finalValNmse,
      r.finalValAccuracy,
      r.firstNonFinite?.step ?? null,
      r.firstNonFinite?.value ?? null,
      r.clipRate,
      r.stepsRun,
      r.wallTimeMs / 1000,
      r.backend,
    ]
      .map(csvCell)
      .join(','),
  );
  return [header.join(','), ...lines].join('\n') + '\n';
}
