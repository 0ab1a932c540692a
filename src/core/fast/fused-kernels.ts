/**
 * gradclip's fused clipping kernels, registered with tfjs for the `cpu` and `wasm` backends:
 *
 * | kernel | inputs | output |
 * |---|---|---|
 * | `GradclipSumOfSquares` | float32 tensors `x_0..x_{n-1}` | float32 scalar `Σ_i Σ x_i²` |
 * | `GradclipSumsOfSquares` | float32 tensors | float32 vector `[Σ x_0², …, Σ x_{n-1}²]` |
 * | `GradclipScale` | float32 tensors, then float32 `s` (last): a scalar, or a vector with one scale per tensor | n tensors `x_i * s` (or `x_i * s_i`) |
 * | `GradclipClampValue` | float32 tensors; attr `clipValue` | n tensors `min(max(x_i, -c), c)` |
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
import { clampInto, scaleInto, sumOfSquaresF64 } from './cpu-loops.js';
import { clipWasmFor, wasmBackendMemory, type ClipWasmExports } from './wasm-clip-module.js';

export const SUM_OF_SQUARES_KERNEL = 'GradclipSumOfSquares';
export const SUMS_OF_SQUARES_KERNEL = 'GradclipSumsOfSquares';
export const SCALE_KERNEL = 'GradclipScale';
export const CLAMP_VALUE_KERNEL = 'GradclipClampValue';

/** The backends that have fused kernels. */
export type FusedBackendName = 'cpu' | 'wasm';

/** What the kernels need from the cpu backend (tfjs-backend-cpu's `MathBackendCPU`). */
interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** What the kernels need from the wasm backend (tfjs-backend-wasm's `BackendWasm`). */
interface WasmBackendLike {
  wasm: unknown;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
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
  const values = backend.data.get(info.dataId)?.values;
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
  const memory = wasmBackendMemory((backend as Partial<WasmBackendLike>).wasm);
  return memory == null ? null : clipWasmFor(memory);
}

function wasmModule(backend: WasmBackendLike): ClipWasmExports {
  const ex = wasmKernelsFor(backend);
  if (ex == null) throw new Error('gradclip: the SIMD clipping module is not available on this wasm backend');
  return ex;
}

function offsetOf(backend: WasmBackendLike, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) throw new Error('gradclip: tensor data not found on the wasm backend');
  return data.memoryOffset;
}

function wasmSumOfSquares(backend: WasmBackendLike, ex: ClipWasmExports, x: tf.TensorInfo): number {
  const n = size(x);
  return n === 0 ? 0 : ex.sumsq(offsetOf(backend, x), n);
}

// ---- kernel functions --------------------------------------------------------------------------

function isWasm(backend: object): backend is WasmBackendLike {
  return 'dataIdMap' in backend && 'wasm' in backend;
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

/**
 * Applies `op(src, dst, n, param_i)` to every input, writing new float32 outputs of the same
 * shapes. `params` has one value, or one per input.
 */
function elementwise(
  backend: object,
  xs: tf.TensorInfo[],
  params: ArrayLike<number>,
  wasmOp: (ex: ClipWasmExports, src: number, dst: number, n: number, p: number) => void,
  cpuOp: (x: Float32Array, p: number, out: Float32Array) => void,
): tf.TensorInfo[] {
  const param = (i: number): number => (params.length === 1 ? params[0] : params[i]);
  if (isWasm(backend)) {
    const ex = wasmModule(backend);
    return xs.map((x, i) => {
      const out = backend.makeOutput(x.shape, 'float32'); // may grow the heap: take offsets after
      const n = size(x);
      if (n > 0) wasmOp(ex, offsetOf(backend, x), offsetOf(backend, out), n, param(i));
      return out;
    });
  }
  const cpu = backend as CpuBackendLike;
  return xs.map((x, i) => {
    const src = cpuValues(cpu, x);
    const out = new Float32Array(src.length);
    cpuOp(src, param(i), out);
    return cpu.makeTensorInfo(x.shape, 'float32', out);
  });
}

function scaleKernel({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const all = inputList(inputs);
  const scale = all[all.length - 1];
  // Copied out before any output is allocated (allocation may grow the wasm heap).
  const s = Float32Array.from(
    isWasm(backend) ? (backend.typedArrayFromHeap(scale) as Float32Array) : cpuValues(backend as CpuBackendLike, scale),
  );
  return elementwise(backend, all.slice(0, -1), s, (ex, a, b, n, p) => ex.scale(a, b, n, p), scaleInto);
}

function clampValueKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const c = Math.fround((attrs as { clipValue: number }).clipValue);
  return elementwise(backend, inputList(inputs), [c], (ex, a, b, n, p) => ex.clamp(a, b, n, p), clampInto);
}

const KERNELS: [string, tf.KernelFunc][] = [
  [SUM_OF_SQUARES_KERNEL, sumOfSquaresKernel as unknown as tf.KernelFunc],
  [SUMS_OF_SQUARES_KERNEL, sumsOfSquaresKernel as unknown as tf.KernelFunc],
  [SCALE_KERNEL, scaleKernel as unknown as tf.KernelFunc],
  [CLAMP_VALUE_KERNEL, clampValueKernel as unknown as tf.KernelFunc],
];

/**
 * Registers the fused kernels for `backendName` once (idempotent; a kernel someone else
 * registered under the same name is left alone).
 */
export function ensureFusedKernels(backendName: FusedBackendName): void {
  for (const [kernelName, kernelFunc] of KERNELS) {
    if (tf.getKernel(kernelName, backendName) == null) tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
}
