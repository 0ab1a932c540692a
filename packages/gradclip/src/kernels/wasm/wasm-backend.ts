/** Finding the initialised `wasm` backend without side effects, with errors that say what to do. */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { GradclipError } from '../../errors.js';
import { backendRegistered, createdBackend } from '../../internals/tfjs-internals.js';

/** The wasm backend instance, as the kernels here see it (heap views, `makeOutput`, ref counts). */
export type WasmBackend = BackendWasm;

/** Message for a process where `@tensorflow/tfjs-backend-wasm` was never imported. */
export const WASM_NOT_REGISTERED_MSG =
  "The 'wasm' backend is not registered, so its training kernels cannot be fixed. Install " +
  "@tensorflow/tfjs-backend-wasm, add `import '@tensorflow/tfjs-backend-wasm';`, run " +
  "`await tf.setBackend('wasm')` and then call registerWasmTrainingFixes().";

/** Message for a registered but not yet initialised wasm backend. */
export const WASM_NOT_INITIALISED_MSG =
  "The 'wasm' backend is registered but not initialised yet (its initialisation is asynchronous). " +
  "Run `await tf.setBackend('wasm')` (or `await tf.ready()` when wasm is the default) first, then " +
  'call registerWasmTrainingFixes().';

/**
 * Returns the initialised `wasm` backend instance.
 *
 * Unlike `tf.findBackend('wasm')`, this never starts the backend's (asynchronous) initialisation
 * as a side effect: it only looks at the engine's registry (through internals/tfjs-internals.ts).
 *
 * @throws GradclipError when the backend is not registered or not initialised; the message says
 *   which calls to make.
 */
export function getWasmBackend(): WasmBackend {
  const backend = createdBackend('wasm') as WasmBackend | undefined;
  if (backend != null) return backend;
  if (!backendRegistered('wasm')) throw new GradclipError(WASM_NOT_REGISTERED_MSG);
  throw new GradclipError(WASM_NOT_INITIALISED_MSG);
}
