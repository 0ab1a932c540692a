/**
 * Test helper (not shipped: src/**\/testing is excluded from the package): runs every public
 * function of gradclip that has a fast path once, on fixed inputs (NaN, ±inf, -0 and float32's
 * range included), and returns the float32 bits of every result, by name. Comparing two runs (fast
 * path on / off, version faked, probe failed) proves they compute the same bits.
 *
 * The in-place functions cannot work without the fast path (nothing else can overwrite a tensor's
 * data): with it off they must throw a ValueError naming why; their entry then holds the bits of the
 * copying twin (`clipGradNorm` / `clipGradValue`), which the in-place result must equal.
 *
 * Every result is bit-identical with the fast path on and off, norms included: the fused Σx² has
 * float64 partial sums (more accurate than the float32 reduction), and with the fast path off the
 * same sums are computed on the host in the same order with public TF.js API (core/host-sums.ts).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import {
  ValueError,
  clipByGlobalNorm,
  clipByNorm,
  clipByValue,
  clipGradNorm,
  clipGradNorm_,
  clipGradValue,
  clipGradValue_,
  clipGradsWithNorm,
  getTotalNorm,
  globalNorm,
  transforms,
  withClipping,
  type ClippingOptions,
} from '../../index.js';
import { readWeights, tinyRegressionData, tinyRegressionModel } from '../../../test/helpers/tiny-regression.js';

/** Float32 bit patterns, every NaN canonical. */
export function bitsOf(ts: tf.Tensor | readonly (tf.Tensor | null | undefined)[]): number[] {
  const list = Array.isArray(ts) ? ts : [ts as tf.Tensor];
  const out: number[] = [];
  for (const t of list) {
    if (t == null) continue;
    const v = Float32Array.from(t.dataSync() as Float32Array, (x) => (Number.isNaN(x) ? NaN : x));
    out.push(...new Uint32Array(v.buffer));
  }
  return out;
}

function values(n: number, seed: number, scale = 3): number[] {
  let s = seed * 2654435761 + 1;
  const out: number[] = [];
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.push(((s / 4294967296) * 2 - 1) * scale);
  }
  return out;
}

/** Fresh gradient tensors: a large one (the SIMD blocks and the cpu pool), a matrix, and one with every special value. */
function grads(): tf.Tensor[] {
  return [tf.tensor1d(values(20000, 1)), tf.tensor2d(values(6, 2), [2, 3]), tf.tensor1d([1, NaN, Infinity, -0, -Infinity, 3e38, 1e-40, -7])];
}

/** Finite gradients (a norm clip of the special ones is all NaN). */
function finiteGrads(): tf.Tensor[] {
  return grads().slice(0, 2);
}

async function optimizerRun(options: ClippingOptions, label: string, out: Record<string, number[]>): Promise<void> {
  const vars = [tf.variable(tf.tensor1d(values(300, 7)), true, `pb_${label}_a`), tf.variable(tf.tensor2d(values(12, 8), [3, 4]), true, `pb_${label}_b`)];
  const opt = withClipping(tf.train.adam(0.01), options);
  for (let step = 0; step < 4; ++step) {
    opt.minimize(() => tf.tidy(() => tf.add(tf.sum(tf.square(tf.mul(vars[0], 3 + step))), tf.sum(tf.mul(vars[1], vars[1].mul(10)))) as tf.Scalar));
  }
  out[`withClipping(adam, ${label}).minimize`] = bitsOf(vars);
  opt.dispose();
  tf.dispose(vars);
}

