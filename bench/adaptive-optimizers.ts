/**
 * Training-step cost of gradclip's SPAM and Stable-SPAM optimizers against `tf.train.adam`: median
 * ms per `model.trainOnBatch` step of the article's regression MLP and CIFAR CNN, and the ratios
 * spam / adam and stableSpam / adam, all measured in one process run (the target: <= 1.3 on wasm).
 *
 *   npm run build && npx tsx bench/adaptive-optimizers.ts [--rounds N] [--steps-per-round K]
 *                                                         [--backends wasm,cpu] [--networks regression,cnn]
 *
 * One model per network and backend; every step swaps `model.optimizer` to the next optimizer
 * (adam, spam, stableSpam; each keeps its own state), the order rotating every step, so that
 * machine noise and the weights' trajectory hit all three alike. Each optimizer first takes 25
 * warm-up steps: past SPAM's default `gradAccuSteps` (20), so the timed steps include its spike
 * clipping (the reference defaults are used otherwise: one reset every 500 / 1000 steps, which a
 * timed window rarely contains). `trainOnBatch` reads the loss on the host, so each timed step has
 * finished on the device. Learning rate 1e-3 for all three. The batches (16, random) are cycled.
 *
 * A second table times `optimizer.applyGradients` alone on fixed gradients of the same model
 * (the optimizer's own cost, without the forward and backward pass).
 *
 * `--adagc`: instead, AdaGC through the optimizer wrapper against the wrapper with
 * `globalClipnorm` (the target: adaGC / globalClipnorm <= 1.05 on wasm), on the regression MLP,
 * the MNIST MLP and the CIFAR CNN (`--networks`), cpu and wasm (default both):
 * `withClipping(adam, { transform: transforms.adaGC({ warmupSteps: 3 }) })` vs
 * `withClipping(adam, { globalClipnorm: 1 })` around one shared `tf.train.adam(1e-3)` and one
 * model, swapped every step (order rotating), after 25 warm-up steps each, so every timed AdaGC
 * step is in its per-tensor adaptive phase (one host read of the per-tensor Σg², one fused scale
 * kernel). Medians of `trainOnBatch` and of `minimize` alone (same batch every step, the same
 * model and data), and the difference in µs.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { cifarCnn, mnistMlp, regressionMlp, softmaxCrossEntropyFromLogits } from '@gradclip/study';
import { registerWasmTrainingFixes, spam, stableSpam, transforms, withClipping } from 'gradclip';
import { median } from './stats.js';

tf.env().set('PROD', true);

type Backend = 'cpu' | 'wasm';

interface Network {
  key: string;
  label: string;
  build: () => tf.Sequential;
  loss: string | ((a: tf.Tensor, b: tf.Tensor) => tf.Scalar);
  /** `BATCHES` batches stacked along axis 0 (inputs, targets). */
  data: (n: number) => { x: tf.Tensor; y: tf.Tensor };
  batchSize: number;
}

const NETWORKS: Network[] = [
  {
    key: 'regression',
    label: 'regression MLP 30-35-1, batch 32',
    build: () => regressionMlp({ seed: 1 }),
    loss: 'meanSquaredError',
    batchSize: 32,
    data: (n) => ({ x: tf.randomNormal([n, 30], 0, 1, 'float32', 1), y: tf.randomNormal([n, 1], 0, 1, 'float32', 2) }),
  },
  {
    key: 'mnist',
    label: 'MNIST MLP 784-128-10, batch 32',
    build: () => mnistMlp({ seed: 1 }),
    loss: softmaxCrossEntropyFromLogits,
    batchSize: 32,
    data: (n) => ({
      x: tf.randomUniform([n, 28, 28], 0, 1, 'float32', 3),
      y: tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', 4) as tf.Tensor1D, 10).toFloat(),
    }),
  },
  {
    key: 'cnn',
    label: 'CIFAR CNN (62k params), batch 4',
    build: () => cifarCnn({ seed: 1 }),
    loss: softmaxCrossEntropyFromLogits,
    batchSize: 4,
    data: (n) => ({
      x: tf.randomUniform([n, 32, 32, 3], 0, 1, 'float32', 5),
      y: tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', 6) as tf.Tensor1D, 10).toFloat(),
    }),
  },
];

const OPTIMIZERS: { key: string; make: () => tf.Optimizer }[] = [
  { key: 'adam', make: () => tf.train.adam(1e-3) },
  { key: 'spam', make: () => spam({ learningRate: 1e-3 }) },
  { key: 'stableSpam', make: () => stableSpam({ learningRate: 1e-3 }) },
];

