/** Kernels that gradclip supplies to tfjs backends. Re-exports only. */
export {
  registerWasmTrainingFixes,
  unregisterWasmTrainingFixes,
  wasmTrainingFixesRegistered,
  WASM_TRAINING_FIX_KERNELS,
  type WasmTrainingFixKernel,
  type WasmTrainingFixesOptions,
} from './wasm/register-wasm-training-fixes.js';
