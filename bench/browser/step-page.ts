/**
 * The page of bench/browser/step.ts (bundled with esbuild): times one training step of the
 * article's networks with and without clipping on the page's backend, the two models trained in
 * alternation (same weights, same data), medians of per-step times.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingFixes, withClipping, type ClippingOptions } from 'gradclip';
import { cifarCnn, regressionMlp, softmaxCrossEntropyFromLogits } from '@gradclip/study';

export interface BenchConfig {
  backend: 'webgl' | 'wasm';
  wasmPath: string;
  flags: Record<string, boolean | number>;
  rounds: number;
  warmup: number;
  clip: ClippingOptions;
}

export interface BenchRow {
  network: string;
  bareMs: number;
  clippedMs: number;
  ratio: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Net {
  name: string;
  build: () => tf.Sequential;
  loss: string | ((y: tf.Tensor, p: tf.Tensor) => tf.Tensor);
  x: () => tf.Tensor;
  y: () => tf.Tensor;
}

const NETS: Net[] = [
  {
    name: 'regression MLP 30-35-1, batch 32, Adam',
    build: () => regressionMlp({ seed: 1 }),
    loss: 'meanSquaredError',
    x: () => tf.randomNormal([32, 30], 0, 1, 'float32', 3),
    y: () => tf.randomNormal([32, 1], 0, 100, 'float32', 4),
  },
  {
    name: 'CIFAR CNN, batch 4, SGD momentum',
    build: () => cifarCnn({ seed: 1 }),
    loss: softmaxCrossEntropyFromLogits as (y: tf.Tensor, p: tf.Tensor) => tf.Tensor,
    x: () => tf.randomUniform([4, 32, 32, 3], -1, 1, 'float32', 5),
    y: () => tf.oneHot(tf.tensor1d([1, 7, 3, 0], 'int32'), 10).toFloat(),
  },
];

async function step(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<number> {
  const t0 = performance.now();
  await model.trainOnBatch(x, y); // reads the loss: the step has finished on the device
  return performance.now() - t0;
}

export async function run(config: BenchConfig): Promise<{ backend: string; threads: number | null; rows: BenchRow[] }> {
  for (const [k, v] of Object.entries(config.flags)) tf.env().set(k, v);
  if (config.backend === 'wasm') setWasmPaths(config.wasmPath);
  if (!(await tf.setBackend(config.backend))) throw new Error(`backend ${config.backend} failed to initialise`);
  await tf.ready();
  if (config.backend === 'wasm') registerWasmTrainingFixes(); // the CNN's gradient kernels (missing or wrong in tfjs-wasm)
  const rows: BenchRow[] = [];
  for (const net of NETS) {
    const isMlp = net.name.startsWith('regression');
    const opt = (): tf.Optimizer => (isMlp ? tf.train.adam(1e-3) : tf.train.momentum(1e-3, 0.9));
    const bare = net.build();
    const clipped = net.build();
    bare.compile({ optimizer: opt(), loss: net.loss as never });
    clipped.compile({ optimizer: withClipping(opt(), config.clip), loss: net.loss as never });
    const x = net.x();
    const y = net.y();
    const times = { bare: [] as number[], clipped: [] as number[] };
    for (let r = 0; r < config.warmup + config.rounds; r++) {
      // Alternate which goes first, so neither always follows the other.
      const order = r % 2 === 0 ? (['bare', 'clipped'] as const) : (['clipped', 'bare'] as const);
      for (const which of order) {
        const ms = await step(which === 'bare' ? bare : clipped, x, y);
        if (r >= config.warmup) times[which].push(ms);
      }
    }
    const bareMs = median(times.bare);
    const clippedMs = median(times.clipped);
    rows.push({ network: net.name, bareMs, clippedMs, ratio: clippedMs / bareMs });
    tf.dispose([x, y]);
    bare.dispose();
    clipped.dispose();
  }
  let threads: number | null = null;
  if (config.backend === 'wasm') {
    const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
    threads = getThreadsCount();
  }
  return { backend: tf.getBackend(), threads, rows };
}

(globalThis as Record<string, unknown>).gradclipBench = { run };
document.title = 'gradclip bench: ready';

/** What {@link profile} reports per network and optimizer: tfjs kernels and WebGL programs of one step. */
export interface ProfileRow {
  network: string;
  which: 'bare' | 'clipped';
  kernels: number;
  programs: number;
  byKernel: Record<string, number>;
}

/**
 * Counts, for one warmed-up step of each network with the bare and the wrapped optimizer, the tfjs
 * kernels run (`tf.profile`) and the WebGL programs dispatched (the webgl backend's
 * `runWebGLProgram`, counted by wrapping it on this page only; not gradclip's code).
 */
export async function profile(config: BenchConfig): Promise<ProfileRow[]> {
  for (const [k, v] of Object.entries(config.flags)) tf.env().set(k, v);
  if (config.backend === 'wasm') setWasmPaths(config.wasmPath);
  if (!(await tf.setBackend(config.backend))) throw new Error(`backend ${config.backend} failed to initialise`);
  await tf.ready();
  if (config.backend === 'wasm') registerWasmTrainingFixes();
  const backend = tf.backend() as unknown as Record<string, unknown>;
  let programs = 0;
  for (const name of ['runWebGLProgram', 'compileAndRun']) {
    const f = backend[name];
    if (typeof f !== 'function') continue;
    backend[name] = function (this: unknown, ...args: unknown[]) {
      if (name === 'runWebGLProgram') programs++;
      return (f as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  const rows: ProfileRow[] = [];
  for (const net of NETS) {
    const isMlp = net.name.startsWith('regression');
    const opt = (): tf.Optimizer => (isMlp ? tf.train.adam(1e-3) : tf.train.momentum(1e-3, 0.9));
    const models = { bare: net.build(), clipped: net.build() };
    models.bare.compile({ optimizer: opt(), loss: net.loss as never });
    models.clipped.compile({ optimizer: withClipping(opt(), config.clip), loss: net.loss as never });
    const x = net.x();
    const y = net.y();
    for (const which of ['bare', 'clipped'] as const) {
      for (let i = 0; i < 3; i++) await models[which].trainOnBatch(x, y);
      programs = 0;
      const info = await tf.profile(async () => {
        await models[which].trainOnBatch(x, y);
      });
      const byKernel: Record<string, number> = {};
      for (const k of info.kernels) byKernel[k.name] = (byKernel[k.name] ?? 0) + 1;
      rows.push({ network: net.name, which, kernels: info.kernels.length, programs, byKernel });
    }
    tf.dispose([x, y]);
    models.bare.dispose();
    models.clipped.dispose();
  }
  return rows;
}

(globalThis as Record<string, unknown>).gradclipProfile = { profile };
