/**
 * The SIMD clipping module (clip-kernels.wat) for the tfjs `wasm` backend, instantiated on the
 * backend's own `WebAssembly.Memory` so that it reads and writes tensors where they live (no
 * copies); see simd/embedded-module.ts for the loading (and the threaded build's shared memory).
 */
import { CLIP_KERNELS_SHARED_WASM_BASE64, CLIP_KERNELS_WASM_BASE64 } from './clip-kernels-wasm.js';
import { EmbeddedSimdModule } from '../../simd/embedded-module.js';

export { isSharedMemory } from '../../simd/embedded-module.js';

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
}

const CLIP_MODULE = new EmbeddedSimdModule<ClipWasmExports>(CLIP_KERNELS_WASM_BASE64, CLIP_KERNELS_SHARED_WASM_BASE64);

/**
 * The clipping kernels bound to `memory`, instantiated once per memory, or null when the module
 * cannot be compiled or instantiated here.
 */
export function clipWasmFor(memory: WebAssembly.Memory): ClipWasmExports | null {
  return CLIP_MODULE.for(memory);
}
