/**
 * Helpers for the wasm-kernel parity tests (src/kernels/): a seeded PRNG, running one kernel on a
 * named backend, and the "relative to the largest |value|" error measure.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, type BackendName } from './backends.js';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi], inclusive. */
export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** One element of `options`. */
export function pick<T>(rand: () => number, options: readonly T[]): T {
  return options[Math.floor(rand() * options.length)];
}

/** `n` uniform floats in [lo, hi). */
export function randomValues(rand: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** A kernel input given by value, so it can be created on any backend. */
export interface HostTensor {
  values: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** The values and shape a kernel produced. */
export interface KernelResult {
  values: Float32Array;
  shape: number[];
}

/**
 * Runs `kernelName` directly (`engine.runKernel`) on `backend` and reads the result back. Every
 * tensor is disposed afterwards.
 */
export async function runKernelOn(
  backend: BackendName,
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: Record<string, unknown>,
): Promise<KernelResult> {
  await useBackend(backend);
  const ts: tf.NamedTensorMap = {};
  for (const [name, h] of Object.entries(inputs)) ts[name] = tf.tensor(h.values, h.shape, h.dtype);
  try {
    const out = tf.engine().runKernel(kernelName, ts, attrs as tf.NamedAttrMap) as tf.Tensor;
    const values = Float32Array.from(await out.data());
    const shape = out.shape;
    out.dispose();
    return { values, shape };
  } finally {
    tf.dispose(Object.values(ts));
  }
}

/** max |a − b| / max |b| (0 when both are all zeros); NaN where only one side is NaN counts as Infinity. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; ++i) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
    if (Number.isNaN(a[i])) continue;
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/**
 * Runs `fn` with tfjs's IS_TEST kernel leak check off (and PROD on, which keeps tfjs's warnings
 * silent instead).
 *
 * Why: under IS_TEST the engine counts backend data ids around every custom-gradient op. The wasm
 * `Identity` kernel *copies* (cpu's shares the data id), so the tensors `fused.conv2d` saves for
 * its gradient count as 3 "leaked" data ids and tfjs throws "Backend 'wasm' has an internal memory
 * leak (3 data ids) after running 'fusedConv2d__op'" — a false positive that happens without
 * gradclip too. Real leaks are still caught by the `tf.memory().numTensors` checks.
 */
export async function withoutTfjsLeakCheck<T>(fn: () => Promise<T> | T): Promise<T> {
  const env = tf.env();
  const [isTest, prod] = [env.getBool('IS_TEST'), env.getBool('PROD')];
  env.set('IS_TEST', false);
  env.set('PROD', true);
  try {
    return await fn();
  } finally {
    env.set('PROD', prod);
    env.set('IS_TEST', isTest);
  }
}
