/**
 * The benchmark's baseline: the same training step as the playground's (same data, network,
 * gradclip optimizer and clipping, same batches), in a plain page's main thread, without the worker,
 * the monitors, the per-layer statistics or the charts: `minimize`, then `await loss.data()`.
 * Bundled and served by bench-step.ts; reports through `window.__plain`.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { RandomState } from '@gradclip/study';
import { registerWasmTrainingFixes } from 'gradclip';
import { queryToConfig } from '../src/url-state.js';
import { decodeMnistAsset } from '../src/mnist-asset.js';
import { loadProblem } from '../src/problems.js';
import { buildOptimizer } from '../src/optimizer.js';

async function run(steps: number, warmup: number): Promise<{ msPerStep: number; backend: string }> {
  const c = queryToConfig(location.search);
  setWasmPaths(new URL('tfjs-wasm/', location.href).href);
  tf.env().set('PROD', true);
  await tf.setBackend(c.backend);
  if (tf.getBackend() === 'wasm') registerWasmTrainingFixes();
  const problem = await loadProblem(c.problem, c.seed, async () => {
    const r = await fetch(new URL('data/mnist-subset.bin', location.href));
    return decodeMnistAsset(new Uint8Array(await r.arrayBuffer())).digits;
  });
  const model = problem.model(c.seed);
  const opt = buildOptimizer(c.runs[0]);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const rng = new RandomState(c.seed);
  let perm: number[] = [];
  let cursor = 0;
  const step = async (): Promise<void> => {
    if (cursor >= perm.length) {
      perm = rng.permutation(problem.count);
      cursor = 0;
    }
    const idx = Int32Array.from(perm.slice(cursor, cursor + c.batchSize));
    cursor += idx.length;
    const [xb, yb] = tf.tidy(() => {
      const i = tf.tensor1d(idx, 'int32');
      return [tf.gather(problem.x, i), tf.gather(problem.y, i)];
    });
    const loss = opt.minimize(() => problem.loss(yb, model.apply(xb, { training: true }) as tf.Tensor), true, vars)!;
    tf.dispose([xb, yb]);
    await loss.data();
    loss.dispose();
  };
  for (let i = 0; i < warmup; i++) await step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  return { msPerStep: (performance.now() - t0) / steps, backend: tf.getBackend() };
}

(globalThis as Record<string, unknown>).__plain = { run };
