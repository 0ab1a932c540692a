/**
 * The playground page: reads the configuration from the URL, starts the training worker, and
 * turns the worker's step batches into charts, a heat map and messages. The page only draws;
 * all tfjs work happens in the worker, so the controls answer while a run trains.
 */
import { ConfigError, defaultConfig, runLabel, validateConfig, type BackendId, type PlaygroundConfig } from './config.js';
import { configToQuery, queryToConfig } from './url-state.js';
import { renderControls } from './controls.js';
import { Charts } from './charts.js';
import { HeatMap } from './heatmap.js';
import { RunSeries } from './series.js';
import { download, tensorBoardZip, toCsv } from './export.js';
import { CHART_TEXT } from './explain.js';
import { RUN_COLORS } from './colors.js';
import type { FromWorker, RunEvent, RunStatus, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (e == null) throw new Error(`the page has no #${id}`);
  return e as T;
};

let config: PlaygroundConfig;
let urlError: string | null = null;
try {
  config = queryToConfig(location.search);
} catch (e) {
  urlError = e instanceof ConfigError ? e.message : String(e);
  config = defaultConfig();
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker): void => worker.postMessage(m);
const charts = new Charts($('charts'));
const heat = new HeatMap($('heatmap'));
let series: RunSeries[] = [];
let layers: string[] = [];
let backends: BackendId[] = ['wasm', 'cpu'];
let configured = false;
let playing = false;
let trainMs = 0;
let stepsDone = 0;
const inputLatencies: number[] = [];
/** (worker clock, steps done) at each batch received, for the benchmark. */
let timeline: [number, number][] = [];
let memoryWaiter: ((m: { numTensors: number; steps: number }) => void) | null = null;

/** How long each click waited for the main thread (ms), for the responsiveness test. */
document.addEventListener('click', (e) => inputLatencies.push(performance.now() - e.timeStamp), { capture: true });

function setStatus(text: string): void {
  $('status').textContent = text;
}

function showEvent(e: RunEvent): void {
  const li = document.createElement('li');
  li.className = `event event-${e.kind}`;
  li.dataset.kind = e.kind;
  li.dataset.run = String(e.run);
  const who = document.createElement('b');
  who.textContent = e.run >= 0 ? `run ${e.run + 1}` : 'page';
  if (e.run >= 0) who.style.color = RUN_COLORS[e.run];
  li.append(who, ` · step ${e.step} · ${e.message}`);
  const list = $('events');
  list.prepend(li);
  while (list.childElementCount > 200) list.lastElementChild?.remove();
}

function apply(next: PlaygroundConfig): void {
  config = validateConfig(structuredClone(next));
  history.replaceState(null, '', `${location.pathname}?${configToQuery(config)}${location.hash}`);
  renderControls($('controls'), config, backends, apply);
  reset();
}

/** Starts the configured runs over (the worker rebuilds data, models and optimizers). */
function reset(): void {
  configured = false;
  playing = false;
  updateButtons();
  $('events').replaceChildren();
  setStatus('Preparing data and models…');
  send({ type: 'configure', config });
}

function updateButtons(): void {
  const active = series.some((s) => s.status === 'ready' || s.status === 'paused' || s.status === 'training');
  $<HTMLButtonElement>('play').disabled = !configured || playing || !active;
  $<HTMLButtonElement>('pause').disabled = !configured || !playing;
  $<HTMLButtonElement>('step').disabled = !configured || playing || !active;
  $<HTMLButtonElement>('download-csv').disabled = stepsDone === 0;
  $<HTMLButtonElement>('download-tb').disabled = stepsDone === 0;
}

