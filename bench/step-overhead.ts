/**
 * Training-step overhead of the optimizer wrapper: time per `model.trainOnBatch` step of the
 * article's four networks with the bare optimizer vs `withClipping(opt, { globalClipnorm: 1 })`
 * vs `{ clipnorm: 1 }` vs `{ clipvalue: 1 }`, on the `cpu` and `wasm` backends, in one process run.
 *
 * Every variant of a network trains its own copy of the same seeded model on the same 16 batches
 * (random data with random targets, the adding problem for the RNN), cycled through.
 * Rounds are interleaved (each round runs every backend × variant for `--steps-per-round` steps,
 * the variant order rotating from round to round) so that machine noise hits all variants alike;
 * the table reports the median ms/step of each variant and the ratio clipped / bare.
 * `trainOnBatch` reads the loss on the host, so each timed step has finished on the device.
 *
 *   npm run bench -- --steps [--rounds N] [--steps-per-round K] [--backends cpu,wasm]
 *                     [--networks regression,mnist,cnn,rnn] [--quick] [--no-in-place] [--no-fused] [--paired] [--adagc] [--stats]
 *                     [--late-hook]
 *
 * `--stats`: every wrapper asks for its step statistics (`enableStats()`), as a monitoring callback
 * does; by default nobody asks, and the wrapper records none (statistics on demand).
 *
 * `--adagc`: the variants are bare, no clip, `globalClipnorm: 1` and
 * `{ transform: transforms.adaGC({ warmupSteps: 3 }) }` (past the 3 warm-up steps before timing,
 * so every timed step is in AdaGC's per-tensor adaptive phase, which reads the per-tensor norms on
 * the host); the last column is adaGC / globalClipnorm (the target: at most 1.05).
 *
 * `--no-fused` makes the wrapper call the inner optimizer's `applyGradients` instead of its fused
 * SGD / Momentum / Adam update (optimizer/fused-update.ts; bit-identical results).
 * `--no-in-place` makes the wrapper copy its clipped gradients instead of clipping `minimize`'s own
 * temporaries in place (the default; same results bit for bit), to measure what in place saves.
 * `--late-hook` makes the cpu backend hold a tensor before gradclip's fast path is first used on it
 * (as when a model is built before the first clip): gradclip then cannot know which of its older
 * arrays are shared, and gives minimize's gradients new arrays instead of writing into theirs.
 *   npx tsx bench/step-overhead.ts   (same flags)
 *
 * Networks (src/models): regression MLP 30-35-1 batch 32 (Adam 1e-3); MNIST MLP 784-128-10 batch
 * 32 (Adam 1e-3, softmax cross-entropy from logits); CIFAR CNN batch 4 (SGD momentum 0.9, lr 1e-3;
 * wasm with registerWasmTrainingFixes()); SimpleRNN(32) on the adding problem, T = 50, batch 32
 * (SGD 0.1, MSE) — the optimizers and batch sizes of the article study (src/experiments/studies.ts).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { addingProblem, addingRnn, cifarCnn, mnistMlp, regressionMlp, softmaxCrossEntropyFromLogits } from '@gradclip/study';
import { registerWasmTrainingFixes } from 'gradclip';
import { withClipping } from 'gradclip';
// Internals from the built library (the same module instances as 'gradclip').
import { fastPathBackend, inPlaceEnabled, setInPlaceEnabled } from '../packages/gradclip/dist/core/fast/fast-path.js';
import { fusedUpdateEnabled, setFusedUpdateEnabled, transforms } from 'gradclip';
import type { ClippingOptions } from 'gradclip';
import { median } from './stats.js';

tf.env().set('PROD', true);

type Backend = 'cpu' | 'wasm';

interface Network {
  key: string;
  label: string;
  build: () => tf.Sequential;
  optimizer: () => tf.Optimizer;
  loss: string | ((a: tf.Tensor, b: tf.Tensor) => tf.Scalar);
  /** `BATCHES` batches stacked along axis 0 (inputs, targets); step i trains on batch i mod BATCHES. */
  data: (n: number) => { x: tf.Tensor; y: tf.Tensor };
  batchSize: number;
  /** Steps per round on cpu, when the network is slow there (the CNN). */
  cpuStepsScale?: number;
}

