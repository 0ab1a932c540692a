/**
 * The live charts, drawn with uPlot: a canvas charting library built for streaming time series
 * (tens of thousands of points redrawn in a few milliseconds, log scales, a cursor synced across
 * charts, drawing hooks for markers; ~50 KB). Every chart shares the x axis (the step) and shows
 * every run in its colour. Redraws are batched: {@link Charts.update} marks them dirty and one
 * animation frame redraws them all, at most every {@link MIN_REDRAW_MS} ms.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { MARKER_COLORS, RUN_COLORS } from './colors.js';
import type { MarkerKind, RunSeries } from './series.js';

/** Redraws at most this often while training, to leave the main thread free. */
export const MIN_REDRAW_MS = 100;

type Metric = 'loss' | 'gradNorm' | 'clipRate';

const positive = (x: number): number | null => (x > 0 && Number.isFinite(x) ? x : null);

/** Draws the runs' markers (NaN/Inf, skipped steps, spikes) as ticks along the top of the plot. */
function markersPlugin(getRuns: () => RunSeries[]): uPlot.Plugin {
  const glyph: Record<MarkerKind, string> = { nonfinite: '✕', skipped: '○', spike: '▲' };
  return {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx;
        const { left, top, width } = u.bbox;
        ctx.save();
        ctx.font = `${Math.round(11 * devicePixelRatio)}px sans-serif`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'top';
        for (const r of getRuns()) {
          let lastX = -Infinity;
          for (const m of r.markers) {
            const x = u.valToPos(m.step, 'x', true);
            if (x < left || x > left + width) continue;
            // One glyph per pixel column and run is enough to see where trouble starts.
            if (Math.abs(x - lastX) < 2 * devicePixelRatio && m.kind !== 'nonfinite') continue;
            lastX = x;
            ctx.fillStyle = MARKER_COLORS[m.kind];
            ctx.fillText(glyph[m.kind], x, top + r.index * 12 * devicePixelRatio);
          }
        }
        ctx.restore();
      },
    },
  };
}

interface ChartSpec {
  metric: Metric;
  title: string;
  log: boolean;
  /** Also draw the gradient norm after clipping (dashed). */
  withClipped?: boolean;
  markers?: boolean;
}

export class Charts {
  private charts: { spec: ChartSpec; plot: uPlot }[] = [];
  private runs: RunSeries[] = [];
  private dirty = false;
  private lastDraw = 0;
  private frame = 0;
  /** Milliseconds the last redraw took (shown in the page's footer, read by the tests). */
  lastRedrawMs = 0;
  redraws = 0;

  constructor(private readonly host: HTMLElement) {
    new ResizeObserver(() => this.resize()).observe(host);
  }

  /** Rebuilds the charts for a new set of runs. */
  reset(runs: RunSeries[]): void {
    for (const c of this.charts) c.plot.destroy();
    this.host.replaceChildren();
    this.runs = runs;
    const specs: ChartSpec[] = [
      { metric: 'loss', title: 'Training loss (log scale)  ✕ NaN/Inf  ○ skipped step  ▲ loss or norm spike', log: true, markers: true },
      { metric: 'gradNorm', title: 'Global gradient norm before clipping (solid) and after (dashed), log scale', log: true, withClipped: true },
      { metric: 'clipRate', title: 'Clip rate: fraction of the last 50 steps where clipping fired', log: false },
    ];
    const sync = uPlot.sync('playground');
    this.charts = specs.map((spec) => {
      const el = document.createElement('div');
      el.className = 'chart';
      el.dataset.metric = spec.metric;
      this.host.append(el);
      const series: uPlot.Series[] = [{ label: 'step' }];
      runs.forEach((r) => {
        series.push({ label: `run ${r.index + 1}`, stroke: RUN_COLORS[r.index], width: 1.5, spanGaps: false, points: { show: false } });
        if (spec.withClipped) series.push({ label: `run ${r.index + 1} clipped`, stroke: RUN_COLORS[r.index], width: 1.5, dash: [5, 4], points: { show: false } });
      });
      const opts: uPlot.Options = {
        title: spec.title,
        width: this.width(),
        height: 190,
        series,
        scales: { x: { time: false }, y: spec.log ? { distr: 3 } : { range: [0, 1] } },
        axes: [{ label: 'step' }, { size: 60, values: spec.log ? (_u, vals) => vals.map((v) => (v == null ? '' : v.toExponential(0))) : undefined }],
        legend: { show: true, live: true },
        cursor: { sync: { key: sync.key }, drag: { x: true, y: false } },
        plugins: spec.markers ? [markersPlugin(() => this.runs)] : [],
      };
      return { spec, plot: new uPlot(opts, this.data(spec), el) };
    });
    this.update();
  }

  private width(): number {
    return Math.max(320, this.host.clientWidth - 8);
  }

  private resize(): void {
    for (const c of this.charts) c.plot.setSize({ width: this.width(), height: 190 });
  }

  /** Columns for uPlot: x = step, then one (or two) per run, null where a value cannot be drawn. */
  private data(spec: ChartSpec): uPlot.AlignedData {
    const n = Math.max(0, ...this.runs.map((r) => r.length));
    const x = new Array<number>(n);
    for (let i = 0; i < n; i++) x[i] = i + 1;
    const cols: (number | null)[][] = [];
    const col = (src: ArrayLike<number>, len: number, f: (v: number) => number | null): (number | null)[] => {
      const out = new Array<number | null>(n).fill(null);
      for (let i = 0; i < len; i++) out[i] = f(src[i]);
      return out;
    };
    const identity = (v: number): number | null => (Number.isFinite(v) ? v : null);
    for (const r of this.runs) {
      if (spec.metric === 'loss') cols.push(col(r.loss.view(), r.length, positive));
      if (spec.metric === 'clipRate') cols.push(col(r.clipRate.view(), r.length, identity));
      if (spec.metric === 'gradNorm') {
        cols.push(col(r.gradNorm.view(), r.length, positive));
        cols.push(col(r.clippedNorm.view(), r.length, positive));
      }
    }
    return [x, ...cols] as uPlot.AlignedData;
  }

  /** Asks for a redraw on the next animation frame (calls in between are merged). */
  update(): void {
    this.dirty = true;
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    this.frame = 0;
    if (!this.dirty) return;
    const now = performance.now();
    if (now - this.lastDraw < MIN_REDRAW_MS) {
      this.frame = requestAnimationFrame(() => this.draw());
      return;
    }
    this.dirty = false;
    this.lastDraw = now;
    for (const c of this.charts) c.plot.setData(this.data(c.spec));
    this.lastRedrawMs = performance.now() - now;
    this.redraws += 1;
  }

  /** Points drawn per chart and run (non-null values), for the tests. */
  pointCounts(): Record<Metric, number[]> {
    const out = { loss: [] as number[], gradNorm: [] as number[], clipRate: [] as number[] };
    for (const c of this.charts) {
      const cols = c.plot.data.slice(1) as (number | null)[][];
      out[c.spec.metric] = cols.map((col) => col.filter((v) => v != null).length);
    }
    return out;
  }
}
