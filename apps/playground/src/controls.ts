/**
 * The settings form: problem, seed, batch size, backend, steps, and one card per run (optimizer,
 * learning rate, clipping method with its threshold slider, non-finite policy). Every change hands
 * a new configuration to `onChange`; the page then resets the runs and rewrites the URL.
 */
import {
  BACKENDS,
  CLIPS,
  MAX_RUNS,
  NON_FINITE,
  OPTIMIZERS,
  PRESETS,
  PROBLEM_DEFAULTS,
  PROBLEMS,
  THRESHOLDS,
  formatNumber,
  run,
  type BackendId,
  type ClipId,
  type PlaygroundConfig,
  type RunSettings,
} from './config.js';
import { RUN_COLORS } from './colors.js';
import { CLIP_TEXT, NON_FINITE_TEXT, PROBLEM_TEXT, type Explanation } from './explain.js';

const SLIDER_STEPS = 1000;

/** Slider position (0..1000) of a threshold, log or linear in its range. */
export function thresholdToSlider(clip: Exclude<ClipId, 'none'>, t: number): number {
  const s = THRESHOLDS[clip];
  const f = s.log ? Math.log(t / s.min) / Math.log(s.max / s.min) : (t - s.min) / (s.max - s.min);
  return Math.round(Math.min(1, Math.max(0, f)) * SLIDER_STEPS);
}

