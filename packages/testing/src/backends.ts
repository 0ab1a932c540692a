/**
 * Test harness: run a suite once per backend gradclip supports (`cpu`, `wasm`), in the style of
 * tfjs's `describeWithFlags(name, ALL_ENVS, ...)`.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, before } from 'node:test';

export const BACKENDS = ['cpu', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

// Silence tfjs's one-off Node banner (IS_TEST would also enable tfjs's kernel leak self-check, which misfires on wasm's fusedMatMul).
tf.env().set('PROD', true);

/** Switches the global backend, waiting for the async wasm initialisation. */
export async function useBackend(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`could not initialise backend '${name}'`);
  await tf.ready();
}

/** `describe(name)` once for each backend, with the backend set before the suite runs. */
export function describeBackends(name: string, fn: (backend: BackendName) => void): void {
  for (const backend of BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      before(async () => {
        await useBackend(backend);
      });
      fn(backend);
    });
  }
}

/**
 * Asserts that `f` leaves `tf.memory().numTensors` unchanged (the tfjs optimizer tests' leak check).
 * The function may dispose what it returns itself; anything it leaves allocated counts as a leak.
 */
export async function expectNoLeak(f: () => unknown | Promise<unknown>, label = 'call'): Promise<void> {
  const before = tf.memory().numTensors;
  await f();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(`tensor leak in ${label}: numTensors ${before} -> ${after}`);
  }
}