const NETWORKS: Network[] = [
  {
    key: 'regression',
    label: 'regression MLP 30-35-1, batch 32, Adam',
    build: () => regressionMlp({ seed: 1 }),
    optimizer: () => tf.train.adam(1e-3),
    loss: 'meanSquaredError',
    batchSize: 32,
    data: (n) => ({ x: tf.randomNormal([n, 30], 0, 1, 'float32', 1), y: tf.randomNormal([n, 1], 0, 1, 'float32', 2) }),
  },
  {
    key: 'mnist',
    label: 'MNIST MLP 784-128-10, batch 32, Adam',
    build: () => mnistMlp({ seed: 1 }),
    optimizer: () => tf.train.adam(1e-3),
    loss: softmaxCrossEntropyFromLogits,
    batchSize: 32,
    data: (n) => ({
      x: tf.randomUniform([n, 28, 28], 0, 1, 'float32', 3),
      y: tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', 4) as tf.Tensor1D, 10).toFloat(),
    }),
  },
  {
    key: 'cnn',
    label: 'CIFAR CNN (62k params), batch 4, SGD momentum',
    build: () => cifarCnn({ seed: 1 }),
    optimizer: () => tf.train.momentum(1e-3, 0.9),
    loss: softmaxCrossEntropyFromLogits,
    batchSize: 4,
    data: (n) => ({
      x: tf.randomUniform([n, 32, 32, 3], 0, 1, 'float32', 5),
      y: tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', 6) as tf.Tensor1D, 10).toFloat(),
    }),
    cpuStepsScale: 0.25,
  },
  {
    key: 'rnn',
    label: 'SimpleRNN(32) adding problem T=50, batch 32, SGD',
    build: () => addingRnn({ seqLength: 50, seed: 1 }),
    optimizer: () => tf.train.sgd(0.1),
    loss: 'meanSquaredError',
    batchSize: 32,
    data: (n) => {
      const d = addingProblem({ n, seqLength: 50, seed: 7 });
      return { x: tf.tensor3d(d.x, d.shape), y: tf.tensor2d(d.y, [n, 1]) };
    },
  },
];

const ADAGC = process.argv.includes('--adagc');
/** `--stats`: the wrappers record their statistics (as under a monitoring callback). */
const STATS = process.argv.includes('--stats');

/** `withClipping(opt, clip)`, asked for its statistics under `--stats`. */
function wrap(opt: tf.Optimizer, clip: ClippingOptions): tf.Optimizer {
  const w = withClipping(opt, clip);
  if (STATS) w.enableStats();
  return w;
}

const VARIANTS: { key: string; clip: ClippingOptions | null }[] = ADAGC
  ? [
      { key: 'bare', clip: null },
      { key: 'wrapped', clip: {} },
      { key: 'globalClipnorm', clip: { globalClipnorm: 1 } },
      { key: 'adaGC', clip: { transform: transforms.adaGC({ warmupSteps: 3 }) } },
    ]
  : [
      { key: 'bare', clip: null },
      { key: 'wrapped', clip: {} },
      { key: 'globalClipnorm', clip: { globalClipnorm: 1 } },
      { key: 'clipnorm', clip: { clipnorm: 1 } },
      { key: 'clipvalue', clip: { clipvalue: 1 } },
    ];

