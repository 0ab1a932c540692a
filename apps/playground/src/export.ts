/**
 * Take it home: the runs as one CSV table, and as TensorBoard event files (one run directory each,
 * in a ZIP) written by gradclip's browser-safe event-file encoder (`gradclip/tensorboard`), the same
 * bytes its Node `summaryFileWriter` writes. `tensorboard --logdir <unzipped folder>` shows them.
 */
import { eventFile, eventFileName } from 'gradclip/tensorboard';
import type { RunSeries } from './series.js';
import { zip } from './zip.js';

/** Scalar tags of each step, named as gradclip's `tensorBoard` callback names them. */
export const TB_TAGS = ['batch_loss', 'batch_grad_norm', 'batch_grad_norm_clipped', 'batch_clipped', 'batch_clip_rate', 'batch_skipped', 'batch_nonfinite_count'] as const;

/** Directory name of a run in the archive: `run1-sgd-0.01-norm-1`. */
export function runDirName(r: RunSeries): string {
  const slug = r.label.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '');
  return `run${r.index + 1}-${slug}`;
}

/** A number as CSV text (JavaScript's shortest round-trip form; `NaN`, `Infinity`, `-Infinity` spelled out). */
const cell = (x: number): string => String(x);

/** All runs in one CSV table: one row per run and step, per-layer gradient norms as the last columns (empty where not measured). */
export function toCsv(runs: RunSeries[]): string {
  const layers = runs[0]?.layers ?? [];
  const header = ['run', 'label', 'step', 'epoch', 'loss', 'grad_norm', 'grad_norm_clipped', 'clipped', 'skipped', 'nonfinite_count', 'clip_rate', ...layers.map((l) => `grad_norm/${l}`)];
  const lines = [header.join(',')];
  for (const r of runs) {
    const [step, epoch, loss, gn, cn, cl, sk, nf, rate, ln] = [r.step, r.epoch, r.loss, r.gradNorm, r.clippedNorm, r.clipped, r.skipped, r.nonFinite, r.clipRate, r.layerNorms].map((c) => c.view());
    const L = r.layers.length;
    const label = `"${r.label.replace(/"/g, '""')}"`;
    for (let i = 0; i < r.length; i++) {
      const row = [String(r.index + 1), label, String(step[i]), String(epoch[i]), cell(loss[i]), cell(gn[i]), cell(cn[i]), String(cl[i]), String(sk[i]), cell(nf[i]), cell(rate[i])];
      // Empty where per-layer norms were not measured (they are, every few steps).
      for (let j = 0; j < L; j++) row.push(ln[i * L + j] < 0 ? '' : cell(ln[i * L + j]));
      lines.push(row.join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** One run's TensorBoard event file. */
export function runEventFile(r: RunSeries, nowMs: number = Date.now()): Uint8Array {
  const f = eventFile({ now: () => nowMs, initialCapacity: 64 + r.length * 64 * (7 + r.layers.length) });
  const [step, loss, gn, cn, cl, sk, nf, rate, ln] = [r.step, r.loss, r.gradNorm, r.clippedNorm, r.clipped, r.skipped, r.nonFinite, r.clipRate, r.layerNorms].map((c) => c.view());
  const L = r.layers.length;
  for (let i = 0; i < r.length; i++) {
    const s = step[i];
    f.scalar('batch_loss', loss[i], s);
    f.scalar('batch_grad_norm', gn[i], s);
    f.scalar('batch_grad_norm_clipped', cn[i], s);
    f.scalar('batch_clipped', cl[i], s);
    f.scalar('batch_clip_rate', rate[i], s);
    f.scalar('batch_skipped', sk[i], s);
    f.scalar('batch_nonfinite_count', nf[i], s);
    for (let j = 0; j < L; j++) if (!(ln[i * L + j] < 0)) f.scalar(`grad_norm/${r.layers[j]}`, ln[i * L + j], s);
  }
  return f.bytes();
}

/** A ZIP with one directory per run, each holding its event file. */
export function tensorBoardZip(runs: RunSeries[], nowMs: number = Date.now()): Uint8Array {
  return zip(runs.map((r) => ({ name: `${runDirName(r)}/${eventFileName(nowMs)}`, data: runEventFile(r, nowMs) })));
}

/** Starts a download of `data` as `name` (an object URL on an `<a download>`). */
export function download(name: string, data: Uint8Array | string, type: string): void {
  const blob = new Blob([data as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
