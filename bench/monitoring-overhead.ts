/**
 * `model.fit` time with every gradclip monitor on vs off, on wasm, measured in the same run with the
 * rounds interleaved (machine noise hits both alike). "Off": the bare optimizer, no callbacks. "On":
 * `withClipping(opt, { globalClipnorm: 1 })` + terminateOnNaN, lossSpikeDetector, gradientHealth,
 * tensorBoard (updateFreq 'batch', histogramFreq 1), csvLogger and jsonlLogger (per batch).
 *
 * Run: npx tsx bench/monitoring-overhead.ts [rounds=5]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { makeRegression } from '@gradclip/study';
import { withClipping } from 'gradclip';
import { gradientHealth, lossSpikeDetector, terminateOnNaN } from 'gradclip';
import { csvLogger, jsonlLogger, tensorBoard } from 'gradclip/node';

tf.env().set('PROD', true);
await tf.setBackend('wasm');
await tf.ready();

const rounds = Number(process.argv[2] ?? 5);
const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gradclip-bench-'));

interface Case {
  name: string;
  build: () => tf.Sequential;
  x: tf.Tensor;
  y: tf.Tensor;
  batchSize: number;
  loss: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const reg = makeRegression({ nSamples: 2048, nFeatures: 30, randomState: 65 });
const cases: Case[] = [
  {
    name: 'regression 30-35-1, 2048 samples, batch 32 (64 steps)',
    build: () => tf.sequential({ layers: [tf.layers.dense({ units: 35, activation: 'relu', inputDim: 30 }), tf.layers.dense({ units: 1 })] }),
    x: tf.tensor2d(reg.X),
    y: tf.tensor2d(reg.y as number[], [2048, 1]),
    batchSize: 32,
    loss: 'meanSquaredError',
  },
  {
    name: 'MNIST MLP 784-128-10, 2048 random images, batch 64 (32 steps)',
    build: () => tf.sequential({ layers: [tf.layers.dense({ units: 128, activation: 'relu', inputDim: 784 }), tf.layers.dense({ units: 10, activation: 'softmax' })] }),
    x: tf.randomUniform([2048, 784], 0, 1, 'float32', 1),
    y: tf.oneHot(tf.randomUniform([2048], 0, 10, 'int32', 2) as tf.Tensor1D, 10),
    batchSize: 64,
    loss: 'categoricalCrossentropy',
  },
];

async function timeFit(c: Case, on: boolean, run: number): Promise<number> {
  const m = c.build();
  m.compile({ optimizer: on ? withClipping(tf.train.adam(1e-3), { globalClipnorm: 1 }) : tf.train.adam(1e-3), loss: c.loss });
  const dir = path.join(logRoot, `${run}`);
  const callbacks = on
    ? [
        terminateOnNaN(),
        lossSpikeDetector({ action: 'warn' }),
        gradientHealth({ log: false }),
        tensorBoard(path.join(dir, 'tb'), { updateFreq: 'batch', histogramFreq: 1 }),
        csvLogger(path.join(dir, 'log.csv'), { updateFreq: 'batch' }),
        jsonlLogger(path.join(dir, 'log.jsonl'), { updateFreq: 'batch' }),
      ]
    : [];
  const t0 = performance.now();
  await m.fit(c.x, c.y, { epochs: 1, batchSize: c.batchSize, shuffle: false, verbose: 0, callbacks });
  const ms = performance.now() - t0;
  for (const cb of callbacks) (cb as { close?: () => void }).close?.();
  m.dispose();
  return ms;
}

let run = 0;
console.log(`backend ${tf.getBackend()}, ${rounds} interleaved rounds, 1 epoch per fit, median ms per fit:`);
for (const c of cases) {
  await timeFit(c, false, run++); // warm-up
  await timeFit(c, true, run++);
  const off: number[] = [];
  const on: number[] = [];
  for (let r = 0; r < rounds; r++) {
    off.push(await timeFit(c, false, run++));
    on.push(await timeFit(c, true, run++));
  }
  const mOff = median(off);
  const mOn = median(on);
  console.log(`${c.name}\n  off ${mOff.toFixed(1)} ms   on ${mOn.toFixed(1)} ms   ratio on/off ${(mOn / mOff).toFixed(2)}`);
}
fs.rmSync(logRoot, { recursive: true, force: true });