/** The weights' bits after 3 epochs of `fit` on the tiny regression task, Adam wrapped with `options`. */
export async function fitBits(options: ClippingOptions): Promise<number[]> {
  const data = tinyRegressionData(32);
  const model = tinyRegressionModel();
  model.compile({ optimizer: withClipping(tf.train.adam(0.01), options), loss: 'meanSquaredError' });
  await model.fit(data.x, data.y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
  const out = (await readWeights(model)).flatMap((w) => Array.from(new Uint32Array(w.buffer)));
  model.optimizer.dispose();
  model.dispose();
  tf.dispose([data.x, data.y]);
  return out;
}

/** Runs everything and returns the bits by name. Leaves no tensor behind. */
export async function publicBits(fastPathOn: boolean): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  tf.tidy(() => {
    out.clipByValue = bitsOf(grads().map((g) => clipByValue(g, -0.5, 0.5)));
    out.clipByNorm = bitsOf(clipByNorm(finiteGrads()[0], 1));
    out.globalNorm = bitsOf(globalNorm(finiteGrads()));
    out['globalNorm (NaN, inf)'] = bitsOf(globalNorm(grads()));
    const [clipped, norm] = clipByGlobalNorm(finiteGrads(), 1);
    out.clipByGlobalNorm = bitsOf([...clipped, norm]);
    out.getTotalNorm = bitsOf(getTotalNorm(finiteGrads()));
    out['getTotalNorm (inf norm)'] = bitsOf(getTotalNorm(grads(), Infinity));
    out.clipGradsWithNorm = bitsOf(clipGradsWithNorm(finiteGrads(), 1, getTotalNorm(finiteGrads())));
    const r = clipGradNorm(finiteGrads(), 1);
    out.clipGradNorm = bitsOf([...r.grads, r.totalNorm]);
    out.clipGradValue = bitsOf(clipGradValue(grads(), 0.1));
  });
  // In place: only with the fast path; off, a ValueError names why and the copying twin stands in.
  tf.tidy(() => {
    const a = finiteGrads();
    const b = grads();
    if (fastPathOn) {
      clipGradNorm_(a, 1).dispose();
      clipGradValue_(b, 0.1);
    } else {
      assert.throws(() => clipGradNorm_(a, 1), (e: unknown) => e instanceof ValueError && /fast path is disabled/.test((e as Error).message));
      assert.throws(() => clipGradValue_(b, 0.1), (e: unknown) => e instanceof ValueError && /fast path is disabled/.test((e as Error).message));
      const r = clipGradNorm(finiteGrads(), 1);
      out['clipGradNorm_'] = bitsOf(r.grads);
      out['clipGradValue_'] = bitsOf(clipGradValue(grads(), 0.1));
      return;
    }
    out['clipGradNorm_'] = bitsOf(a);
    out['clipGradValue_'] = bitsOf(b);
  });
  await optimizerRun({}, 'none', out);
  await optimizerRun({ globalClipnorm: 0.5 }, 'globalClipnorm', out);
  await optimizerRun({ clipnorm: 0.5, weightDecay: 0.1 }, 'clipnorm+weightDecay', out);
  await optimizerRun({ clipvalue: 0.05 }, 'clipvalue', out);
  await optimizerRun({ transform: transforms.adaGC({ warmupSteps: 1 }) }, 'adaGC', out);
  // fit, through tf.LayersModel (trainOnBatch -> minimize).
  out['fit (clipvalue)'] = await fitBits({ clipvalue: 0.5 });
  out['fit (globalClipnorm)'] = await fitBits({ globalClipnorm: 1 });
  return out;
}

/** Asserts that two {@link publicBits} runs agree bit for bit on every function. */
export function assertSameBits(a: Record<string, number[]>, b: Record<string, number[]>, label: string): void {
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort(), `${label}: the same functions ran`);
  for (const k of Object.keys(a)) {
    assert.ok(a[k].length > 0, `${label}: ${k} returned values`);
    assert.deepEqual(b[k], a[k], `${label}: ${k} gives the same bits`);
  }
}

/**
 * Asserts that a fast-path run `fast` and a plain-path run `plain` agree bit for bit on every
 * function (NaN canonical), norms included: with the fast path off, sums of squares on cpu/wasm
 * are computed on the host in the fused kernels' order (core/host-sums.ts).
 */
export function assertFastMatchesPlain(fast: Record<string, number[]>, plain: Record<string, number[]>, label: string): void {
  assertSameBits(fast, plain, label);
}