const BATCHES = 16;
const WARMUP_STEPS = 25;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Trainer {
  model: tf.Sequential;
  xs: tf.Tensor[];
  ys: tf.Tensor[];
  step: number;
}

async function trainStep(t: Trainer): Promise<void> {
  const i = t.step++ % BATCHES;
  await t.model.trainOnBatch(t.xs[i], t.ys[i]);
}

function makeTrainer(net: Network, optimizer: tf.Optimizer): Trainer {
  const model = net.build();
  model.compile({ optimizer, loss: net.loss });
  const { x, y } = net.data(BATCHES * net.batchSize);
  const xs = tf.split(x, BATCHES);
  const ys = tf.split(y, BATCHES);
  tf.dispose([x, y]);
  return { model, xs, ys, step: 0 };
}

const f3 = (x: number): string => x.toFixed(3);

/** The q-quantile (0..1) of `xs`. */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/**
 * Medians per optimizer and the two ratios to adam, as a table row; in brackets the same from the
 * 25th percentiles (less sensitive to other processes' load on a shared machine).
 */
function row(label: string, b: Backend, times: number[][]): string {
  const m = times.map(median);
  const q = times.map((t) => quantile(t, 0.25));
  const r = (x: number[], i: number) => (x[i] / x[0]).toFixed(3);
  return `| ${label} | ${b} | ${m.map(f3).join(' | ')} | ${r(m, 1)} (${r(q, 1)}) | ${r(m, 2)} (${r(q, 2)}) |`;
}

