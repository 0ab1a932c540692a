/**
 * The optimizer wrapper's clip without statistics (issue 12 item 7): on `webgl` with float32
 * textures it runs gradclip's fused WebGL programs (src/core/webgl/keras-clip-webgl.ts), elsewhere
 * the composition without its measuring ops. Either way the clipped gradients must be those of the
 * measured composition (statistics on) and of `setFastPath(false)`: bit for bit where the sums of
 * squares are exact in any order (integer gradients), within float32 reduction-order tolerance
 * otherwise; NaN and ±Infinity in the same places. Gradients are packed (matMul products, as
 * dense kernels' gradients are) and unpacked, with odd shapes (padding lanes in the vec4 tails),
 * several chunks, a scalar, and NaN/±Inf in the middle of a texture and in packed tails.
 */
import * as tf from '@tensorflow/tfjs';
import { setFastPath, withClipping, type ClippingOptions } from 'gradclip';
import { type Checks, close, fail, ok, sameLists } from './checks.js';
import type { TfBackend } from './protocol.js';

type Grads = Record<string, tf.Tensor>;

/** Integers in [-4, 4], a deterministic pattern. */
function ints(n: number, k: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 7 + k * 3) % 9) - 4);
}

/** On the GPU: unpacked (an elementwise op's output) or packed (a matMul product, as tfjs-webgl packs it). */
function unpacked(values: number[], shape: number[]): tf.Tensor {
  return tf.add(tf.tensor(values, shape), 0);
}
function packed(values: number[], rows: number, cols: number): tf.Tensor {
  return tf.matMul(unpacked(values, [rows, cols]) as tf.Tensor2D, tf.eye(cols));
}

/** Named gradients of many layouts; `poison` puts NaN/±Inf in some of them. */
function gradients(poison: 'none' | 'nan' | 'inf' | 'both', random: boolean): Grads {
  const vals = (n: number, k: number) => (random ? Array.from(tf.randomNormal([n], 0, 1.5, 'float32', 17 + k).dataSync()) : ints(n, k));
  const withAt = (v: number[], i: number, x: number) => (v.splice(i, 1, x), v);
  const tail = vals(15, 3); // packed [5, 3]: the last row and column are padding lanes' neighbours
  const mid = vals(6, 4);
  if (poison === 'nan' || poison === 'both') withAt(tail, 14, NaN);
  if (poison === 'inf' || poison === 'both') withAt(mid, 2, Infinity);
  const big = vals(70 * 51, 5);
  if (poison === 'both') withAt(big, 1000, -Infinity);
  return {
    wgc_u1: unpacked(vals(7, 1), [7]),
    wgc_p2: packed(vals(15, 2), 3, 5),
    wgc_pTail: packed(tail, 5, 3),
    wgc_uMid: unpacked(mid, [2, 3]),
    wgc_p3: tf.matMul(unpacked(vals(18, 6), [2, 3, 3]) as tf.Tensor3D, tf.stack([tf.eye(3), tf.eye(3)]) as tf.Tensor3D),
    wgc_s: unpacked([random ? 0.75 : 2], []),
    wgc_pBig: packed(big, 70, 51),
    wgc_uBig: unpacked(vals(3001, 7), [3001]),
  };
}

/** The gradients `withClipping(sgd(1), options)` applies (`-w` after one step from w = 0), read back. */
async function clipped(grads: Grads, options: ClippingOptions, mode: 'fast' | 'stats' | 'off'): Promise<{ values: Float32Array[]; kernels: string[] }> {
  const vars = Object.entries(grads).map(([name, g]) => tf.variable(tf.zerosLike(g), true, name));
  const opt = withClipping(tf.train.sgd(1), options);
  const release = mode === 'stats' ? opt.enableStats() : null;
  const before = mode === 'off' ? setFastPath(false) : null;
  try {
    const profile = await tf.profile(() => opt.applyGradients(grads));
    const values = await Promise.all(vars.map(async (v) => Float32Array.from((await tf.neg(v).data()) as Float32Array)));
    return { values, kernels: profile.kernelNames };
  } finally {
    if (before != null) setFastPath(before);
    release?.();
    opt.dispose();
    tf.dispose(vars);
  }
}

const OPTIONS: ClippingOptions[] = [{ clipnorm: 5 }, { clipnorm: 1e4 }, { globalClipnorm: 7 }, { globalClipnorm: 1e5 }, { clipvalue: 2.5 }];

export async function webglClipChecks(c: Checks, backend: TfBackend, float16: boolean): Promise<void> {
  if (backend !== 'webgl' && backend !== 'webgpu') return;
  const fused = backend === 'webgl' && !float16;
  const what = fused ? 'the fused WebGL programs' : 'the composition without measurements';
  await c.run(`gpu clip: the wrapper's clip without statistics runs ${what}, bit-identical to the measured composition and to setFastPath(false) (packed/unpacked, NaN/±Inf in tails and mid-texture)`, async () => {
    // The first fused clip on a backend probes the programs against the composition (its kernels would show in the profile).
    const warm = gradients('none', false);
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warnings.push(a.map(String).join(' '));
    try {
      await clipped(warm, { clipnorm: 1 }, 'fast');
    } finally {
      console.warn = warn;
      tf.dispose(Object.values(warm));
    }
    const probe = warnings.filter((w) => w.includes('fused WebGL'));
    ok(probe.length === 0, `the programs' probe passed: ${probe.join('; ')}`);
    for (const poison of ['none', 'nan', 'inf', 'both'] as const) {
      const grads = gradients(poison, false);
      try {
        for (const options of OPTIONS) {
          const label = `${JSON.stringify(options)}, ${poison}`;
          const fast = await clipped(grads, options, 'fast');
          const stats = await clipped(grads, options, 'stats');
          const off = await clipped(grads, options, 'off');
          sameLists(fast.values, stats.values, `${label}: no statistics vs statistics`);
          sameLists(off.values, stats.values, `${label}: setFastPath(false) vs statistics`);
          // The composition runs tfjs kernels (Square/Sum for norms, Maximum/Minimum for values); the programs none.
          const composed = (k: string[]) => k.includes('Square') || k.includes('Maximum');
          if (fused) ok(!composed(fast.kernels), `${label}: the fused programs ran (kernels: ${fast.kernels.join(', ')})`);
          else ok(composed(fast.kernels), `${label}: the composition ran (kernels: ${fast.kernels.join(', ')})`);
          ok(composed(off.kernels), `${label}: setFastPath(false) runs the composition (kernels: ${off.kernels.join(', ')})`);
          // NaN/Inf are where they must be: a non-finite global norm makes every entry NaN.
          if (options.globalClipnorm != null && poison !== 'none' && !fast.values.every((v) => v.every(Number.isNaN))) fail(`${label}: not all NaN`);
        }
      } finally {
        tf.dispose(Object.values(grads));
      }
    }
  });
  await c.run(`gpu clip: ${what} on random gradients within float32 reduction-order tolerance of the measured composition`, async () => {
    const grads = gradients('none', true);
    try {
      for (const options of OPTIONS) {
        const fast = await clipped(grads, options, 'fast');
        const stats = await clipped(grads, options, 'stats');
        fast.values.forEach((v, i) => close(v, stats.values[i], { rtol: float16 ? 2e-3 : 2e-6, atol: float16 ? 1e-3 : 1e-7 }, `${JSON.stringify(options)}[${i}]`));
      }
    } finally {
      tf.dispose(Object.values(grads));
    }
  });
}
