/**
 * The training worker: the page stays responsive because tfjs, the data and every training step
 * live here. It trains the configured runs round-robin (one step of each in turn, so they share the
 * x axis) and posts what the steps did in batches, at most every {@link FLUSH_MS} ms.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendId, PlaygroundConfig } from './config.js';
import { availableBackends, useBackend } from './backends.js';
import { decodeMnistAsset, type MnistDigitLike } from './mnist-asset.js';
import { loadProblem, type Problem } from './problems.js';
import type { FromWorker, RunEvent, StepBatch, ToWorker } from './protocol.js';
import { Run, type StepRow } from './trainer.js';

/** The worker's global scope (typed here: the project's lib is DOM, not WebWorker). */
declare const self: { postMessage(message: unknown, transfer: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };

/** Steps are posted at most this often (the page redraws at most once per animation frame anyway). */
const FLUSH_MS = 50;
/** The loop yields to incoming messages (pause, step) at least this often. */
const YIELD_MS = 20;

tf.env().set('PROD', true);

let assetsBase = '';
let runs: Run[] = [];
let problem: Problem | null = null;
let playing = false;
let looping = false;
let busy: Promise<void> = Promise.resolve();
let pending: StepRow[][] = [];
let events: RunEvent[] = [];
let lastFlush = 0;
let trainMs = 0;
let mnist: Promise<ArrayLike<MnistDigitLike>> | null = null;

const post = (m: FromWorker, transfer: Transferable[] = []): void => self.postMessage(m, transfer);

function loadMnist(): Promise<ArrayLike<MnistDigitLike>> {
  mnist ??= fetch(new URL('data/mnist-subset.bin', assetsBase)).then(async (r) => {
    if (!r.ok) throw new Error(`could not load the MNIST digits shipped with the page: ${r.status} ${r.statusText} (${r.url})`);
    return decodeMnistAsset(new Uint8Array(await r.arrayBuffer())).digits;
  });
  return mnist;
}

/** Columns of the rows gathered since the last flush. */
function toBatch(run: number, rows: StepRow[], layers: number): StepBatch {
  const n = rows.length;
  const b: StepBatch = {
    run,
    step: new Int32Array(n),
    epoch: new Int32Array(n),
    loss: new Float64Array(n),
    gradNorm: new Float64Array(n),
    clippedNorm: new Float64Array(n),
    clipped: new Uint8Array(n),
    skipped: new Uint8Array(n),
    nonFinite: new Float64Array(n),
    layerNorms: new Float32Array(n * layers),
  };
  rows.forEach((r, i) => {
    b.step[i] = r.step;
    b.epoch[i] = r.epoch;
    b.loss[i] = r.loss;
    b.gradNorm[i] = r.gradNorm;
    b.clippedNorm[i] = r.clippedNorm;
    b.clipped[i] = r.clipped ? 1 : 0;
    b.skipped[i] = r.skipped ? 1 : 0;
    b.nonFinite[i] = r.nonFinite;
    b.layerNorms.set(r.layerNorms, i * layers);
  });
  return b;
}

function flush(): void {
  lastFlush = performance.now();
  const batches = runs.map((r, i) => toBatch(i, pending[i] ?? [], r.layers.length));
  for (const r of runs) events.push(...r.takeEvents());
  const transfer = batches.flatMap((b) => [b.step, b.epoch, b.loss, b.gradNorm, b.clippedNorm, b.clipped, b.skipped, b.nonFinite, b.layerNorms].map((a) => a.buffer));
  post({ type: 'steps', batches, events, status: runs.map((r) => r.status), trainMs, stepsDone: Math.max(0, ...runs.map((r) => r.stepsDone)), at: lastFlush }, transfer);
  pending = runs.map(() => []);
  events = [];
}

/** A macrotask turn, so that messages from the page are handled between steps. */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

/** One step of every active run. */
async function round(): Promise<void> {
  const t0 = performance.now();
  for (const r of runs) {
    if (!r.active) continue;
    const row = await r.step();
    if (row != null) pending[r.index].push(row);
  }
  trainMs += performance.now() - t0;
}

async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  let lastYield = performance.now();
  try {
    while (playing && runs.some((r) => r.active)) {
      await round();
      const now = performance.now();
      if (now - lastFlush >= FLUSH_MS) flush();
      if (now - lastYield >= YIELD_MS) {
        await yieldToEvents();
        lastYield = performance.now();
      }
    }
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  } finally {
    looping = false;
    playing = false;
    for (const r of runs) r.pause();
    flush();
  }
}

async function configure(config: PlaygroundConfig): Promise<void> {
  playing = false;
  while (looping) await yieldToEvents();
  for (const r of runs) await r.dispose();
  problem?.dispose();
  runs = [];
  problem = null;
  const b = await useBackend(config.backend, assetsBase);
  problem = await loadProblem(config.problem, config.seed, loadMnist);
  const p = problem;
  runs = config.runs.map((s, i) => new Run(i, s, p, config.seed, config.batchSize, config.steps));
  pending = runs.map(() => []);
  events = b.note == null ? [] : [{ run: -1, step: 0, kind: 'error', message: b.note }];
  trainMs = 0;
  post({ type: 'configured', backend: b.backend, threads: b.threads, layers: runs[0]?.layers ?? [], dataNote: p.note, params: runs[0]?.model.countParams() ?? 0 });
  flush();
}

/** Messages are handled one after the other (a configure waits for the previous one). */
function handle(m: ToWorker): void {
  const run = (f: () => Promise<void> | void): void => {
    busy = busy.then(f).catch((e) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
  };
  switch (m.type) {
    case 'init':
      assetsBase = m.assetsBase;
      post({ type: 'ready', backends: availableBackends() as BackendId[] });
      break;
    case 'configure':
      run(() => configure(m.config));
      break;
    case 'play':
      run(() => {
        playing = true;
        void loop();
      });
      break;
    case 'pause':
      // Not queued: it must reach a running loop.
      playing = false;
      break;
    case 'step':
      run(async () => {
        if (looping) return;
        await round();
        for (const r of runs) r.pause();
        flush();
      });
      break;
    case 'memory':
      run(() => post({ type: 'memory', numTensors: tf.memory().numTensors, steps: Math.max(0, ...runs.map((r) => r.stepsDone)) }));
      break;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => handle(e.data);