/** The table header for {@link VARIANTS}. */
function printHeader(): void {
  if (ADAGC) {
    console.log('| network | backend | bare ms | no clip ms | globalClipnorm ms | adaGC ms | ratio global | ratio adaGC | adaGC / globalClipnorm |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    return;
  }
  console.log('| network | backend | bare ms | no clip ms | globalClipnorm ms | clipnorm ms | clipvalue ms | ratio global | ratio clipnorm | ratio clipvalue |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * Distinct batches cycled through, so that the loss stays away from 0: one repeated batch gets
 * fitted within a few hundred steps, and the tiny (subnormal) values that follow slow every
 * variant down by different amounts.
 */
const BATCHES = 16;

interface Trainer {
  model: tf.Sequential;
  xs: tf.Tensor[];
  ys: tf.Tensor[];
  step: number;
}

/** One table row: the medians of VARIANTS (bare, no clip, clipped…), ratios to bare and (to no clip). */
function printRow(net: Network, b: Backend, m: number[]): void {
  const f = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  const ratios = m.slice(2).map((x) => `${(x / m[0]).toFixed(3)} (${(x / m[1]).toFixed(3)})`);
  if (ADAGC) ratios.push((m[3] / m[2]).toFixed(3));
  console.log(`| ${net.label} | ${b} | ${m.map(f).join(' | ')} | ${ratios.join(' | ')} |`);
}

async function makeTrainer(net: Network, clip: ClippingOptions | null, paired = false): Promise<Trainer> {
  const model = net.build();
  const opt = net.optimizer();
  model.compile({ optimizer: clip == null || paired ? opt : wrap(opt, clip), loss: net.loss });
  const { x, y } = net.data(BATCHES * net.batchSize);
  const xs = tf.split(x, BATCHES);
  const ys = tf.split(y, BATCHES);
  tf.dispose([x, y]);
  const t: Trainer = { model, xs, ys, step: 0 };
  for (let i = 0; i < 3; ++i) await trainStep(t); // warm-up (kernels, slots)
  return t;
}

/** A tensor on the cpu backend made before gradclip's first use there (see --late-hook). */
async function heldCpuTensor(): Promise<tf.Tensor> {
  await tf.setBackend('cpu');
  return tf.ones([1]);
}

async function trainStep(t: Trainer): Promise<void> {
  const i = t.step++ % BATCHES;
  await t.model.trainOnBatch(t.xs[i], t.ys[i]);
}

export async function stepOverhead(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rounds = Number(arg('--rounds') ?? (quick ? 5 : 9));
  const stepsPerRound = Number(arg('--steps-per-round') ?? (quick ? 8 : 16));
  const backends = (arg('--backends') ?? 'cpu,wasm').split(',') as Backend[];
  const wanted = (arg('--networks') ?? NETWORKS.map((n) => n.key).join(',')).split(',');
  const nets = NETWORKS.filter((n) => wanted.includes(n.key));
  const inPlace = !process.argv.includes('--no-in-place');
  setInPlaceEnabled(inPlace);
  const fused = !process.argv.includes('--no-fused');
  setFusedUpdateEnabled(fused);
  // --late-hook: the cpu backend holds a tensor before gradclip's fast path is first used on it (a
  // model built before the first clip), so gradclip cannot know which of its arrays are shared:
  // minimize's gradients then get new arrays (swapped in) instead of being overwritten.
  const lateHook = process.argv.includes('--late-hook');
  const held = lateHook ? await heldCpuTensor() : null;
  if (process.argv.includes('--paired')) {
    await pairedOverhead(nets, backends, rounds, stepsPerRound);
    return;
  }

  console.log(`# gradclip training-step overhead  ${new Date().toISOString().slice(0, 10)}`);
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}; ${rounds} interleaved rounds x ${stepsPerRound} steps per variant`);
  console.log(`in-place clipping of minimize's gradients: ${inPlace ? 'on (default)' : 'off (--no-in-place: clipped copies)'}`);
  console.log(`fused optimizer update (SGD/Momentum/Adam in one pass): ${fused ? 'on (default)' : 'off (--no-fused: the inner applyGradients)'}`);
  console.log(`step statistics: ${STATS ? 'recorded (--stats: every wrapper asked with enableStats())' : 'not asked for (default): none recorded'}`);
  if (lateHook) console.log('cpu: the fast path is set up on a backend that already holds tensors (--late-hook)');
  console.log('(CNN on cpu: a quarter of the steps); times are medians of ms per trainOnBatch step;');
  console.log('"no clip" = withClipping(opt, {}): the wrapper with nothing to clip; ratios are clipped / bare (the target),');
  console.log('and in brackets clipped / no clip (the cost of the clipping alone)\n');
  printHeader();

  for (const net of nets) {
    const trainers: Record<string, Trainer[]> = {};
    for (const b of backends) {
      await tf.setBackend(b);
      await tf.ready();
      if (b === 'wasm') registerWasmTrainingFixes();
      if (fastPathBackend() !== b) throw new Error(`fast path not active on ${b}`);
      trainers[b] = [];
      for (const v of VARIANTS) trainers[b].push(await makeTrainer(net, v.clip));
    }
    const times: Record<string, number[]> = {};
    for (let r = 0; r < rounds; ++r) {
      for (const b of backends) {
        await tf.setBackend(b);
        const k = Math.max(1, Math.round(stepsPerRound * (b === 'cpu' ? (net.cpuStepsScale ?? 1) : 1)));
        for (let j = 0; j < VARIANTS.length; ++j) {
          const vi = (j + r) % VARIANTS.length; // rotate the order
          const t = trainers[b][vi];
          const key = `${b}/${VARIANTS[vi].key}`;
          for (let s = 0; s < k; ++s) {
            const t0 = performance.now();
            await trainStep(t);
            (times[key] ??= []).push(performance.now() - t0);
          }
        }
      }
    }
    for (const b of backends) {
      printRow(net, b, VARIANTS.map((v) => median(times[`${b}/${v.key}`])));
      await tf.setBackend(b);
      for (const t of trainers[b]) {
        tf.dispose([...t.xs, ...t.ys]);
        t.model.optimizer.dispose();
        t.model.dispose();
      }
    }
  }
  held?.dispose();
}

/**
 * `--paired`: one model and one inner optimizer per network and backend; every step swaps
 * `model.optimizer` to the next variant (the bare inner optimizer, or a `withClipping` wrapper
 * around that same inner optimizer, so slots and iterations are shared), the order rotating every
 * round. All variants then train along one weight trajectory: step times cannot drift apart
 * because separate models' weights (hence their activations, saturation, subnormals) diverge,
 * which dominates the separate-models design on the SimpleRNN.
 */
async function pairedOverhead(nets: Network[], backends: Backend[], rounds: number, stepsPerRound: number): Promise<void> {
  console.log(`# gradclip training-step overhead, paired (one model, optimizer swapped every step)  ${new Date().toISOString().slice(0, 10)}`);
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}; ${rounds} rounds x ${stepsPerRound} steps per variant, variants interleaved step by step`);
  console.log(
    `fused optimizer update: ${fusedUpdateEnabled() ? 'on (default)' : 'off (--no-fused)'}; in-place clipping: ${inPlaceEnabled() ? 'on (default)' : 'off'}; ` +
      `step statistics: ${STATS ? 'recorded (--stats)' : 'not asked for'}\n`,
  );
  printHeader();
  for (const net of nets) {
    for (const b of backends) {
      await tf.setBackend(b);
      await tf.ready();
      if (b === 'wasm') registerWasmTrainingFixes();
      if (fastPathBackend() !== b) throw new Error(`fast path not active on ${b}`);
      const t = await makeTrainer(net, null, true);
      const inner = t.model.optimizer;
      const opts = VARIANTS.map((v) => (v.clip == null ? inner : wrap(inner, v.clip)));
      // warm every wrapper up once (its first step may take tfjs's path)
      for (const o of opts) {
        t.model.optimizer = o;
        await trainStep(t);
      }
      const times: number[][] = VARIANTS.map(() => []);
      const k = Math.max(1, Math.round(stepsPerRound * (b === 'cpu' ? (net.cpuStepsScale ?? 1) : 1)));
      for (let r = 0; r < rounds; ++r) {
        for (let s = 0; s < k; ++s) {
          for (let j = 0; j < VARIANTS.length; ++j) {
            const vi = (j + r + s) % VARIANTS.length;
            t.model.optimizer = opts[vi];
            const t0 = performance.now();
            await trainStep(t);
            times[vi].push(performance.now() - t0);
          }
        }
      }
      printRow(net, b, times.map(median));
      tf.dispose([...t.xs, ...t.ys]);
      inner.dispose();
      t.model.dispose();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await stepOverhead();
