/**
 * gradclip's fused clipping kernels, registered with tfjs for the `cpu` and `wasm` backends:
 *
 * | kernel | inputs | output |
 * |---|---|---|
 * | `GradclipSumOfSquares` | float32 tensors `x_0..x_{n-1}` | float32 scalar `Σ_i Σ x_i²` |
 * | `GradclipSumsOfSquares` | float32 tensors | float32 vector `[Σ x_0², …, Σ x_{n-1}²]` |
 * | `GradclipScale` | float32 tensors, then float32 `s` (last): a scalar, or a vector with one scale per tensor; or only the tensors, with attr `scales` (number[], one per tensor, rounded to float32) | n tensors `x_i * s` (or `x_i * s_i`) |
 * | `GradclipClampValue` | float32 tensors; attr `clipValue` | n tensors `min(max(x_i, -c), c)` |
 * | `GradclipKerasClipStats` | float32 tensors; attrs `mode`, `c` | what one Keras clipping step measures, see {@link KERAS_CLIP_STATS_KERNEL} |
 *
 * In-place mode: `GradclipScale`, `GradclipClampValue` and `GradclipKerasClipStats` take an optional
 * attr `inPlace`, a number[] with one flag per tensor input: 0 = a new output; 1 = overwrite the
 * input's data (on wasm its data then gets a new id, see `wasmRekey`); 2 (cpu only) = compute into
 * a new array and make it the input's data in place of the old one (for arrays whose sharing the
 * cpu hooks cannot know). A flagged input gets no output (outputs are only made for unflagged
 * inputs, in input order). Same arithmetic, same bits. Callers flag only tensors whose data
 * nothing else can see (see `inPlaceBlockers` in fast-path.ts): the kernels do not check.
 *
 * Sums are accumulated in float64 (cpu) or in float32 runs of 16 terms folded into float64
 * (wasm SIMD), then rounded once to float32, so a total above float32's max is `inf` exactly
 * where the anchors' float32 Σx² overflows. Products and clamps are bit-identical to tfjs's
 * Multiply / Maximum+Minimum kernels. One kernel call handles every tensor of a gradient list,
 * which removes the per-tensor op overhead of the composition.
 *
 * The kernels have no gradient: callers use them only when no tape is recording.
 */
import * as tf from '@tensorflow/tfjs';
import { clampInto, countNonFinite, maxAbs, scaleInto, sumOfSquaresF64 } from './cpu-loops.js';
import { clipWasmFor, type ClipWasmExports } from './wasm-clip-module.js';
import { adoptCpuOutputs, cpuOutputArrays, cpuSwapInValues } from './cpu-buffer-pool.js';
import { cpuValues as cpuStorage, isWasmBackend, wasmHeapMemory, wasmOffset, wasmRekey } from '../../internals/tfjs-internals.js';

export const SUM_OF_SQUARES_KERNEL = 'GradclipSumOfSquares';
export const SUMS_OF_SQUARES_KERNEL = 'GradclipSumsOfSquares';
export const SCALE_KERNEL = 'GradclipScale';
export const CLAMP_VALUE_KERNEL = 'GradclipClampValue';
/**
 * One pass that measures a Keras 3 clipping step (mode `'none'`, `'global'` = `global_clipnorm`,
 * `'clipnorm'` (per variable) or `'clipvalue'`, bound `c`) over float32 tensors `x_0..x_{n-1}`,
 * with the scalar arithmetic of the tfjs composition done on the host in float32 (bit-identical
 * to it on the cpu backend; on wasm the [n]-vector sums are float64 instead of float32). Outputs:
 *
 * 0. every measurement packed into one float32 vector of `PACKED_STATS_HEADER + n` entries (see
 *    {@link PACKED}): global norm `sqrt(Σ ss)`, clipped norm, clipped (0/1), the number of NaN/±inf
 *    entries split in two exact float32 halves `lo + hi * 2^24` (counted only for tensors whose
 *    Σx² is not finite: a finite sum proves there are none), then `[Σ x_0², …]`. One output
 *    tensor instead of five: the per-step cost of the wrapper is mostly tensor bookkeeping.
 * 1…. only when clipping changes the gradients: the clipped gradients (`x_i * s` with
 *    `s = c / max(norm, c)`, NaN where the global norm is not finite or a per-variable norm is NaN;
 *    or `min(max(x_i, -c), c)`), bit-identical to `GradclipScale` / `GradclipClampValue`. When
 *    they are absent, the clipped gradients are the inputs themselves. Inputs flagged in attr
 *    `inPlace` are overwritten with their clipped values and get no output here.
 */
