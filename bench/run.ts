/**
 * `npm run bench`: gradient-clipping time, accuracy and peak memory of gradclip's fused path vs the
 * naive tfjs composition vs PyTorch (one thread) vs a memory-bandwidth probe, all in one process
 * (plus the in-place variants `clipGradNorm_` / `clipGradValue_` against torch's in-place ops)
 * run with the rounds interleaved (cpu, wasm, torch, probe in turn), reporting medians and ratios.
 *
 *   npm run bench -- [--quick] [--sizes a,b,c,d] [--rounds N] [--backends cpu,wasm] [--no-torch]
 *
 * Sizes: (a) 1M params in 10 tensors, (b) 10M in 100, (c) 10M in 1000, (d) 100M in 100 (400 MB per
 * copy). `--quick` = sizes a,b and 3 rounds.
 *
 *   npm run bench -- --steps [--quick] [--rounds N] [--steps-per-round K] [--networks …]
 *
 * runs the training-step overhead benchmark instead (bench/step-overhead.ts).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { clipByNorm, clipGradNorm, clipGradNorm_, clipGradValue, clipGradValue_ } from 'gradclip';
// Internals from the built library (the same module instances as 'gradclip').
import { fastPathBackend, scalePresent } from '../packages/gradclip/dist/core/fast/fast-path.js';
import { sumsOfSquares } from '../packages/gradclip/dist/core/sum-of-squares.js';
import { makeData, median, norm64, peakBytesDuring } from './stats.js';
import { startTorch, torchUnavailableReason, type TorchWorker } from './torch-worker.js';

tf.env().set('PROD', true);

const SIZES: Record<string, { total: number; tensors: number; label: string }> = {
  a: { total: 1_000_000, tensors: 10, label: '(a) 1M in 10' },
  b: { total: 10_000_000, tensors: 100, label: '(b) 10M in 100' },
  c: { total: 10_000_000, tensors: 1000, label: '(c) 10M in 1000' },
  d: { total: 100_000_000, tensors: 100, label: '(d) 100M in 100' },
};
const KINDS = ['global', 'pertensor', 'value'] as const;
type Kind = (typeof KINDS)[number];
const MAX_NORM = 1;
const CLIP_VALUE = 0.5;
/** Bytes each kind must move per gradient byte: read Σx², read + write the scaled copy. */
const TRAFFIC: Record<Kind, number> = { global: 3, pertensor: 3, value: 2 };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const sizeKeys = (arg('--sizes') ?? (quick ? 'a,b' : 'a,b,c,d')).split(',').filter((k) => k in SIZES);
const rounds = Number(arg('--rounds') ?? (quick ? 3 : 5));
const backends = (arg('--backends') ?? 'cpu,wasm').split(',') as ('cpu' | 'wasm')[];

type Clip = (gs: tf.Tensor[]) => tf.TensorContainer;

/** gradclip's public functions (fused kernels on cpu/wasm). */
const gradclip: Record<Kind, Clip> = {
  global: (gs) => {
    const r = clipGradNorm(gs, MAX_NORM);
    return [r.grads, r.totalNorm];
  },
  // Keras `clipnorm` (per variable), vectorised: one Σx² kernel, a few [n]-vector ops, one scale kernel.
  pertensor: (gs) =>
    tf.tidy(() => {
      const ss = sumsOfSquares(gs);
      const pred = tf.greater(ss, 0);
      const n = tf.where(pred, tf.sqrt(tf.where(pred, ss, tf.onesLike(ss))), ss);
      const scale = tf.div(MAX_NORM, tf.maximum(n, MAX_NORM)) as tf.Tensor1D;
      return scalePresent(gs, scale) as tf.Tensor[];
    }),
  value: (gs) => clipGradValue(gs, CLIP_VALUE),
};

/** The in-place variants (PyTorch's `clip_grad_norm_` / `clip_grad_value_` semantics), on their own tensors. */
const IN_PLACE_KINDS = ['global', 'value'] as const;
type InPlaceKind = (typeof IN_PLACE_KINDS)[number];
const gradclipInPlace: Record<InPlaceKind, Clip> = {
  global: (gs) => clipGradNorm_(gs, MAX_NORM),
  value: (gs) => {
    clipGradValue_(gs, CLIP_VALUE);
    return [];
  },
};

