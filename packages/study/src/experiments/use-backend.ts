/** Selecting the tfjs backend of a run: wasm (with gradclip's training fixes) or cpu. */
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingFixes } from 'gradclip';
import type { BackendName } from './types.js';

/** The backend in use after {@link useBackend}, and why it differs from the request, if it does. */
export interface BackendChoice {
  backend: BackendName;
  notice: string | null;
}

/**
 * Makes `name` the global tfjs backend. For `'wasm'` it imports `@tensorflow/tfjs-backend-wasm`,
 * initialises it and calls `registerWasmTrainingFixes()` (conv nets need it); if any of that fails,
 * it falls back to `'cpu'` and says why in `notice`. Idempotent.
 *
 * @param name - `'wasm'` (default) or `'cpu'`.
 * @returns `{ backend, notice }`: the backend now in use, and a one-line notice when it is not `name`.
 * @throws Error when even the cpu backend cannot be set.
 * @example
 * ```ts
 * const { backend, notice } = await useBackend('wasm');
 * backend; //=> 'wasm'  (or 'cpu', with notice "wasm backend unavailable (…); using cpu")
 * ```
 */
export async function useBackend(name: BackendName = 'wasm'): Promise<BackendChoice> {
  // Silences tfjs's one-off "Hi, looks like you are running TensorFlow.js in Node.js" banner.
  if (!tf.env().getBool('PROD')) tf.env().set('PROD', true);
  if (name === 'wasm') {
    let reason: string;
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (tf.getBackend() === 'wasm' || (await tf.setBackend('wasm'))) {
        await tf.ready();
        registerWasmTrainingFixes();
        return { backend: 'wasm', notice: null };
      }
      reason = 'initialisation failed';
    } catch (e) {
      reason = (e as Error).message.split('\n')[0];
    }
    await setCpu();
    return { backend: 'cpu', notice: `wasm backend unavailable (${reason}); using cpu` };
  }
  await setCpu();
  return { backend: 'cpu', notice: null };
}

async function setCpu(): Promise<void> {
  if (tf.getBackend() !== 'cpu' && !(await tf.setBackend('cpu'))) throw new Error("could not initialise tfjs's cpu backend");
  await tf.ready();
}