function statusLine(statuses: RunStatus[]): string {
  const perStep = stepsDone > 0 ? trainMs / stepsDone / Math.max(1, series.length) : 0;
  return `step ${stepsDone} · ${statuses.map((s, i) => `run ${i + 1} ${s}`).join(' · ')}${perStep > 0 ? ` · ${perStep.toFixed(2)} ms per run-step` : ''}`;
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready':
      backends = m.backends;
      renderControls($('controls'), config, backends, apply);
      reset();
      break;
    case 'configured': {
      configured = true;
      layers = m.layers;
      series = config.runs.map((r, i) => new RunSeries(i, runLabel(r), layers));
      trainMs = 0;
      stepsDone = 0;
      timeline = [];
      charts.reset(series);
      heat.reset(series);
      $('backend-info').textContent = `backend ${m.backend}${m.backend === 'wasm' ? ` (${m.threads} thread${m.threads === 1 ? '' : 's'})` : ''} · ${m.params.toLocaleString('en')} parameters · ${m.dataNote}`;
      setStatus('Ready: press Play, or Step for one step of every run.');
      if (urlError != null) {
        showEvent({ run: -1, step: 0, kind: 'error', message: `The link's settings were not valid, so the default comparison is shown: ${urlError}` });
        urlError = null;
      }
      updateButtons();
      break;
    }
    case 'steps': {
      for (const b of m.batches) if (b.step.length > 0) series[b.run]?.append(b);
      for (const ev of m.events) {
        if (ev.run >= 0) series[ev.run]?.addEvent(ev);
        showEvent(ev);
      }
      m.status.forEach((s, i) => series[i] != null && (series[i].status = s));
      trainMs = m.trainMs;
      stepsDone = m.stepsDone;
      timeline.push([m.at, m.stepsDone]);
      if (!m.status.some((s) => s === 'training')) playing = false;
      setStatus(statusLine(m.status));
      charts.update();
      requestAnimationFrame(() => heat.draw());
      updateButtons();
      break;
    }
    case 'memory':
      memoryWaiter?.(m);
      memoryWaiter = null;
      break;
    case 'error':
      showEvent({ run: -1, step: stepsDone, kind: 'error', message: m.message });
      setStatus(`Error: ${m.message}`);
      break;
  }
};

$('play').onclick = () => {
  playing = true;
  updateButtons();
  send({ type: 'play' });
};
$('pause').onclick = () => {
  playing = false;
  send({ type: 'pause' });
  updateButtons();
};
$('step').onclick = () => send({ type: 'step' });
$('reset').onclick = () => reset();
$('download-csv').onclick = () => download('gradclip-playground.csv', toCsv(series), 'text/csv');
$('download-tb').onclick = () => download('gradclip-playground-tensorboard.zip', tensorBoardZip(series), 'application/zip');
$('copy-link').onclick = () => {
  void navigator.clipboard?.writeText(location.href).catch(() => undefined);
  $('copy-link').textContent = 'Link copied';
  setTimeout(() => ($('copy-link').textContent = 'Copy link'), 1500);
};
for (const [id, text] of Object.entries({ 'explain-loss': CHART_TEXT.loss, 'explain-norm': CHART_TEXT.gradNorm, 'explain-rate': CHART_TEXT.clipRate, 'explain-heat': CHART_TEXT.heat })) {
  $(id).textContent = text;
}

// The address bar always holds the whole configuration (defaults included), so a copied link reproduces the runs.
history.replaceState(null, '', `${location.pathname}?${configToQuery(config)}${location.hash}`);
send({ type: 'init', assetsBase: document.baseURI });

/** Read-only hooks for the tests and the benchmark script (not an API). */
(globalThis as Record<string, unknown>).__playground = {
  config: () => structuredClone(config),
  configured: () => configured,
  snapshot: () => ({
    stepsDone,
    trainMs,
    redraws: charts.redraws,
    lastRedrawMs: charts.lastRedrawMs,
    points: charts.pointCounts(),
    runs: series.map((s) => ({
      label: s.label,
      status: s.status,
      steps: s.length,
      markers: s.markers.map((k) => ({ ...k })),
      finiteLosses: Array.from(s.loss.view()).filter(Number.isFinite).length,
      lastLoss: s.length > 0 ? s.loss.view()[s.length - 1] : null,
      clippedSteps: Array.from(s.clipped.view()).reduce((a, b) => a + b, 0),
      events: s.events.map((e) => ({ ...e })),
    })),
  }),
  inputLatencies: () => [...inputLatencies],
  timeline: () => timeline.map((t) => [...t]),
  memory: () =>
    new Promise<{ numTensors: number; steps: number }>((resolve) => {
      memoryWaiter = resolve;
      send({ type: 'memory' });
    }),
  csv: () => toCsv(series),
  tensorBoardZip: () => Array.from(tensorBoardZip(series)),
};
