/**
 * The SIMD clipping module for the tfjs `wasm` backend, instantiated on the backend's own
 * `WebAssembly.Memory` so that it reads and writes tensors where they live (no copies). The
 * threaded build of tfjs-backend-wasm (on cross-origin-isolated pages) has a shared memory, which a
 * module can import only if it declares the import `shared`: that variant is compiled for it.
 */
import { CLIP_KERNELS_SHARED_WASM_BASE64, CLIP_KERNELS_WASM_BASE64 } from './clip-kernels-wasm.js';

/** The functions exported by clip-kernels.wat. Pointers are byte offsets, counts are elements. */
export interface ClipWasmExports {
  /** Σ x² over `n` float32 values at `ptr`, as a float64. */
  sumsq(ptr: number, n: number): number;
  /** `dst[i] = src[i] * s` in float32. */
  scale(src: number, dst: number, n: number, s: number): void;
  /** `dst[i] = min(max(src[i], -c), c)` in float32. */
  clamp(src: number, dst: number, n: number, c: number): void;
  /** max |x| over `n` float32 values at `ptr`, NaN entries ignored (0 for n = 0). */
  maxabs(ptr: number, n: number): number;
  /** tfjs SGD in place: `w = c * g + w` (`c = -learningRate`). */
  sgd(w: number, g: number, n: number, c: number): void;
  /** tfjs Momentum in place: `a = m * a + g`, then `w = c * a + w` (Nesterov: `w = c * (g + a * m) + w`). */
  momentum(w: number, g: number, a: number, n: number, m: number, c: number, nesterov: number): void;
  /** tfjs RMSProp in place on `w`, mean squares `s`, moments `a` and (centered) mean grads `mg`. */
  rmsprop(
    w: number, g: number, s: number, a: number, mg: number, n: number,
    decay: number, omd: number, lr: number, mom: number, eps: number, centered: number,
  ): void;
  /** tfjs Adagrad in place on `w` and accumulators `acc`. */
  adagrad(w: number, g: number, acc: number, n: number, eps: number, nlr: number): void;
  /** tfjs Adadelta in place on `w`, accumulated gradients `ag` and updates `au`. */
  adadelta(w: number, g: number, ag: number, au: number, n: number, rho: number, omr: number, eps: number, nlr: number): void;
  /** tfjs Adamax in place on `w`, moments `m` and weighted infinity norms `u` (`k = lr_t / (1 - beta1^t)`). */
  adamax(w: number, g: number, m: number, u: number, n: number, b1: number, omb1: number, b2: number, eps: number, k: number): void;
  /** tfjs Adam in place on weights `w`, moments `m` and `v` (see clip-kernels.wat). */
  adam(
    w: number, g: number, m: number, v: number, n: number,
    b1: number, omb1: number, b2: number, omb2: number, omab1: number, omab2: number, eps: number, nlr: number,
  ): void;
}

/** The parts of the emscripten module tfjs-backend-wasm keeps in `backend.wasm` that we use. */
interface EmscriptenModuleLike {
  asm?: { memory?: unknown };
  wasmMemory?: unknown;
}

/** The compiled module for plain memories and for shared ones (undefined: not tried yet; null: failed). */
const compiled: { plain?: WebAssembly.Module | null; shared?: WebAssembly.Module | null } = {};
const instances = new WeakMap<WebAssembly.Memory, ClipWasmExports>();

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; ++i) out[i] = bin.charCodeAt(i);
  return out;
}

/** True when `memory` is a shared memory (its buffer is a SharedArrayBuffer). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

function compile(kind: 'plain' | 'shared'): WebAssembly.Module | null {
  if (compiled[kind] === undefined) {
    try {
      compiled[kind] = new WebAssembly.Module(decodeBase64(kind === 'shared' ? CLIP_KERNELS_SHARED_WASM_BASE64 : CLIP_KERNELS_WASM_BASE64));
    } catch {
      compiled[kind] = null; // e.g. an engine without SIMD128 or threads: the composition is used instead
    }
  }
  return compiled[kind] ?? null;
}


/** The exported memory of a tfjs-backend-wasm module (`Module.asm.memory` in 4.22), or null. */
export function wasmBackendMemory(module: unknown): WebAssembly.Memory | null {
  const m = module as EmscriptenModuleLike | null | undefined;
  const mem = m?.asm?.memory ?? m?.wasmMemory;
  return mem instanceof WebAssembly.Memory ? mem : null;
}

/**
 * The clipping kernels bound to `memory`, instantiated once per memory, or null when the module
 * cannot be compiled or instantiated here.
 */
export function clipWasmFor(memory: WebAssembly.Memory): ClipWasmExports | null {
  const cached = instances.get(memory);
  if (cached != null) return cached;
  const mod = compile(isSharedMemory(memory) ? 'shared' : 'plain');
  if (mod == null) return null;
  try {
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    const ex = inst.exports as unknown as ClipWasmExports;
    instances.set(memory, ex);
    return ex;
  } catch {
    return null;
  }
}
