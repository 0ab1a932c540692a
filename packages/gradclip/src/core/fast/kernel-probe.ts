/**
 * The feature probe of the fused clipping kernels, run once per backend kind (cpu, wasm) when the
 * fast path first meets it, after the kernels are registered and (cpu) the backend is hooked: each
 * kernel runs once on tiny inputs (NaN, ±inf, -0, a subnormal and float32's range included) and its
 * result must equal the plain TF.js composition bit for bit; so must an in-place write (read back
 * through `dataSync`), a swapped-in array (cpu), and a matMul after an in-place write of its
 * weights (wasm: the write must drop tfjs-wasm's packed-weight cache, see `wasmRekey`). A
 * mismatch means TF.js's internals are not what the fast path expects: it is then turned off for
 * the process (see internals/fast-path-switch.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { cpuValues } from '../../internals/tfjs-internals.js';
import {
  CLAMP_VALUE_KERNEL,
  KERAS_CLIP_STATS_KERNEL,
  SCALE_KERNEL,
  SUMS_OF_SQUARES_KERNEL,
  SUM_OF_SQUARES_KERNEL,
  inPlaceWrites,
  type FusedBackendName,
} from './fused-kernels.js';

/** Sums of squares exact in float32 (the fused float64 sum and TF.js's float32 one agree exactly). */
const FINITE = [1.5, -2, 0.5, 3, 0, -0.25, -0, 4];
const SPECIAL = [1, NaN, Infinity, -Infinity, -0, 3e38, 1e-40, -7.5];

/** Test seam: makes the probe see a wrong bit in the fused results. */
let fault = false;

/** Test seam (not exported from the package): `true` makes the next probes fail as if a kernel computed other bits. */
export function setKernelProbeFaultForTests(on: boolean): void {
  fault = on;
}

/** Float32 bit patterns, every NaN as one canonical NaN (sign and payload carry no meaning). */
function bits(t: tf.Tensor): number[] {
  const v = Float32Array.from(t.dataSync() as Float32Array, (x) => (Number.isNaN(x) ? NaN : x));
  return Array.from(new Uint32Array(v.buffer));
}

function run(kernel: string, inputs: tf.Tensor[], attrs: tf.NamedAttrMap = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(kernel, inputs as unknown as tf.NamedTensorMap, attrs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

/** Null when `fused` and `plain` have the same shape and bits, else what differs. */
function differs(what: string, fused: tf.Tensor, plain: tf.Tensor): string | null {
  const a = bits(fused);
  if (fault && a.length > 0) a[0] ^= 1;
  const b = bits(plain);
  if (!tf.util.arraysEqual(fused.shape, plain.shape)) return `${what}: shape [${fused.shape}] instead of [${plain.shape}]`;
  for (let i = 0; i < a.length; ++i) {
    if (a[i] !== b[i]) return `${what}: element ${i} has bits 0x${a[i].toString(16)} instead of TF.js's 0x${b[i].toString(16)}`;
  }
  return null;
}

function checks(kind: FusedBackendName): string | null {
  const x = tf.tensor1d(FINITE);
  const y = tf.tensor1d(SPECIAL);
  const sq = (t: tf.Tensor): tf.Tensor => tf.sum(tf.square(t));
  let why =
    differs('GradclipSumOfSquares (finite)', run(SUM_OF_SQUARES_KERNEL, [x])[0], sq(x)) ??
    differs('GradclipSumOfSquares (NaN, inf)', run(SUM_OF_SQUARES_KERNEL, [y])[0], sq(y)) ??
    differs('GradclipSumsOfSquares', run(SUMS_OF_SQUARES_KERNEL, [x, y])[0], tf.stack([sq(x), sq(y)]));
  if (why != null) return why;
  const s = tf.scalar(0.3);
  const scaled = run(SCALE_KERNEL, [x, y, s]);
  why = differs('GradclipScale', scaled[0], tf.mul(x, s)) ?? differs('GradclipScale', scaled[1], tf.mul(y, s));
  if (why != null) return why;
  const byAttr = run(SCALE_KERNEL, [x, y], { scales: [0.7, -1.5] });
  why = differs('GradclipScale (scales)', byAttr[1], tf.mul(y, tf.scalar(-1.5)));
  if (why != null) return why;
  const c = 1.25;
  const clamp = (t: tf.Tensor): tf.Tensor => tf.minimum(tf.maximum(t, -c), c);
  const clamped = run(CLAMP_VALUE_KERNEL, [x, y], { clipValue: c });
  why = differs('GradclipClampValue', clamped[0], clamp(x)) ?? differs('GradclipClampValue (NaN, inf, -0)', clamped[1], clamp(y));
  if (why != null) return why;
  // A Keras global-norm clip: sqrt(Σx²) = sqrt(37.5625), scale c / max(norm, c).
  const keras = run(KERAS_CLIP_STATS_KERNEL, [x], { mode: 'global', c: 1 });
  const norm = tf.sqrt(sq(x));
  why =
    differs('GradclipKerasClipStats (norm)', tf.slice(keras[0], [0], [1]).reshape([]), norm) ??
    (keras.length === 2 ? differs('GradclipKerasClipStats (clipped)', keras[1], tf.mul(x, tf.div(1, tf.maximum(norm, 1)))) : 'GradclipKerasClipStats: no clipped output');
  if (why != null) return why;
  // In place, read back as users read it.
  const z = tf.tensor1d(SPECIAL);
  run(CLAMP_VALUE_KERNEL, [z], { clipValue: c, inPlace: [1] });
  why = differs('GradclipClampValue in place', z, clamp(y));
  if (why != null) return why;
  if (kind === 'cpu') {
    const w = tf.tensor1d(SPECIAL);
    const old = cpuValues(tf.engine().backend, w.dataId);
    run(SCALE_KERNEL, [w, s], { inPlace: [2] });
    if (cpuValues(tf.engine().backend, w.dataId) === old) return 'GradclipScale with a swapped-in array: the tensor kept its old array';
    why = differs('GradclipScale with a swapped-in array', w, tf.mul(y, s)) ?? differs('the array swapped out', tf.tensor1d(old as Float32Array), y);
    if (why != null) return why;
  }
  // A matMul after its weights were overwritten in place must see the new weights.
  const a = tf.tensor2d([[1, 2, 3]]);
  const weights = [[1, -2], [3, 4], [-5, 6]];
  const m = tf.tensor2d(weights);
  tf.matMul(a, m).dataSync(); // tfjs-wasm packs (and caches) m here
  run(SCALE_KERNEL, [m, tf.scalar(0.5)], { inPlace: [1] });
  return differs('a matMul after an in-place write of its weights', tf.matMul(a, m), tf.matMul(a, tf.mul(tf.tensor2d(weights), 0.5)));
}

/**
 * Runs the probe on the active backend (`kind`, whose fused kernels are registered). Returns null
 * when every result has TF.js's bits, else what differed (or what threw). Leaves no tensor behind.
 */
export function probeFusedKernels(kind: FusedBackendName): string | null {
  let why: string | null = null;
  const writes = inPlaceWrites.tensors;
  try {
    tf.tidy(() => {
      why = checks(kind);
    });
  } catch (e) {
    why = `the fused-kernel probe threw: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    inPlaceWrites.tensors = writes; // the probe's writes are not the caller's
  }
  return why == null ? null : `on the ${kind} backend, ${why as string}`;
}