export async function adaptiveOptimizers(): Promise<void> {
  const rounds = Number(arg('--rounds') ?? 10);
  const stepsPerRound = Number(arg('--steps-per-round') ?? 30);
  const backends = (arg('--backends') ?? 'wasm').split(',') as Backend[];
  const wanted = (arg('--networks') ?? 'regression,cnn').split(',');
  const nets = NETWORKS.filter((n) => wanted.includes(n.key));
  console.log(`# SPAM / Stable-SPAM training-step cost vs tf.train.adam  ${new Date().toISOString().slice(0, 10)}`);
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}; ${rounds} rounds x ${stepsPerRound} steps per optimizer, optimizers interleaved step by step;`);
  console.log('ms are medians; ratios of medians, and in brackets of 25th percentiles\n');
  const header = '| network | backend | adam ms | spam ms | stableSpam ms | spam / adam (p25) | stableSpam / adam (p25) |\n|---|---|---|---|---|---|---|';
  const stepRows: string[] = [];
  const applyRows: string[] = [];
  for (const net of nets) {
    for (const b of backends) {
      await tf.setBackend(b);
      await tf.ready();
      if (b === 'wasm') registerWasmTrainingFixes();
      const opts = OPTIMIZERS.map((o) => o.make());
      const t = makeTrainer(net, opts[0]);
      for (const o of opts) {
        t.model.optimizer = o;
        for (let i = 0; i < WARMUP_STEPS; ++i) await trainStep(t);
      }
      const times: number[][] = opts.map(() => []);
      for (let r = 0; r < rounds; ++r) {
        for (let s = 0; s < stepsPerRound; ++s) {
          for (let j = 0; j < opts.length; ++j) {
            const oi = (j + r + s) % opts.length; // rotate the order
            t.model.optimizer = opts[oi];
            const t0 = performance.now();
            await trainStep(t);
            times[oi].push(performance.now() - t0);
          }
        }
      }
      stepRows.push(row(net.label, b, times));
      // applyGradients alone, on the gradients of one batch (kept), the order rotating every step
      const vars = t.model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(t.ys[0], t.model.predict(t.xs[0]) as tf.Tensor) as tf.Scalar, vars);
      value.dispose();
      const named = vars.map((v) => ({ name: v.name, tensor: grads[v.name] }));
      const applyTimes: number[][] = opts.map(() => []);
      for (let r = 0; r < rounds * stepsPerRound; ++r) {
        for (let j = 0; j < opts.length; ++j) {
          const oi = (j + r) % opts.length;
          const t0 = performance.now();
          opts[oi].applyGradients(named);
          await vars[0].data(); // the step has finished
          applyTimes[oi].push(performance.now() - t0);
        }
      }
      applyRows.push(row(net.label, b, applyTimes));
      tf.dispose([...t.xs, ...t.ys, ...Object.values(grads)]);
      for (const o of opts) o.dispose();
      t.model.dispose();
    }
  }
  console.log('Training step (`model.trainOnBatch`):\n');
  console.log(header);
  for (const r of stepRows) console.log(r);
  console.log('\nOptimizer alone (`applyGradients` on fixed gradients):\n');
  console.log(header);
  for (const r of applyRows) console.log(r);
}

/**
 * `--adagc`: AdaGC through the wrapper vs the wrapper with `globalClipnorm` (see the file comment).
 * Prints medians of ms per `trainOnBatch` step, the ratio (and the ratio of 25th percentiles), the
 * medians of µs per `minimize` call alone and their difference.
 */
export async function adaGCOverhead(): Promise<void> {
  const rounds = Number(arg('--rounds') ?? 20);
  const stepsPerRound = Number(arg('--steps-per-round') ?? 20);
  const backends = (arg('--backends') ?? 'cpu,wasm').split(',') as Backend[];
  const wanted = (arg('--networks') ?? 'regression,mnist,cnn').split(',');
  const nets = NETWORKS.filter((n) => wanted.includes(n.key));
  console.log(`# AdaGC through the wrapper vs the wrapper with globalClipnorm  ${new Date().toISOString().slice(0, 10)}`);
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}; inner tf.train.adam(1e-3) shared; ${rounds} rounds x ${stepsPerRound} steps per variant, swapped every step;`);
  console.log('ms are medians; ratios of medians, and in brackets of 25th percentiles; minimize alone: medians in µs\n');
  console.log('| network | backend | globalClipnorm ms | adaGC ms | adaGC / globalClipnorm (p25) | minimize globalClipnorm µs | minimize adaGC µs | difference µs |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const net of nets) {
    for (const b of backends) {
      await tf.setBackend(b);
      await tf.ready();
      if (b === 'wasm') registerWasmTrainingFixes();
      const inner = tf.train.adam(1e-3);
      const opts = [withClipping(inner, { globalClipnorm: 1 }), withClipping(inner, { transform: transforms.adaGC({ warmupSteps: 3 }) })];
      const t = makeTrainer(net, opts[0]);
      for (const o of opts) {
        t.model.optimizer = o;
        for (let i = 0; i < WARMUP_STEPS; ++i) await trainStep(t);
      }
      // fewer steps on the slow cpu CNN
      const k = b === 'cpu' && net.key === 'cnn' ? Math.max(1, Math.round(stepsPerRound / 5)) : stepsPerRound;
      const times: number[][] = opts.map(() => []);
      for (let r = 0; r < rounds; ++r) {
        for (let s = 0; s < k; ++s) {
          for (let j = 0; j < opts.length; ++j) {
            const oi = (j + r + s) % opts.length;
            t.model.optimizer = opts[oi];
            const t0 = performance.now();
            await trainStep(t);
            times[oi].push(performance.now() - t0);
          }
        }
      }
      // minimize alone: the model's loss on one batch, the variables' values read after each call
      const vars = t.model.trainableWeights.map((w) => w.read() as tf.Variable);
      const lossFn = typeof net.loss === 'string' ? tf.losses.meanSquaredError : net.loss;
      const f = (): tf.Scalar => lossFn(t.ys[0], t.model.predict(t.xs[0]) as tf.Tensor) as tf.Scalar;
      const mins: number[][] = opts.map(() => []);
      for (let r = 0; r < rounds * k; ++r) {
        for (let j = 0; j < opts.length; ++j) {
          const oi = (j + r) % opts.length;
          const t0 = performance.now();
          opts[oi].minimize(f, false, vars);
          await vars[0].data();
          mins[oi].push(performance.now() - t0);
        }
      }
      const m = times.map(median);
      const q = times.map((x) => quantile(x, 0.25));
      const mm = mins.map((x) => median(x) * 1000);
      console.log(
        `| ${net.label} | ${b} | ${f3(m[0])} | ${f3(m[1])} | ${(m[1] / m[0]).toFixed(3)} (${(q[1] / q[0]).toFixed(3)}) | ${mm[0].toFixed(1)} | ${mm[1].toFixed(1)} | ${(mm[1] - mm[0]).toFixed(1)} |`,
      );
      tf.dispose([...t.xs, ...t.ys]);
      inner.dispose();
      t.model.dispose();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--adagc')) await adaGCOverhead();
  else await adaptiveOptimizers();
}
