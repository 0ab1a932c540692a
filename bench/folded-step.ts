/**
 * Issue 15: the clip folded into the fused update. Times one optimizer step on `--params`
 * float32 parameters in `--tensors` tensors (default 25M in 25), custom loop (`applyGradients` with
 * fixed gradients whose global norm is far above 1, so every clipped step scales), medians of
 * `--steps` interleaved steps (the variant order rotates every step), per backend and optimizer:
 *
 * - `tfjs`: the bare tfjs optimizer's `applyGradients`;
 * - `wrapper`: `withClipping(opt, {})` (the fused update, no clip): the baseline of the ratios;
 * - `global, unfolded`: `withClipping(opt, { globalClipnorm: 1 })` with folding off (norm pass, a
 *   scale kernel writing the clipped gradients, then the update: what the wrapper did before);
 * - `global, folded`: the same with the clip folded into the update (norm pass, then the update);
 * - with `--all-clips` also `clipnorm: 1` and `clipvalue: 0.001`, unfolded and folded.
 *
 * and, when Debian's python3-torch is there, PyTorch 1.13 on one thread (`bench/torch_step.py`:
 * `optimizer.step()` vs `clip_grad_norm_(params, 1.0)` + `step()`, same sizes), run after the
 * TF.js rounds in a child process.
 *
 *   npx tsx bench/folded-step.ts [--backends wasm,cpu] [--optimizers sgd,momentum,adam]
 *                                [--params 25000000] [--tensors 25] [--steps 8] [--all-clips] [--no-torch]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withClipping, type ClippingOptions } from 'gradclip';
import { fusedUpdates, setFoldedClipEnabled } from '../packages/gradclip/dist/optimizer/fused-update.js';
import { median } from './stats.js';
import { torchUnavailableReason } from './torch-worker.js';

tf.env().set('PROD', true);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const backends = (arg('--backends') ?? 'wasm,cpu').split(',');
const optimizers = (arg('--optimizers') ?? 'sgd,momentum,adam').split(',');
const params = Number(arg('--params') ?? 25_000_000);
const tensors = Number(arg('--tensors') ?? 25);
const steps = Number(arg('--steps') ?? 8);
const allClips = process.argv.includes('--all-clips');
const size = Math.floor(params / tensors);

const MAKE: Record<string, () => tf.Optimizer> = {
  sgd: () => tf.train.sgd(0.01),
  momentum: () => tf.train.momentum(0.01, 0.9),
  adam: () => tf.train.adam(0.001),
};

interface Variant {
  name: string;
  clip: ClippingOptions | null; // null: the bare tfjs optimizer
  fold: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'tfjs', clip: null, fold: true },
  { name: 'wrapper', clip: {}, fold: true },
  { name: 'global, unfolded', clip: { globalClipnorm: 1 }, fold: false },
  { name: 'global, folded', clip: { globalClipnorm: 1 }, fold: true },
  ...(allClips
    ? [
        { name: 'clipnorm, unfolded', clip: { clipnorm: 1 }, fold: false },
        { name: 'clipnorm, folded', clip: { clipnorm: 1 }, fold: true },
        { name: 'clipvalue, unfolded', clip: { clipvalue: 0.001 }, fold: false },
        { name: 'clipvalue, folded', clip: { clipvalue: 0.001 }, fold: true },
      ]
    : []),
];

function seeded(seed: number): tf.Tensor1D {
  return tf.randomNormal([size], 0, 1, 'float32', seed) as tf.Tensor1D;
}

/** Median ms per step of every variant for one backend and optimizer. */
function measure(kind: string): Record<string, number> {
  const grads = Array.from({ length: tensors }, (_, i) => seeded(1000 + i));
  const setups = VARIANTS.map((v, k) => {
    const vars = Array.from({ length: tensors }, (_, i) => {
      const init = seeded(1 + i);
      const w = tf.variable(init, true, `fs_${kind}_${k}_${i}_${Math.random().toString(36).slice(2)}`);
      init.dispose();
      return w;
    });
    const inner = MAKE[kind]();
    const opt = v.clip == null ? inner : withClipping(inner, v.clip);
    const map: tf.NamedTensorMap = {};
    vars.forEach((w, i) => (map[w.name] = grads[i]));
    return { v, vars, opt, map, times: [] as number[] };
  });
  const folded0 = fusedUpdates.folded;
  for (let step = 0; step < steps + 2; ++step) {
    for (let j = 0; j < setups.length; ++j) {
      const s = setups[(j + step) % setups.length];
      setFoldedClipEnabled(s.v.fold);
      const t0 = performance.now();
      s.opt.applyGradients(s.map); // cpu/wasm kernels are synchronous: done when it returns
      const dt = performance.now() - t0;
      if (step >= 2) s.times.push(dt); // step 0 makes the slots, step 1 warms up
    }
  }
  setFoldedClipEnabled(true);
  const folds = fusedUpdates.folded - folded0;
  const out: Record<string, number> = {};
  for (const s of setups) {
    out[s.v.name] = median(s.times);
    s.opt.dispose();
    tf.dispose(s.vars);
  }
  tf.dispose(grads);
  const clippedFoldedVariants = VARIANTS.filter((v) => v.clip != null && Object.keys(v.clip).length > 0 && v.fold).length;
  if (folds < clippedFoldedVariants * steps) throw new Error(`only ${folds} folded steps: the fold did not apply`);
  return out;
}

