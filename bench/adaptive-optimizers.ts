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
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { cifarCnn, regressionMlp, softmaxCrossEntropyFromLogits } from '@gradclip/study';
import { registerWasmTrainingFixes, spam, stableSpam } from 'gradclip';
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
  const wanted = (arg('--networks') ?? NETWORKS.map((n) => n.key).join(',')).split(',');
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

if (import.meta.url === `file://${process.argv[1]}`) await adaptiveOptimizers();
