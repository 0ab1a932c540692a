/**
 * The SIMD optimizer-update module (update-kernels.wat) for the tfjs `wasm` backend, instantiated
 * on the backend's own `WebAssembly.Memory` so that the fused update (../fused-update.ts) updates
 * variables in place on the heap; see simd/embedded-module.ts for the loading.
 */
import { UPDATE_KERNELS_SHARED_WASM_BASE64, UPDATE_KERNELS_WASM_BASE64 } from './update-kernels-wasm.js';
import { EmbeddedSimdModule } from '../../simd/embedded-module.js';

/**
 * The functions exported by update-kernels.wat, each in place. Pointers are byte offsets, counts
 * are elements. The last three arguments of each, `gs, lo, hi`, fold a clip into the update: the
 * optimizer reads `g' = pmin(pmax(g * gs, lo), hi)` (identity: `1, -Infinity, Infinity`).
 */
export interface UpdateWasmExports {
  /** tfjs SGD: `w = c * g + w` (`c = -learningRate`). */
  sgd(w: number, g: number, n: number, c: number, gs: number, lo: number, hi: number): void;
  /** tfjs Momentum: `a = m * a + g`, then `w = c * a + w` (Nesterov: `w = c * (g + a * m) + w`). */
  momentum(w: number, g: number, a: number, n: number, m: number, c: number, nesterov: number, gs: number, lo: number, hi: number): void;
  /** tfjs RMSProp on `w`, mean squares `s`, moments `a` and (centered) mean grads `mg`. */
  rmsprop(
    w: number, g: number, s: number, a: number, mg: number, n: number,
    decay: number, omd: number, lr: number, mom: number, eps: number, centered: number, gs: number, lo: number, hi: number): void;
  /** tfjs Adagrad on `w` and accumulators `acc`. */
  adagrad(w: number, g: number, acc: number, n: number, eps: number, nlr: number, gs: number, lo: number, hi: number): void;
  /** tfjs Adadelta on `w`, accumulated gradients `ag` and updates `au`. */
  adadelta(w: number, g: number, ag: number, au: number, n: number, rho: number, omr: number, eps: number, nlr: number, gs: number, lo: number, hi: number): void;
  /** tfjs Adamax on `w`, moments `m` and weighted infinity norms `u` (`k = lr_t / (1 - beta1^t)`). */
  adamax(w: number, g: number, m: number, u: number, n: number, b1: number, omb1: number, b2: number, eps: number, k: number, gs: number, lo: number, hi: number): void;
  /** tfjs Adam on weights `w`, moments `m` and `v` (see update-kernels.wat). */
  adam(
    w: number, g: number, m: number, v: number, n: number,
    b1: number, omb1: number, b2: number, omb2: number, omab1: number, omab2: number, eps: number, nlr: number, gs: number, lo: number, hi: number): void;
}

const UPDATE_MODULE = new EmbeddedSimdModule<UpdateWasmExports>(UPDATE_KERNELS_WASM_BASE64, UPDATE_KERNELS_SHARED_WASM_BASE64);

/**
 * The update functions bound to `memory`, instantiated once per memory, or null when the module
 * cannot be compiled or instantiated here.
 */
export function updateWasmFor(memory: WebAssembly.Memory): UpdateWasmExports | null {
  return UPDATE_MODULE.for(memory);
}
