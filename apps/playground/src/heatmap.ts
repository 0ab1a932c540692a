/**
 * The per-layer gradient-norm heat map: one strip per run, one row per layer (input at the top),
 * steps left to right, colour = log10 of the layer's gradient norm before clipping on a fixed
 * scale, so a vanishing layer (dark) or an exploding one (red; magenta for NaN/Inf) shows at a
 * glance and runs compare directly. Steps are binned to the canvas width (largest norm per bin);
 * the norms are measured every few steps (see trainer.ts `LAYER_EVERY`).
 */
import { RUN_COLORS } from './colors.js';
import type { RunSeries } from './series.js';

/** The colour scale's range of log10(norm). */
export const LOG_MIN = -7;
export const LOG_MAX = 5;
const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
const NON_FINITE = '#ff00ff';
const ABOVE = '#d00000';

function hex(c: string): [number, number, number] {
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}

/** RGB of a norm on the fixed scale. */
export function colorOf(norm: number): [number, number, number] {
  if (!Number.isFinite(norm)) return hex(NON_FINITE);
  const v = norm > 0 ? Math.log10(norm) : LOG_MIN;
  if (v > LOG_MAX) return hex(ABOVE);
  const t = Math.min(1, Math.max(0, (v - LOG_MIN) / (LOG_MAX - LOG_MIN))) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const a = hex(VIRIDIS[i]);
  const b = hex(VIRIDIS[i + 1]);
  const f = t - i;
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

const ROW_PX = 14;

export class HeatMap {
  private runs: RunSeries[] = [];
  private canvases: HTMLCanvasElement[] = [];

  constructor(private readonly host: HTMLElement) {}

  reset(runs: RunSeries[]): void {
    this.runs = runs;
    this.host.replaceChildren();
    this.canvases = runs.map((r) => {
      const box = document.createElement('div');
      box.className = 'heat';
      const title = document.createElement('div');
      title.className = 'heat-title';
      title.style.color = RUN_COLORS[r.index];
      title.textContent = `run ${r.index + 1}: ${r.label}`;
      const row = document.createElement('div');
      row.className = 'heat-row';
      const names = document.createElement('div');
      names.className = 'heat-names';
      for (const l of r.layers) {
        const d = document.createElement('div');
        d.textContent = l;
        d.style.height = `${ROW_PX}px`;
        names.append(d);
      }
      const canvas = document.createElement('canvas');
      canvas.height = Math.max(1, r.layers.length) * ROW_PX;
      canvas.dataset.run = String(r.index);
      row.append(names, canvas);
      box.append(title, row);
      this.host.append(box);
      return canvas;
    });
    this.host.append(legend());
    this.draw();
  }

  /** Redraws every strip (called from the charts' animation frame). */
  draw(): void {
    const n = Math.max(1, ...this.runs.map((r) => r.length));
    this.runs.forEach((r, k) => {
      const c = this.canvases[k];
      const width = Math.max(100, (c.parentElement?.clientWidth ?? 600) - 140);
      if (c.width !== width) c.width = width;
      const ctx = c.getContext('2d');
      if (ctx == null) return;
      const L = r.layers.length;
      const img = ctx.createImageData(c.width, c.height);
      const norms = r.layerNorms.view();
      const bins = c.width;
      // Per-layer norms are measured every few steps (-1 elsewhere): a bin shows the largest
      // measured norm in it, or the last one before it.
      const last = new Float64Array(L).fill(-1);
      for (let b = 0; b < bins; b++) {
        const from = Math.floor((b * n) / bins);
        const to = Math.max(from + 1, Math.floor(((b + 1) * n) / bins));
        if (from >= r.length) break;
        for (let j = 0; j < L; j++) {
          let m = -1;
          for (let i = from; i < Math.min(to, r.length); i++) {
            const v = norms[i * L + j];
            if (v < 0) continue;
            m = Number.isNaN(v) || Number.isNaN(m) ? NaN : Math.max(m, v);
          }
          if (m < 0) m = last[j];
          else last[j] = m;
          if (m < 0) continue;
          const [R, G, B] = colorOf(m);
          for (let y = j * ROW_PX; y < (j + 1) * ROW_PX - 1; y++) {
            const p = (y * c.width + b) * 4;
            img.data[p] = R;
            img.data[p + 1] = G;
            img.data[p + 2] = B;
            img.data[p + 3] = 255;
          }
        }
      }
      ctx.putImageData(img, 0, 0);
    });
  }
}

function legend(): HTMLElement {
  const el = document.createElement('div');
  el.className = 'heat-legend';
  const stops: string[] = [];
  for (let v = LOG_MIN; v <= LOG_MAX; v += 1) {
    const [r, g, b] = colorOf(10 ** v);
    stops.push(`rgb(${r},${g},${b})`);
  }
  el.innerHTML = `<span>vanishing ≤ 1e${LOG_MIN}</span><span class="ramp" style="background:linear-gradient(to right, ${stops.join(',')})"></span><span>1e${LOG_MAX} ≤</span><span class="swatch" style="background:${ABOVE}"></span><span>exploding</span><span class="swatch" style="background:${NON_FINITE}"></span><span>NaN/Inf</span>`;
  return el;
}