/** The threshold at a slider position, rounded to 3 significant digits. */
export function sliderToThreshold(clip: Exclude<ClipId, 'none'>, pos: number): number {
  const s = THRESHOLDS[clip];
  const f = pos / SLIDER_STEPS;
  const t = s.log ? s.min * (s.max / s.min) ** f : s.min + f * (s.max - s.min);
  return Number(t.toPrecision(3));
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function select<T extends string>(name: string, options: readonly T[], value: T, labels: Partial<Record<T, string>> = {}): HTMLSelectElement {
  const s = el('select', { name, 'data-testid': name });
  for (const o of options) {
    const opt = el('option', { value: o }, labels[o] ?? o);
    if (o === value) opt.selected = true;
    s.append(opt);
  }
  return s;
}

function field(label: string, input: HTMLElement, help?: string): HTMLLabelElement {
  const l = el('label', { class: 'field' }, el('span', { class: 'field-label' }, label), input);
  if (help) l.title = help;
  return l;
}

/** The explanation of a choice: text, the article's section, and the Keras and PyTorch lines. */
export function explanation(e: Explanation): HTMLElement {
  const link = (code: string, url?: string): Node => (url ? el('a', { href: url, target: '_blank', rel: 'noopener' }, el('code', {}, code)) : el('code', {}, code));
  return el(
    'div',
    { class: 'explain' },
    el('p', {}, e.text),
    el('p', { class: 'refs' }, 'Article: ', el('cite', {}, `“${e.article}”`)),
    el('p', { class: 'refs' }, 'Keras/TF: ', link(e.keras, e.kerasUrl)),
    el('p', { class: 'refs' }, 'PyTorch: ', link(e.torch, e.torchUrl)),
  );
}

const CLIP_LABELS: Record<ClipId, string> = {
  none: 'none',
  value: 'by value (clipvalue)',
  norm: 'by norm, per tensor (clipnorm)',
  'global-norm': 'by global norm (clip_grad_norm_)',
  agc: 'AGC (adaptive)',
  autoclip: 'AutoClip (percentile)',
  zclip: 'ZClip (z-score)',
  'skip-on-spike': 'skip on spike',
};

/** One run's card. */
function runCard(r: RunSettings, i: number, count: number, update: (next: RunSettings | null) => void): HTMLElement {
  const card = el('fieldset', { class: 'run-card', 'data-run': String(i) });
  card.style.borderColor = RUN_COLORS[i];
  const legend = el('legend', {}, `Run ${i + 1}`);
  legend.style.color = RUN_COLORS[i];
  card.append(legend);
  const opt = select(`run${i}-optimizer`, OPTIMIZERS, r.optimizer, { momentum: 'momentum (0.9)' });
  opt.onchange = () => update({ ...r, optimizer: opt.value as RunSettings['optimizer'] });
  const lr = el('input', { type: 'number', name: `run${i}-lr`, 'data-testid': `run${i}-lr`, min: '0.000001', max: '10', step: 'any', value: String(r.lr) });
  lr.onchange = () => {
    const v = Number(lr.value);
    if (v > 0 && v <= 10) update({ ...r, lr: v });
    else lr.value = String(r.lr);
  };
  const clip = select(`run${i}-clip`, CLIPS, r.clip, CLIP_LABELS);
  clip.onchange = () => {
    const c = clip.value as ClipId;
    update({ ...r, clip: c, threshold: c === 'none' ? r.threshold : THRESHOLDS[c].default });
  };
  const nonFinite = select(`run${i}-nonFinite`, NON_FINITE, r.nonFinite);
  nonFinite.onchange = () => update({ ...r, nonFinite: nonFinite.value as RunSettings['nonFinite'] });
  card.append(field('optimizer', opt), field('learning rate', lr), field('clipping', clip));
  if (r.clip !== 'none') {
    const c = r.clip;
    const spec = THRESHOLDS[c];
    const slider = el('input', { type: 'range', name: `run${i}-threshold`, 'data-testid': `run${i}-threshold`, min: '0', max: String(SLIDER_STEPS), value: String(thresholdToSlider(c, r.threshold)) });
    const shown = el('output', { class: 'threshold-value' }, formatNumber(r.threshold));
    slider.oninput = () => (shown.textContent = formatNumber(sliderToThreshold(c, Number(slider.value))));
    slider.onchange = () => update({ ...r, threshold: sliderToThreshold(c, Number(slider.value)) });
    card.append(field(spec.label, el('span', { class: 'slider' }, slider, shown), `${spec.min} to ${spec.max}${spec.log ? ' (log scale)' : ''}`));
  }
  card.append(field('NaN/Inf gradients', nonFinite));
  const details = el('details', { class: 'why' }, el('summary', {}, 'What does this do?'), explanation(CLIP_TEXT[r.clip]), explanation(NON_FINITE_TEXT[r.nonFinite]));
  card.append(details);
  if (count > 1) {
    const remove = el('button', { type: 'button', class: 'remove', 'data-testid': `run${i}-remove` }, 'Remove');
    remove.onclick = () => update(null);
    card.append(remove);
  }
  return card;
}

/**
 * Renders the form for `config` into `host`; `onChange` receives each new configuration.
 * `backends` are the ones this browser can run.
 */
export function renderControls(host: HTMLElement, config: PlaygroundConfig, backends: readonly BackendId[], onChange: (c: PlaygroundConfig) => void): void {
  const c = structuredClone(config);
  host.replaceChildren();
  const presetNames = Object.keys(PRESETS);
  const preset = el('select', { name: 'preset', 'data-testid': 'preset' }, el('option', { value: '' }, 'choose a comparison…'));
  for (const name of presetNames) preset.append(el('option', { value: name }, PRESETS[name].title));
  preset.onchange = () => {
    if (preset.value) onChange(structuredClone({ ...PRESETS[preset.value].config, backend: c.backend }));
  };
  const problem = select('problem', PROBLEMS, c.problem);
  problem.onchange = () => {
    const id = problem.value as PlaygroundConfig['problem'];
    const d = PROBLEM_DEFAULTS[id];
    onChange({ ...c, problem: id, batchSize: d.batchSize, steps: d.steps, runs: c.runs.map((r) => ({ ...r, optimizer: d.optimizer, lr: d.lr })) });
  };
  const num = (name: string, value: number, min: number, max: number, apply: (v: number) => PlaygroundConfig): HTMLInputElement => {
    const input = el('input', { type: 'number', name, 'data-testid': name, min: String(min), max: String(max), step: '1', value: String(value) });
    input.onchange = () => {
      const v = Number(input.value);
      if (Number.isInteger(v) && v >= min && v <= max) onChange(apply(v));
      else input.value = String(value);
    };
    return input;
  };
  const backendOptions = BACKENDS.filter((b) => backends.includes(b) || b === c.backend);
  const backend = select('backend', backendOptions, c.backend, { wasm: 'wasm (SIMD, threads when isolated)', webgl: 'webgl (OffscreenCanvas)' });
  backend.onchange = () => onChange({ ...c, backend: backend.value as BackendId });
  const general = el(
    'div',
    { class: 'general' },
    field('compare', preset),
    field('problem', problem),
    field('seed', num('seed', c.seed, 0, 2 ** 32 - 1, (v) => ({ ...c, seed: v })), 'seeds the data, the initial weights (the same for every run) and the shuffle'),
    field('batch size', num('batchSize', c.batchSize, 1, 1024, (v) => ({ ...c, batchSize: v }))),
    field('steps', num('steps', c.steps, 1, 1_000_000, (v) => ({ ...c, steps: v }))),
    field('backend', backend),
  );
  const about = el('p', { class: 'problem-note', 'data-testid': 'problem-note' }, PROBLEM_TEXT[c.problem]);
  const cards = el('div', { class: 'run-cards' });
  c.runs.forEach((r, i) =>
    cards.append(
      runCard(r, i, c.runs.length, (next) => {
        const runs = next == null ? c.runs.filter((_, k) => k !== i) : c.runs.map((x, k) => (k === i ? next : x));
        onChange({ ...c, runs });
      }),
    ),
  );
  if (c.runs.length < MAX_RUNS) {
    const add = el('button', { type: 'button', class: 'add-run', 'data-testid': 'add-run' }, '+ Add a run');
    add.onclick = () => {
      const last = c.runs[c.runs.length - 1];
      onChange({ ...c, runs: [...c.runs, run(last.optimizer, last.lr, 'global-norm')] });
    };
    cards.append(add);
  }
  host.append(general, about, cards);
}
