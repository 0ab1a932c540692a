/**
 * Test helper (not shipped): what gradclip has installed in TF.js right now — hooks on the cpu
 * backend instance (own properties over MathBackendCPU's methods), the wrapped cpu factory, the
 * fused kernels — read directly from TF.js, independently of gradclip's own bookkeeping.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { cpuHookState } from '../../core/fast/cpu-buffer-pool.js';

const PATCHED = ['disposeData', 'readSync', 'read', 'makeTensorInfo', 'write'];
const KERNELS = ['GradclipSumOfSquares', 'GradclipSumsOfSquares', 'GradclipScale', 'GradclipClampValue', 'GradclipKerasClipStats'];

/** The engine's factory table, read directly (this helper checks gradclip's accessors, so it does not use them). */
function cpuFactory(): unknown {
  return (tf.engine() as unknown as { registryFactory: Record<string, { factory: unknown } | undefined> }).registryFactory.cpu?.factory;
}

/** The cpu factory as tfjs-backend-cpu registered it, captured when this module is first imported (before any use of the fast path in a test file that imports it first). */
export const ORIGINAL_CPU_FACTORY = cpuFactory();

/** The methods a cpu backend instance has as own properties (gradclip's hooks), e.g. `['read', 'write']`. */
export function ownCpuMethods(): string[] {
  const cpu = (tf.engine() as unknown as { registry: Record<string, object | undefined> }).registry.cpu;
  if (cpu == null) return [];
  return PATCHED.filter((m) => Object.prototype.hasOwnProperty.call(cpu, m));
}

/** The fused kernels registered for `backend`. */
export function fusedKernels(backend: string): string[] {
  return KERNELS.filter((k) => tf.getKernel(k, backend) != null);
}

/** Asserts that nothing of gradclip's is in TF.js: no cpu hooks, the original cpu factory, no fused kernel on cpu or wasm. */
export function assertNothingInstalled(label: string): void {
  assert.deepEqual(ownCpuMethods(), [], `${label}: no method of the cpu backend is patched`);
  assert.equal(cpuFactory(), ORIGINAL_CPU_FACTORY, `${label}: the cpu factory is tfjs-backend-cpu's`);
  assert.deepEqual(fusedKernels('cpu'), [], `${label}: no fused kernel on cpu`);
  assert.deepEqual(fusedKernels('wasm'), [], `${label}: no fused kernel on wasm`);
  assert.deepEqual(cpuHookState(), { backends: 0, factoryWrapped: false }, `${label}: gradclip knows of no hook`);
}

/** Asserts that the fast path is set up on `backend` (the active one): its fused kernels registered, and on cpu the hooks. */
export function assertInstalled(backend: 'cpu' | 'wasm'): void {
  assert.deepEqual(fusedKernels(backend), KERNELS, `${backend}: the fused kernels are registered`);
  if (backend === 'cpu') {
    assert.deepEqual(ownCpuMethods(), PATCHED, 'cpu: the backend is hooked');
    assert.notEqual(cpuFactory(), ORIGINAL_CPU_FACTORY, 'cpu: the factory is wrapped');
  }
}