/** The naive composition the issue measured. */
const naive: Record<Kind, Clip> = {
  global: (gs) =>
    tf.tidy(() => {
      const n = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))));
      const coef = tf.minimum(tf.div(MAX_NORM, tf.add(n, 1e-6)), 1);
      return [gs.map((g) => tf.mul(g, coef)), n];
    }),
  pertensor: (gs) => gs.map((g) => clipByNorm(g, MAX_NORM)),
  value: (gs) => tf.tidy(() => gs.map((g) => tf.minimum(tf.maximum(g, -CLIP_VALUE), CLIP_VALUE))),
};

function timeOnce(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** One-thread copy bandwidth in GB/s (read + write bytes), on buffers already touched. */
function copyProbe(src: Float32Array, dst: Float32Array): number {
  const ms = timeOnce(() => dst.set(src));
  return (2 * src.byteLength) / (ms * 1e6);
}

function fmt(x: number, d = 2): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? x.toFixed(0) : x.toFixed(d);
}

async function main(): Promise<void> {
  const noTorch = process.argv.includes('--no-torch');
  const whyNoTorch = noTorch ? 'disabled by --no-torch' : torchUnavailableReason();
  let torch: TorchWorker | null = null;
  if (whyNoTorch == null) torch = await startTorch();
  console.log(`# gradclip clipping benchmark  ${new Date().toISOString().slice(0, 10)}`);
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}, torch ${torch?.version ?? `skipped (${whyNoTorch})`}`);
  console.log(`rounds ${rounds} (interleaved, + 1 warm-up), max_norm ${MAX_NORM}, clip_value ${CLIP_VALUE}; times are medians in ms\n`);

  for (const key of sizeKeys) {
    const { total, tensors, label } = SIZES[key];
    const per = Math.floor(total / tensors);
    const counts = Array.from({ length: tensors }, (_, i) => (i === tensors - 1 ? total - per * (tensors - 1) : per));
    const data = makeData(counts, 42);
    const ref = norm64(data);
    const bytes = total * 4;
    const grads: Record<string, tf.Tensor[]> = {};
    const gradsInPlace: Record<string, tf.Tensor[]> = {}; // clipped in place every round, as torch's
    for (const b of backends) {
      await tf.setBackend(b);
      await tf.ready();
      grads[b] = data.map((a) => tf.tensor1d(a));
      gradsInPlace[b] = data.map((a) => tf.tensor1d(a.slice())); // own arrays (cpu wraps, not copies)
      if (fastPathBackend() !== b) throw new Error(`fast path not active on ${b}`);
    }
    if (torch != null) await torch.call({ op: 'setup', counts, seed: 42 });
    const torchErr = torch == null ? NaN : (await torch.call<{ relErr: number }>({ op: 'err' })).relErr;
    const probeSrc = data[0].length === total ? data[0] : Float32Array.from({ length: 0 });
    const big = probeSrc.length === total ? probeSrc : new Float32Array(total).fill(1);
    const probeDst = new Float32Array(total).fill(0);

    const times: Record<string, number[]> = {};
    const push = (k: string, v: number): void => {
      (times[k] ??= []).push(v);
    };
    const accuracy: string[] = [];
    const memory: string[] = [];

    for (let r = 0; r <= rounds; ++r) {
      for (const b of backends) {
        await tf.setBackend(b);
        const gs = grads[b];
        for (const kind of KINDS) {
          for (const [name, impl] of [['gradclip', gradclip], ['naive', naive]] as const) {
            let out: tf.TensorContainer = [];
            const ms = timeOnce(() => {
              out = impl[kind](gs);
            });
            tf.dispose(out);
            if (r > 0) push(`${b}/${kind}/${name}`, ms);
          }
        }
        for (const kind of IN_PLACE_KINDS) {
          let out: tf.TensorContainer = [];
          const gsi = gradsInPlace[b];
          const ms = timeOnce(() => {
            out = gradclipInPlace[kind](gsi);
          });
          tf.dispose(out);
          if (r > 0) push(`${b}/${kind}/gradclip_`, ms);
          if (r === 0) {
            const peak = peakBytesDuring(() => {
              out = gradclipInPlace[kind](gsi);
            });
            tf.dispose(out);
            memory.push(`| ${label} | ${b} | ${kind} | gradclip_ (in place) | ${fmt(peak / bytes)}x | — |`);
          }
        }
        if (r === 0) {
          // accuracy and peak memory, outside the timed calls
          for (const [name, impl] of [['gradclip', gradclip], ['naive', naive]] as const) {
            const res = impl.global(gs) as [tf.Tensor[], tf.Scalar];
            const n = res[1].dataSync()[0];
            tf.dispose(res);
            accuracy.push(`| ${label} | ${b} | ${name} | ${n.toPrecision(9)} | ${(Math.abs(n - ref) / ref).toExponential(2)} |`);
            for (const kind of KINDS) {
              let out: tf.TensorContainer = [];
              const peak = peakBytesDuring(() => {
                out = impl[kind](gs);
              });
              tf.dispose(out);
              memory.push(`| ${label} | ${b} | ${kind} | ${name} | ${fmt(peak / bytes)}x | ${fmt((peak - bytes) / bytes)}x |`);
            }
          }
        }
      }
      if (torch != null) {
        for (const kind of KINDS) {
          const t = await torch.call<{ times: number[] }>({ op: 'time', kind, reps: 1, max_norm: MAX_NORM, clip_value: CLIP_VALUE });
          if (r > 0) push(`torch/${kind}`, t.times[0]);
        }
      }
      const gbps = copyProbe(big, probeDst);
      if (r > 0) push('probe/copyGBps', gbps);
    }
    if (torch != null) accuracy.push(`| ${label} | torch 1 thread | clip_grad_norm_ (own randn data) | — | ${torchErr.toExponential(2)} |`);

    const bw = median(times['probe/copyGBps']);
    console.log(`## ${label}: ${(bytes / 1e6).toFixed(0)} MB of float32 gradients; copy probe ${fmt(bw, 1)} GB/s\n`);
    console.log('| kind | backend | gradclip ms | naive ms | torch ms | gradclip/torch | naive/torch | naive/gradclip | gradclip GB/s (% of copy probe) |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const kind of KINDS) {
      const t = median(times[`torch/${kind}`] ?? []);
      for (const b of backends) {
        const g = median(times[`${b}/${kind}/gradclip`]);
        const nv = median(times[`${b}/${kind}/naive`]);
        const eff = (TRAFFIC[kind] * bytes) / (g * 1e6);
        console.log(
          `| ${kind} | ${b} | ${fmt(g)} | ${fmt(nv)} | ${fmt(t)} | ${fmt(g / t)} | ${fmt(nv / t)} | ${fmt(nv / g, 1)} | ${fmt(eff, 1)} (${fmt((100 * eff) / bw, 0)}%) |`,
        );
      }
    }
    console.log(`\nIn place (PyTorch semantics): gradclip_ = clipGradNorm_ / clipGradValue_ vs torch's in-place clip_grad_norm_ / clip_grad_value_ (same torch times as above):\n`);
    console.log('| kind | backend | gradclip_ ms | gradclip (copying) ms | torch ms | gradclip_/torch | gradclip_ GB/s (% of copy probe) |');
    console.log('|---|---|---|---|---|---|---|');
    for (const kind of IN_PLACE_KINDS) {
      const t = median(times[`torch/${kind}`] ?? []);
      for (const b of backends) {
        const g = median(times[`${b}/${kind}/gradclip_`]);
        const c = median(times[`${b}/${kind}/gradclip`]);
        const eff = (TRAFFIC[kind] * bytes) / (g * 1e6);
        console.log(`| ${kind} | ${b} | ${fmt(g)} | ${fmt(c)} | ${fmt(t)} | ${fmt(g / t)} | ${fmt(eff, 1)} (${fmt((100 * eff) / bw, 0)}%) |`);
      }
    }
    console.log('\nNorm accuracy (global norm vs float64 reference):\n');
    console.log('| size | backend | impl | norm | relative error |\n|---|---|---|---|---|');
    console.log(accuracy.join('\n'));
    console.log('\nPeak extra tfjs memory during one call (tracked tensor bytes above the inputs, in units of the gradients\' bytes; outputs are 1.0x):\n');
    console.log('| size | backend | kind | impl | peak extra | beyond outputs |\n|---|---|---|---|---|---|');
    console.log(memory.join('\n'));
    console.log('');

    for (const b of backends) {
      await tf.setBackend(b);
      tf.dispose(grads[b]);
      tf.dispose(gradsInPlace[b]);
    }
    if (torch != null) await torch.call({ op: 'free' });
  }
  torch?.close();
}

if (process.argv.includes('--steps')) {
  // training-step overhead of the optimizer wrapper instead (bench/step-overhead.ts)
  const { stepOverhead } = await import('./step-overhead.js');
  await stepOverhead();
} else {
  await main();
}
