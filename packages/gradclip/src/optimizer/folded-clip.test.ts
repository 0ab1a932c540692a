/**
 * Issue 15: the clip folded into the fused update. For all seven tfjs optimizers, with
 * `clipnorm`, `globalClipnorm` and `clipvalue`, with and without weight decay, with NaN and inf
 * gradients under each `nonFinite` policy, a folded step gives the same bits as the unfolded one
 * (clip kernel writes the clipped gradients, then the update) and as tfjs's own `applyGradients`
 * after the clip (fused update off): weights, every optimizer slot, and the statistics.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { withClipping } from './clipped-optimizer.js';
import type { ClippingOptions } from './clipping-options.js';
import { adaGC } from '../transforms/ada-gc.js';
import { autoClip } from '../transforms/auto-clip.js';
import { zClip } from '../transforms/z-clip.js';
import { fusedUpdates, setFoldedClipEnabled, setFusedUpdateEnabled } from './fused-update.js';

const OPTIMIZERS: Record<string, () => tf.Optimizer> = {
  sgd: () => tf.train.sgd(0.05),
  momentum: () => tf.train.momentum(0.01, 0.9),
  nesterov: () => tf.train.momentum(0.01, 0.9, true),
  adam: () => tf.train.adam(0.01),
  'rmsprop(centered)': () => tf.train.rmsprop(0.005, 0.8, 0.9, 1e-6, true),
  adagrad: () => tf.train.adagrad(0.1),
  adadelta: () => tf.train.adadelta(0.5, 0.9),
  adamax: () => tf.train.adamax(0.02, 0.8, 0.95, 1e-5, 0.01),
};

const CLIPS: ClippingOptions[] = [{ clipnorm: 0.5 }, { globalClipnorm: 0.5 }, { clipvalue: 0.05 }];

/** Sizes: a SIMD body with a scalar tail, a scalar-only one, and one over the cpu fold chunk (16384). */
const SHAPES: number[][] = [[7, 5], [3], [130, 130]];

function values(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * scale;
  }
  return out;
}

/**
 * The gradient of variable `i` at step `k` (the loss is `Σ v * G`, whose gradient is `G` exactly):
 * step 1 small (nothing clips: the fold has nothing to do), step 2 an inf entry, step 3 a NaN in
 * the scalar tail, the others large.
 */
function gradient(i: number, k: number, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = values(n, 1 + 97 * k + i, k === 1 ? 0.01 : 4);
  if (k === 2 && i === 0) v[3] = -Infinity;
  if (k === 3 && i === 0) v[n - 1] = NaN;
  return tf.tensor(v, shape);
}

interface Run {
  bits: number[];
  stats: string[];
  folded: number;
  errors: string[];
}

/**
 * Every state variable of a tfjs optimizer (its slots and scalar variables such as Adam's
 * powers), read from its fields in field order: tfjs's Adamax has no `getWeights`.
 */
function optimizerState(opt: tf.Optimizer): tf.Variable[] {
  const out: tf.Variable[] = [];
  for (const value of Object.values(opt as unknown as Record<string, unknown>)) {
    if (value instanceof tf.Variable) out.push(value);
    else if (Array.isArray(value)) {
      for (const e of value) if ((e as { variable?: unknown } | null)?.variable instanceof tf.Variable) out.push((e as { variable: tf.Variable }).variable);
    }
  }
  return out;
}

function bitsOf(ts: tf.Tensor[]): number[] {
  const out: number[] = [];
  for (const t of ts) out.push(...new Uint32Array(Float32Array.from(t.dataSync() as Float32Array, (x) => (Number.isNaN(x) ? NaN : x)).buffer));
  return out;
}

async function run(make: () => tf.Optimizer, options: ClippingOptions, mode: 'folded' | 'unfolded' | 'tfjs', steps = 6, record = options.clipvalue == null): Promise<Run> {
  const fold = setFoldedClipEnabled(mode === 'folded');
  const fused = setFusedUpdateEnabled(mode !== 'tfjs');
  const folded0 = fusedUpdates.folded;
  try {
    const vars = SHAPES.map((s, i) => {
      const init = tf.tensor(values(s.reduce((a, b) => a * b, 1), 50 + i, 2), s);
      const v = tf.variable(init, true, `fold_${mode}_${i}_${Math.random().toString(36).slice(2)}`);
      init.dispose(); // the variable holds its data alone (the fused update needs that)
      return v;
    });
    const inner = make();
    const opt = withClipping(inner, options);
    let afterFirst = -1;
    const stats: string[] = [];
    const errors: string[] = [];
    const release = record ? opt.enableStats() : null; // a value clip (and a transform) folds only unobserved
    for (let k = 0; k < steps; ++k) {
      const gs = vars.map((v, i) => gradient(i, k, v.shape));
      try {
        opt.minimize(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(v, gs[i])))) as tf.Scalar, false, vars);
      } catch (e) {
        errors.push(`${k}: ${(e as Error).name}`);
      }
      tf.dispose(gs);
      if (k === 0) afterFirst = tf.memory().numTensors; // the first step makes the slots
      if (release != null) {
        const s = await opt.readLastStats();
        stats.push(JSON.stringify(s == null ? null : [s.globalNorm, s.clippedNorm, s.clipped, s.nonFiniteCount, s.skipped]));
      }
    }
    assert.equal(tf.memory().numTensors, afterFirst, `${mode}: numTensors constant over the steps`);
    release?.();
    const out = { bits: bitsOf([...vars, ...optimizerState(inner)]), stats, folded: fusedUpdates.folded - folded0, errors };
    tf.dispose(vars);
    opt.dispose();
    return out;
  } finally {
    setFoldedClipEnabled(fold);
    setFusedUpdateEnabled(fused);
  }
}

