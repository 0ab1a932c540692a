/**
 * Per-step training time of the article's CIFAR-10 CNN at batch 4: tfjs `cpu` vs `wasm` with
 * registerWasmTrainingFixes(), measured in the same run, rounds interleaved so machine noise hits
 * both alike.
 *
 * Run: npx tsx bench/wasm-training.ts [rounds=3] [stepsPerRound=10]
 */
import * as tf from '@tensorflow/tfjs';
import { cifarCnn, softmaxCrossEntropyFromLogits } from '@gradclip/study';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingFixes } from 'gradclip';

tf.env().set('PROD', true); // no "looks like you are running in Node.js" banner

const BATCH = 4;
const rounds = Number(process.argv[2] ?? 3);
const stepsPerRound = Number(process.argv[3] ?? 10);


interface Setup {
  model: tf.Sequential;
  x: tf.Tensor;
  y: tf.Tensor;
}

async function setup(backend: string): Promise<Setup> {
  await tf.setBackend(backend);
  await tf.ready();
  if (backend === 'wasm') registerWasmTrainingFixes();
  const model = cifarCnn();
  model.compile({ optimizer: tf.train.sgd(0.01), loss: softmaxCrossEntropyFromLogits });
  const x = tf.randomUniform([BATCH, 32, 32, 3], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.tensor1d([3, 1, 7, 0], 'int32'), 10);
  for (let i = 0; i < 2; ++i) await model.trainOnBatch(x, y); // warm-up
  return { model, x, y };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const backends = ['cpu', 'wasm'] as const;
const setups: Record<string, Setup> = {};
for (const b of backends) setups[b] = await setup(b);
const times: Record<string, number[]> = { cpu: [], wasm: [] };
for (let r = 0; r < rounds; ++r) {
  for (const b of backends) {
    await tf.setBackend(b);
    const { model, x, y } = setups[b];
    for (let i = 0; i < stepsPerRound; ++i) {
      const t0 = performance.now();
      await model.trainOnBatch(x, y); // returns the loss as a number, so the step has finished
      times[b].push(performance.now() - t0);
    }
  }
}
const cpuMs = median(times.cpu);
const wasmMs = median(times.wasm);
console.log(`CIFAR CNN (32x32x3, conv6@5x5-pool-conv16@5x5-pool-120-84-10), batch ${BATCH}, SGD`);
console.log(`${rounds} interleaved rounds x ${stepsPerRound} steps per backend, median ms/step:`);
console.log(`  cpu          ${cpuMs.toFixed(2)} ms/step`);
console.log(`  wasm+fixes   ${wasmMs.toFixed(2)} ms/step`);
console.log(`  speed-up     ${(cpuMs / wasmMs).toFixed(1)}x (cpu / wasm)`);
for (const b of backends) {
  await tf.setBackend(b);
  tf.dispose([setups[b].x, setups[b].y]);
  setups[b].model.dispose();
}