function torchStep(kind: string): { bare: number; clipped: number; version: string } | null {
  const script = fileURLToPath(new URL('./torch_step.py', import.meta.url));
  const r = spawnSync('/usr/bin/python3', [script, kind, String(size), String(tensors), String(steps)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (r.status !== 0) return null;
  const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { bare: number; clipped: number; torch: string };
  return { bare: j.bare, clipped: j.clipped, version: j.torch };
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const results: { backend: string; kind: string; ms: Record<string, number> }[] = [];
for (const backend of backends) {
  await tf.setBackend(backend);
  await tf.ready();
  for (const kind of optimizers) {
    const ms = measure(kind);
    results.push({ backend, kind, ms });
    console.error(`${backend} ${kind}: ${VARIANTS.map((v) => `${v.name} ${fmt(ms[v.name])}`).join(', ')}`);
  }
}
const noTorch = process.argv.includes('--no-torch') ? 'disabled by --no-torch' : torchUnavailableReason();
const torch = noTorch == null ? Object.fromEntries(optimizers.map((k) => [k, torchStep(k)])) : {};

console.log(`\n${(params / 1e6).toFixed(0)}M float32 parameters in ${tensors} tensors, medians of ${steps} interleaved steps (ms)\n`);
const extra = VARIANTS.slice(4).map((v) => ` ${v.name} |`).join('');
console.log(
  `| backend | optimizer | tfjs step | wrapper, no clip | global clip, unfolded | global clip, folded |${extra} unfolded / no clip | folded / no clip | PyTorch bare | PyTorch clipped | PyTorch clipped / bare | folded / PyTorch clipped |`,
);
console.log(`|---|---|---|---|---|---|${VARIANTS.slice(4).map(() => '---|').join('')}---|---|---|---|---|---|`);
for (const r of results) {
  const m = r.ms;
  const t = r.backend === 'wasm' ? torch[r.kind] : null;
  const cells = [
    r.backend,
    r.kind,
    fmt(m.tfjs),
    fmt(m.wrapper),
    fmt(m['global, unfolded']),
    fmt(m['global, folded']),
    ...VARIANTS.slice(4).map((v) => fmt(m[v.name])),
    (m['global, unfolded'] / m.wrapper).toFixed(2),
    (m['global, folded'] / m.wrapper).toFixed(2),
    t == null ? '–' : fmt(t.bare),
    t == null ? '–' : fmt(t.clipped),
    t == null ? '–' : (t.clipped / t.bare).toFixed(2),
    t == null ? '–' : (m['global, folded'] / t.clipped).toFixed(2),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
if (noTorch != null) console.log(`\nPyTorch: ${noTorch}`);
else console.log(`\nPyTorch ${Object.values(torch).find((t) => t != null)?.version ?? '?'} (one thread), measured after the TF.js rounds; shown on the wasm rows.`);