after(() => {
  setFoldedClipEnabled(true);
  setFusedUpdateEnabled(true);
});

describeBackends('the clip folded into the fused update', (backend) => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    it(`${backend} ${name}: folded = unfolded = tfjs after the clip, bit for bit (3 clips x weight decay x 3 nonFinite policies)`, async () => {
      for (const clip of CLIPS) {
        for (const weightDecay of [0, 0.1]) {
          for (const nonFinite of ['propagate', 'skip', 'error'] as const) {
            const options: ClippingOptions = { ...clip, weightDecay, nonFinite };
            const label = `${name} ${JSON.stringify(options)}`;
            const folded = await run(make, options, 'folded');
            const unfolded = await run(make, options, 'unfolded');
            const plain = await run(make, options, 'tfjs');
            assert.deepEqual(folded.bits, unfolded.bits, `${label}: folded vs unfolded`);
            assert.deepEqual(folded.bits, plain.bits, `${label}: folded vs tfjs's applyGradients`);
            assert.deepEqual(folded.stats, unfolded.stats, `${label}: statistics`);
            assert.deepEqual(folded.errors, unfolded.errors, `${label}: errors`);
            assert.equal(unfolded.folded, 0);
            // The steps that clip, after the one that makes the slots, and not skipped/thrown.
            assert.ok(folded.folded >= 2, `${label}: ${folded.folded} folded steps`);
          }
        }
      }
    });
  }
});

describeBackends('a per-tensor scaling transform (adaGC) folded into the fused update', (backend) => {
  for (const name of ['sgd', 'momentum', 'adam', 'adamax']) {
    it(`${backend} ${name}: adaGC folded = unfolded = tfjs after the transform, bit for bit (warm-up and adaptive steps, weight decay)`, async () => {
      for (const weightDecay of [0, 0.1]) {
        // warmupSteps 2: steps 1-2 clip by the global norm, 3-6 per tensor against γ.
        const options = (): ClippingOptions => ({ transform: adaGC({ warmupSteps: 2, maxNorm: 0.5 }), weightDecay });
        const folded = await run(OPTIMIZERS[name], options(), 'folded', 6, false);
        const unfolded = await run(OPTIMIZERS[name], options(), 'unfolded', 6, false);
        const plain = await run(OPTIMIZERS[name], options(), 'tfjs', 6, false);
        assert.deepEqual(folded.bits, unfolded.bits, `${name} wd=${weightDecay}: folded vs unfolded`);
        assert.deepEqual(folded.bits, plain.bits, `${name} wd=${weightDecay}: folded vs tfjs`);
        assert.equal(unfolded.folded, 0);
        assert.ok(folded.folded >= 2, `${name}: ${folded.folded} folded steps`);
      }
    });
  }
});

describeBackends('norm-based transforms with a single PyTorch coefficient (zClip, autoClip) folded into the fused update', (backend) => {
  const TRANSFORMS = {
    // warm-up of 2 (PyTorch's clip to maxGradNorm), then z-scores; the inf/NaN steps take the fixed clip.
    zClip: () => zClip({ warmupSteps: 2, maxGradNorm: 3, zThresh: 0.5 }),
    'zClip(no maxGradNorm)': () => zClip({ warmupSteps: 2, zThresh: 0.1 }),
    autoClip: () => autoClip({ percentile: 50 }),
  };
  for (const [tname, makeT] of Object.entries(TRANSFORMS)) {
    it(`${backend} ${tname}: folded = unfolded = tfjs after the transform, bit for bit (sgd, adam; NaN/inf steps)`, async () => {
      for (const name of ['sgd', 'adam']) {
        const options = (): ClippingOptions => ({ transform: makeT(), weightDecay: 0.1 });
        const folded = await run(OPTIMIZERS[name], options(), 'folded', 7, false);
        const unfolded = await run(OPTIMIZERS[name], options(), 'unfolded', 7, false);
        const plain = await run(OPTIMIZERS[name], options(), 'tfjs', 7, false);
        assert.deepEqual(folded.bits, unfolded.bits, `${tname} ${name}: folded vs unfolded`);
        assert.deepEqual(folded.bits, plain.bits, `${tname} ${name}: folded vs tfjs`);
        assert.equal(unfolded.folded, 0);
        assert.ok(folded.folded >= 1, `${tname} ${name}: ${folded.folded} folded steps`);
      }
    });
  }
});
