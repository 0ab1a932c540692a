/**
 * Plots as inline SVG, rendered server-side with vega-lite → vega (`renderer: 'none'`, `toSVG()`),
 * so the report needs no script and no network.
 */
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';
import type { RunResult } from '../experiments/types.js';

/** Most points drawn per series in the step plots (longer series are bucketed, keeping each bucket's peak). */
export const MAX_POINTS_PER_SERIES = 600;

const WIDTH = 620;
const HEIGHT = 260;

/**
 * Renders a vega-lite spec to an SVG string (no `xmlns` attributes: the SVG is meant to be
 * inlined in HTML).
 *
 * @param spec - a vega-lite spec with inline data.
 * @returns the SVG markup.
 */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace(/ xmlns(:xlink)?="[^"]*"/g, '');
  } finally {
    view.finalize();
  }
}

/** True when the positive values span more than two decades (then a log axis reads better). */
export function spansDecades(values: readonly number[]): boolean {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length < 2) return false;
  return Math.max(...pos) / Math.min(...pos) > 100;
}

interface EpochPoint {
  configuration: string;
  split: string;
  epoch: number;
  loss: number;
}

/**
 * Training and validation loss per epoch for each run of a group (solid: train, dashed:
 * validation; log axis when losses span decades), with a red mark at the epoch where a run's
 * loss went NaN.
 *
 * @param runs - the runs of one group.
 * @param title - chart title.
 * @returns SVG markup.
 */
export async function lossChart(runs: readonly RunResult[], title: string): Promise<string> {
  const pts: EpochPoint[] = [];
  for (const r of runs) {
    for (const e of r.epochs) {
      if (e.loss != null) pts.push({ configuration: r.name, split: 'train', epoch: e.epoch, loss: e.loss });
      if (e.valLoss != null) pts.push({ configuration: r.name, split: 'validation', epoch: e.epoch, loss: e.valLoss });
    }
  }
  const log = spansDecades(pts.map((p) => p.loss));
  const finite = pts.map((p) => p.loss).filter((v) => v > 0);
  const top = finite.length ? Math.max(...finite) : 1;
  const nan = runs
    .filter((r) => r.firstNonFinite != null)
    .map((r) => ({ configuration: r.name, epoch: r.firstNonFinite!.epoch, loss: top, label: `${r.name}: ${r.firstNonFinite!.value} at step ${r.firstNonFinite!.step}` }));
  const x = { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } };
  const y = {
    field: 'loss',
    type: 'quantitative' as const,
    title: log ? 'loss (log scale)' : 'loss',
    scale: log ? { type: 'log' as const } : { zero: false },
  };
  const color = { field: 'configuration', type: 'nominal' as const, title: 'configuration' };
  const spec: TopLevelSpec = {
    width: WIDTH,
    height: HEIGHT,
    title,
    layer: [
      {
        data: { values: pts },
        mark: { type: 'line', point: pts.length < 80 },
        encoding: { x, y, color, strokeDash: { field: 'split', type: 'nominal', title: 'split' } },
      },
      ...(nan.length
        ? [
            {
              data: { values: nan },
              mark: { type: 'point' as const, shape: 'cross', size: 160, filled: true, color: '#d62728' },
              encoding: { x, y: { ...y, title: undefined } },
            },
            {
              data: { values: nan },
              mark: { type: 'text' as const, align: 'left' as const, dx: 8, dy: -8, color: '#d62728', fontSize: 11 },
              encoding: { x, y: { ...y, title: undefined }, text: { field: 'label' } },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
  return vegaLiteToSvg(spec);
}

interface NormPoint {
  configuration: string;
  kind: string;
  step: number;
  norm: number;
}

/** Picks ≤ `max` indices of a series: in each bucket, the index of its largest finite value (peaks survive). */
export function peakIndices(values: readonly (number | null)[], max = MAX_POINTS_PER_SERIES): number[] {
  const n = values.length;
  if (n <= max) return values.map((_, i) => i);
  const k = Math.ceil(n / max);
  const out: number[] = [];
  for (let s = 0; s < n; s += k) {
    let best = s;
    for (let i = s; i < Math.min(n, s + k); i++) {
      const v = values[i];
      const b = values[best];
      if (v != null && (b == null || v > b)) best = i;
    }
    out.push(best);
  }
  return out;
}

/**
 * Global gradient norm before (solid) and after (dashed) clipping over steps, for each run of a
 * group, on a log axis when norms span decades; a red mark where a run's gradient norm or loss
 * first went non-finite (at the last finite norm).
 *
 * @param runs - the runs of one group.
 * @param title - chart title.
 * @returns SVG markup.
 */
export async function gradNormChart(runs: readonly RunResult[], title: string): Promise<string> {
  const pts: NormPoint[] = [];
  const marks: { step: number; norm: number; label: string }[] = [];
  for (const r of runs) {
    const idx = peakIndices(r.steps.globalNorm);
    for (const i of idx) {
      const g = r.steps.globalNorm[i];
      const c = r.steps.clippedNorm[i];
      if (g != null && g > 0) pts.push({ configuration: r.name, kind: 'before clipping', step: i + 1, norm: g });
      if (c != null && c > 0) pts.push({ configuration: r.name, kind: 'after clipping', step: i + 1, norm: c });
    }
    const ev = r.firstNonFiniteGradNorm ?? r.firstNonFinite;
    if (ev) {
      const finite = r.steps.globalNorm.slice(0, ev.step - 1).filter((v): v is number => v != null);
      marks.push({ step: ev.step, norm: finite.length ? finite[finite.length - 1] : 1, label: `${r.name}: non-finite at step ${ev.step}` });
    }
  }
  const log = spansDecades(pts.map((p) => p.norm));
  const x = { field: 'step', type: 'quantitative' as const, title: 'step' };
  const y = { field: 'norm', type: 'quantitative' as const, title: log ? 'global gradient norm (log scale)' : 'global gradient norm', scale: log ? { type: 'log' as const } : { zero: true } };
  const spec = {
    width: WIDTH,
    height: HEIGHT,
    title,
    layer: [
      {
        data: { values: pts },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.85 },
        encoding: {
          x,
          y,
          color: { field: 'configuration', type: 'nominal', title: 'configuration' },
          strokeDash: { field: 'kind', type: 'nominal', title: 'norm', sort: ['before clipping', 'after clipping'] },
        },
      },
      ...(marks.length
        ? [
            { data: { values: marks }, mark: { type: 'point', shape: 'cross', size: 160, filled: true, color: '#d62728' }, encoding: { x, y: { ...y, title: undefined } } },
            {
              data: { values: marks },
              mark: { type: 'text', align: 'left', dx: 8, dy: -8, color: '#d62728', fontSize: 11 },
              encoding: { x, y: { ...y, title: undefined }, text: { field: 'label' } },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
  return vegaLiteToSvg(spec);
}
