/**
 * tfjs backends inside the worker: webgl (through OffscreenCanvas, which tfjs uses by itself where
 * there is no document), wasm (SIMD, and threaded when the page is cross-origin isolated), cpu, and
 * webgpu where the browser has it (loaded only then).
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingFixes } from 'gradclip';
import type { BackendId } from './config.js';

/** Backends this browser can run, in the order the page offers them. */
export function availableBackends(): BackendId[] {
  const out: BackendId[] = ['wasm'];
  if (typeof OffscreenCanvas !== 'undefined') out.push('webgl');
  out.push('cpu');
  if (typeof navigator !== 'undefined' && 'gpu' in navigator) out.push('webgpu');
  return out;
}

let wasmPathsSet = false;

/**
 * Switches tfjs to `name`; `assetsBase` is the page's base URL (the .wasm files are in `tfjs-wasm/`
 * under it). Falls back to cpu with a reason when the backend cannot start.
 * @returns the backend in use and, for wasm, its thread count.
 */
export async function useBackend(name: BackendId, assetsBase: string): Promise<{ backend: string; threads: number; note: string | null }> {
  let note: string | null = null;
  if (name === 'wasm' && !wasmPathsSet) {
    setWasmPaths(new URL('tfjs-wasm/', assetsBase).href);
    wasmPathsSet = true;
  }
  if (name === 'webgpu' && tf.findBackendFactory('webgpu') == null) {
    try {
      await import('@tensorflow/tfjs-backend-webgpu');
    } catch (e) {
      note = `webgpu could not load (${String(e)})`;
    }
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    note = `${name} could not start (${e instanceof Error ? e.message : String(e)})`;
  }
  if (!ok) {
    note ??= `${name} is not available in this browser`;
    await tf.setBackend('cpu');
  }
  await tf.ready();
  const backend = tf.getBackend();
  if (backend === 'wasm') registerWasmTrainingFixes();
  const threads = backend === 'wasm' ? getThreadsCount() : 1;
  return { backend, threads, note: note == null ? null : `${note}; using cpu` };
}