export const KERAS_CLIP_STATS_KERNEL = 'GradclipKerasClipStats';

/** Index of each measurement in the packed stats vector of {@link KERAS_CLIP_STATS_KERNEL}. */
export const PACKED = { globalNorm: 0, clippedNorm: 1, clipped: 2, nonFiniteLo: 3, nonFiniteHi: 4 } as const;
/** Entries before the `[Σ x_0², …]` part of the packed stats vector. */
export const PACKED_STATS_HEADER = 5;
/** The non-finite count is stored as `lo + hi * NON_FINITE_SPLIT`, both halves exact in float32. */
export const NON_FINITE_SPLIT = 2 ** 24;

/** Which Keras 3 clipping option a {@link KERAS_CLIP_STATS_KERNEL} call measures. */
export type KerasClipMode = 'none' | 'global' | 'clipnorm' | 'clipvalue';

/** The backends that have fused kernels. */
export type FusedBackendName = 'cpu' | 'wasm';

/** The cpu backend's kernel API the kernels call (tfjs-backend-cpu's `MathBackendCPU`). */
interface CpuBackendLike {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array | Int32Array | Uint8Array): tf.TensorInfo;
}

/** The wasm backend's kernel API the kernels call (tfjs-backend-wasm's `BackendWasm`). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

function inputList(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return Object.values(inputs) as tf.TensorInfo[];
}

function size(info: tf.TensorInfo): number {
  return tf.util.sizeFromShape(info.shape);
}

// ---- cpu ---------------------------------------------------------------------------------------

function cpuValues(backend: CpuBackendLike, info: tf.TensorInfo): Float32Array {
  const values = cpuStorage(backend, info.dataId);
  if (values instanceof Float32Array) return values;
  // A float32 tensor made by a cast can keep its source's typed array on the cpu backend.
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) return Float32Array.from(values as unknown as ArrayLike<number>);
  throw new Error('gradclip fused kernels: expected numeric data on the cpu backend');
}

function cpuSumOfSquares(backend: CpuBackendLike, xs: tf.TensorInfo[]): number {
  let total = 0;
  for (const x of xs) total += sumOfSquaresF64(cpuValues(backend, x));
  return total;
}

// ---- wasm --------------------------------------------------------------------------------------

/** The SIMD module bound to this wasm backend's memory, or null when it cannot be used. */
export function wasmKernelsFor(backend: object): ClipWasmExports | null {
  const memory = wasmHeapMemory(backend);
  return memory == null ? null : clipWasmFor(memory);
}

function wasmModule(backend: WasmBackendLike): ClipWasmExports {
  const ex = wasmKernelsFor(backend);
  if (ex == null) throw new Error('gradclip: the SIMD clipping module is not available on this wasm backend');
  return ex;
}

function offsetOf(backend: WasmBackendLike, info: tf.TensorInfo): number {
  return wasmOffset(backend, info.dataId);
}

function wasmSumOfSquares(backend: WasmBackendLike, ex: ClipWasmExports, x: tf.TensorInfo): number {
  const n = size(x);
  return n === 0 ? 0 : ex.sumsq(offsetOf(backend, x), n);
}

// ---- kernel functions --------------------------------------------------------------------------

function isWasm(backend: object): backend is WasmBackendLike {
  return isWasmBackend(backend);
}

function scalarOut(backend: object, value: number): tf.TensorInfo {
  const v = Math.fround(value);
  if (isWasm(backend)) {
    const out = backend.makeOutput([], 'float32');
    (backend.typedArrayFromHeap(out) as Float32Array)[0] = v;
    return out;
  }
  return (backend as CpuBackendLike).makeTensorInfo([], 'float32', Float32Array.of(v));
}

function sumOfSquaresKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const xs = inputList(inputs);
  let total = 0;
  if (isWasm(backend)) {
    const ex = wasmModule(backend);
    for (const x of xs) total += wasmSumOfSquares(backend, ex, x);
  } else {
    total = cpuSumOfSquares(backend as CpuBackendLike, xs);
  }
  return scalarOut(backend, total);
}

function sumsOfSquaresKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const xs = inputList(inputs);
  let sums: number[];
  if (isWasm(backend)) {
    const ex = wasmModule(backend);
    sums = xs.map((x) => wasmSumOfSquares(backend, ex, x));
  } else {
    sums = xs.map((x) => sumOfSquaresF64(cpuValues(backend as CpuBackendLike, x)));
  }
  const values = Float32Array.from(sums); // rounds each sum once to float32
  if (isWasm(backend)) {
    const out = backend.makeOutput([xs.length], 'float32');
    (backend.typedArrayFromHeap(out) as Float32Array).set(values);
    return out;
  }
  return (backend as CpuBackendLike).makeTensorInfo([xs.length], 'float32', values);
}

/** Tensors the kernels have overwritten in place so far (for tests and benchmarks). */
export const inPlaceWrites = { tensors: 0 };

/** The `inPlace` attr: one flag (0, 1, 2) per tensor input (absent: none in place). */
function inPlaceFlags(attrs: tf.NamedAttrMap | undefined): readonly number[] {
  const f = (attrs as { inPlace?: number[] } | undefined)?.inPlace;
  return Array.isArray(f) ? f : [];
}

/**
 * Applies `op(src, dst, n, param_i)` to every input: into a new float32 output of the same shape,
 * or, for inputs flagged in `inPlace`, into the input's own data (flag 1: `dst = src`; flag 2, cpu:
 * into a new array that then replaces the input's). `params` has one value, or one per input.
 * Returns the new outputs (unflagged inputs only, in order) and, for every input, the tensor that
 * now holds its result (the input itself when done in place).
 */
function elementwise(
  backend: object,
  xs: tf.TensorInfo[],
  params: ArrayLike<number>,
  wasmOp: (ex: ClipWasmExports, src: number, dst: number, n: number, p: number) => void,
  cpuOp: (x: Float32Array, p: number, out: Float32Array) => void,
  inPlace: readonly number[] = [],
): { outs: tf.TensorInfo[]; results: tf.TensorInfo[] } {
  // No local closures here: this runs on every clipping training step (and tsx names each one).
  const one = params.length === 1;
  for (let i = 0; i < xs.length; ++i) if (inPlace[i] === 1 || inPlace[i] === 2) inPlaceWrites.tensors += 1;
  if (isWasm(backend)) {
    const ex = wasmModule(backend);
    const outs: tf.TensorInfo[] = [];
    const results = xs.map((x, i) => {
      const n = size(x);
      if (inPlace[i] === 1) {
        if (n > 0) {
          const p = offsetOf(backend, x);
          wasmOp(ex, p, p, n, one ? params[0] : params[i]);
          // A new id for the new contents: tfjs-wasm keys its packed-weight caches by id.
          wasmRekey(backend, x.dataId, n);
        }
        return x;
      }
      const out = backend.makeOutput(x.shape, 'float32'); // may grow the heap: take offsets after
      if (n > 0) wasmOp(ex, offsetOf(backend, x), offsetOf(backend, out), n, one ? params[0] : params[i]);
      outs.push(out);
      return out;
    });
    return { outs, results };
  }
  const cpu = backend as CpuBackendLike;
  const fresh: number[] = [];
  for (let i = 0; i < xs.length; ++i) if (inPlace[i] !== 1) fresh.push(size(xs[i]));
  // Recycled buffers of earlier outputs: a fresh large array costs a page fault per 4 KiB.
  const arrays = cpuOutputArrays(fresh);
  const outs: tf.TensorInfo[] = [];
  const adopted: Float32Array[] = [];
  let k = 0;
  const results = xs.map((x, i) => {
    const v = cpuValues(cpu, x);
    if (inPlace[i] === 1) {
      cpuOp(v, one ? params[0] : params[i], v); // element i is read before it is written: safe with out === x
      return x;
    }
    const a = arrays[k++];
    cpuOp(v, one ? params[0] : params[i], a);
    if (inPlace[i] === 2) {
      cpuSwapInValues(backend, x.dataId, a, true);
      return x;
    }
    adopted.push(a);
    const out = cpu.makeTensorInfo(x.shape, 'float32', a);
    outs.push(out);
    return out;
  });
  adoptCpuOutputs(adopted);
  return { outs, results };
}

function scaleKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const all = inputList(inputs);
  const given = (attrs as { scales?: number[] } | undefined)?.scales;
  if (given != null) {
    // Scales from the host: no scale tensor to make (what a per-step caller would pay for).
    return elementwise(backend, all, Float32Array.from(given), (ex, a, b, n, p) => ex.scale(a, b, n, p), scaleInto, inPlaceFlags(attrs)).outs;
  }
  const scale = all[all.length - 1];
  // Copied out before any output is allocated (allocation may grow the wasm heap).
  const s = Float32Array.from(
    isWasm(backend) ? (backend.typedArrayFromHeap(scale) as Float32Array) : cpuValues(backend as CpuBackendLike, scale),
  );
  return elementwise(backend, all.slice(0, -1), s, (ex, a, b, n, p) => ex.scale(a, b, n, p), scaleInto, inPlaceFlags(attrs)).outs;
}

function clampValueKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const c = Math.fround((attrs as { clipValue: number }).clipValue);
  return elementwise(backend, inputList(inputs), [c], (ex, a, b, n, p) => ex.clamp(a, b, n, p), clampInto, inPlaceFlags(attrs)).outs;
}

/** A new tensor of `backend` holding `values`. */
function outputOf(backend: object, shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array | Uint8Array): tf.TensorInfo {
  if (isWasm(backend)) {
    const out = backend.makeOutput(shape, dtype);
    backend.typedArrayFromHeap(out).set(values);
    return out;
  }
  return (backend as CpuBackendLike).makeTensorInfo(shape, dtype, values);
}

/**
 * What the last `GradclipKerasClipStats` run with attr `fold` left to the fused update, per input
 * (kernels run synchronously: the caller reads this right after `runKernel`): the float32 scale of
 * each gradient, or the float32 bound of a value clip; both null when the clip changes nothing.
 */
export const foldedClip: { scales: Float32Array | null; clampValue: number | null } = { scales: null, clampValue: null };

const addFloat64 = (a: number, b: number): number => a + b;
const addFloat32 = (a: number, b: number): number => Math.fround(a + b);

function kerasClipStatsKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const xs = inputList(inputs);
  const { mode, c } = attrs as unknown as { mode: KerasClipMode; c: number };
  const f = Math.fround;
  const n = xs.length;
  const ss = new Float32Array(n);
  let total64 = 0; // Σ of the unrounded per-tensor sums (what GradclipSumOfSquares would return)
  let nonFinite = 0;
  let maxAbsAll = 0;
  const wasm = isWasm(backend) ? backend : null;
  const ex = wasm != null ? wasmModule(wasm) : null;
  for (let i = 0; i < n; ++i) {
    const x = xs[i];
    let s: number;
    let m = 0;
    if (wasm != null && ex != null) {
      const len = size(x);
      const off = len === 0 ? 0 : offsetOf(wasm, x);
      s = len === 0 ? 0 : ex.sumsq(off, len);
      if (mode === 'clipvalue' && len > 0) m = ex.maxabs(off, len);
      if (!Number.isFinite(s)) nonFinite += countNonFinite(wasm.typedArrayFromHeap(x) as Float32Array);
    } else {
      const v = cpuValues(backend as CpuBackendLike, x);
      s = sumOfSquaresF64(v);
      if (mode === 'clipvalue') m = maxAbs(v);
      if (!Number.isFinite(s)) nonFinite += countNonFinite(v);
    }
    ss[i] = s; // rounded once to float32
    total64 += s;
    if (m > maxAbsAll) maxAbsAll = m;
  }
  // The composition's arithmetic, each op rounded to float32. tf.sum over a vector is a float64
  // loop on cpu (tfjs-backend-cpu) and a sequential float32 loop on wasm (tfjs-backend-wasm).
  const acc = wasm != null ? addFloat32 : addFloat64;
  let sum = 0;
  for (let i = 0; i < n; ++i) sum = acc(sum, ss[i]);
  const globalNorm = f(Math.sqrt(f(sum)));
  const c32 = f(c);
  let clippedNorm = globalNorm;
  let clipped = false;
  let scale: Float32Array | null = null;
  if (mode === 'global') {
    // c / max(n, c) + (n - n): exactly 1 when n <= c, NaN when n is inf or NaN.
    const s = Number.isFinite(globalNorm) ? f(c32 / Math.max(globalNorm, c32)) : NaN;
    scale = Float32Array.of(s);
    clippedNorm = f(globalNorm * s);
    clipped = globalNorm > c32;
  } else if (mode === 'clipnorm') {
    scale = new Float32Array(n);
    let sq = 0;
    for (let i = 0; i < n; ++i) {
      const norm = ss[i] > 0 ? f(Math.sqrt(ss[i])) : ss[i];
      const s = f(c32 / Math.max(norm, c32)); // Math.max propagates NaN
      scale[i] = s;
      if (norm > c32) clipped = true;
      sq = acc(sq, f(ss[i] * f(s * s)));
    }
    clippedNorm = f(Math.sqrt(f(sq)));
  } else if (mode === 'clipvalue') {
    clipped = maxAbsAll > c32;
    clippedNorm = f(Math.sqrt(f(total64)));
  }
  // The gradients, when clipping changes them (else the caller keeps the inputs: g * 1 and a
  // clamp of values inside [-c, c] are the identity, bit for bit).
  // Flagged inputs (attr `inPlace`) are overwritten instead and get no output.
  // Attr `fold`: nothing is written; the clip is left to the fused update (see `foldedClip`).
  const inPlace = inPlaceFlags(attrs);
  const fold = (attrs as { fold?: boolean }).fold === true;
  let grads: tf.TensorInfo[] = [];
  foldedClip.scales = null;
  foldedClip.clampValue = null;
  if (fold) {
    if (scale != null && scale.some((v) => v !== 1)) foldedClip.scales = scale.length === 1 ? new Float32Array(n).fill(scale[0]) : scale;
    else if (mode === 'clipvalue' && clipped) {
      foldedClip.clampValue = c32;
      clippedNorm = NaN; // not measured: the clamped values are never written (callers fold only without statistics)
    }
  } else if (scale != null && scale.some((v) => v !== 1)) {
    grads = elementwise(backend, xs, scale, (e, a, b, len, p) => e.scale(a, b, len, p), scaleInto, inPlace).outs;
  } else if (mode === 'clipvalue' && clipped) {
    const r = elementwise(backend, xs, [c32], (e, a, b, len, p) => e.clamp(a, b, len, p), clampInto, inPlace);
    grads = r.outs;
    let t = 0; // Σ of the clamped values' squares, as GradclipSumOfSquares on the outputs
    for (const g of r.results) t += wasm != null && ex != null ? wasmSumOfSquares(wasm, ex, g) : sumOfSquaresF64(cpuValues(backend as CpuBackendLike, g));
    clippedNorm = f(Math.sqrt(f(t)));
  }
  // Every measurement in one small float32 output (one tensor to keep and read per step).
  const stats = new Float32Array(PACKED_STATS_HEADER + n);
  stats[PACKED.globalNorm] = globalNorm;
  stats[PACKED.clippedNorm] = clippedNorm;
  stats[PACKED.clipped] = clipped ? 1 : 0;
  stats[PACKED.nonFiniteLo] = nonFinite % NON_FINITE_SPLIT;
  stats[PACKED.nonFiniteHi] = Math.floor(nonFinite / NON_FINITE_SPLIT);
  stats.set(ss, PACKED_STATS_HEADER);
  return [outputOf(backend, [PACKED_STATS_HEADER + n], 'float32', stats), ...grads];
}

const KERNELS: [string, tf.KernelFunc][] = [
  [SUM_OF_SQUARES_KERNEL, sumOfSquaresKernel as unknown as tf.KernelFunc],
  [SUMS_OF_SQUARES_KERNEL, sumsOfSquaresKernel as unknown as tf.KernelFunc],
  [SCALE_KERNEL, scaleKernel as unknown as tf.KernelFunc],
  [CLAMP_VALUE_KERNEL, clampValueKernel as unknown as tf.KernelFunc],
  [KERAS_CLIP_STATS_KERNEL, kerasClipStatsKernel as unknown as tf.KernelFunc],
];

/** The kernel configs this module registered (and may remove). */
const ours: tf.KernelConfig[] = [];

/**
 * Registers the fused kernels for `backendName` once (idempotent; a kernel someone else
 * registered under the same name is left alone).
 */
export function ensureFusedKernels(backendName: FusedBackendName): void {
  for (const [kernelName, kernelFunc] of KERNELS) {
    if (tf.getKernel(kernelName, backendName) == null) {
      const config: tf.KernelConfig = { kernelName, backendName, kernelFunc };
      tf.registerKernel(config);
      ours.push(config);
    }
  }
}

/** Unregisters the fused kernels this module registered (the fast path was turned off). */
export function removeFusedKernels(): void {
  for (const config of ours.splice(0)) {
    if (tf.getKernel(config.kernelName, config.backendName)?.kernelFunc === config.kernelFunc) {
      tf.unregisterKernel(config.kernelName, config.backendName);
    }
  }
}
