/** Installing (and removing) the wasm kernels that make training on tfjs's `wasm` backend work. */
import * as tf from '@tensorflow/tfjs';
import { check, formatValue } from '../../errors.js';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter.js';
import { cpuForwardKernel } from './cpu-forward.js';
import { maxPoolGradWasm } from './max-pool-grad.js';
import { unsortedSegmentSumWasm } from './unsorted-segment-sum.js';
import { getWasmBackend } from './wasm-backend.js';

/**
 * The kernels `registerWasmTrainingFixes` supplies or replaces on the wasm backend
 * (tfjs-backend-wasm 4.22):
 *
 * | kernel | problem on wasm | fix |
 * |---|---|---|
 * | `Conv2DBackpropFilter` | missing (Conv2D, Conv1D, SeparableConv2D, Conv2DTranspose) | one dilated forward conv2d |
 * | `MaxPoolGrad` | wrong when a window's max is <= 0 | JS loop over heap views |
 * | `UnsortedSegmentSum` | missing (Embedding, gather gradients) | JS loop over heap views |
 * | `DepthwiseConv2dNativeBackpropFilter`, `DepthwiseConv2dNativeBackpropInput` | missing | cpu kernel |
 * | `Conv3DBackpropFilterV2` | wrong at stride > 1 | cpu kernel |
 * | `Conv3DBackpropInputV2` | wrong at every stride | cpu kernel |
 */
export const WASM_TRAINING_FIX_KERNELS = [
  'Conv2DBackpropFilter',
  'MaxPoolGrad',
  'UnsortedSegmentSum',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Conv3DBackpropFilterV2',
  'Conv3DBackpropInputV2',
] as const;

/** Name of one kernel in {@link WASM_TRAINING_FIX_KERNELS}. */
export type WasmTrainingFixKernel = (typeof WASM_TRAINING_FIX_KERNELS)[number];

/** Options of {@link registerWasmTrainingFixes}. */
export interface WasmTrainingFixesOptions {
  /** Which fixes to install. Default: all of {@link WASM_TRAINING_FIX_KERNELS}. */
  kernels?: readonly WasmTrainingFixKernel[];
}

const KERNEL_FUNCS: Record<WasmTrainingFixKernel, tf.KernelFunc> = {
  Conv2DBackpropFilter: conv2dBackpropFilterWasm,
  MaxPoolGrad: maxPoolGradWasm,
  UnsortedSegmentSum: unsortedSegmentSumWasm,
  DepthwiseConv2dNativeBackpropFilter: cpuForwardKernel('DepthwiseConv2dNativeBackpropFilter'),
  DepthwiseConv2dNativeBackpropInput: cpuForwardKernel('DepthwiseConv2dNativeBackpropInput'),
  Conv3DBackpropFilterV2: cpuForwardKernel('Conv3DBackpropFilterV2'),
  Conv3DBackpropInputV2: cpuForwardKernel('Conv3DBackpropInputV2'),
};

interface Installed {
  /** The config we registered (compared by identity to see whether it is still in place). */
  ours: tf.KernelConfig;
  /** The wasm kernel we replaced, if there was one. */
  original: tf.KernelConfig | undefined;
}

/** Fixes currently installed by this module, in installation order. */
const installed = new Map<WasmTrainingFixKernel, Installed>();

function stillOurs(name: WasmTrainingFixKernel, entry: Installed): boolean {
  return tf.getKernel(name, 'wasm') === entry.ours;
}

/**
 * Registers wasm kernels that make training on the tfjs `wasm` backend (4.22) work and match the
 * cpu backend: the missing `Conv2DBackpropFilter`, depthwise-convolution gradients and
 * `UnsortedSegmentSum`, and replacements for the silently wrong `MaxPoolGrad` and Conv3D
 * gradients (see {@link WASM_TRAINING_FIX_KERNELS}).
 *
 * - Call it after `await tf.setBackend('wasm')`; the kernels apply to every later op on wasm.
 * - Idempotent: a second call changes nothing that is already in place.
 * - {@link unregisterWasmTrainingFixes} puts the original wasm kernels back.
 * - With the fixes, whole-model gradients match cpu to about 1e-7 relative.
 *
 * @param options `kernels`: which fixes to install (default: all).
 * @returns The names of all fixes now in place (installed by this call or an earlier one).
 * @throws GradclipError when the wasm backend is not registered or not initialised yet (the
 *   message says what to call); ValueError for an unknown kernel name in `options.kernels`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { registerWasmTrainingFixes } from 'gradclip';
 *
 * await tf.setBackend('wasm');
 * registerWasmTrainingFixes();
 * //=> ['Conv2DBackpropFilter', 'MaxPoolGrad', 'UnsortedSegmentSum', ...]
 * await model.fit(xs, ys); // Conv2D, Embedding, DepthwiseConv2D ... now train on wasm
 * ```
 */
export function registerWasmTrainingFixes(options: WasmTrainingFixesOptions = {}): WasmTrainingFixKernel[] {
  const kernels = options.kernels ?? WASM_TRAINING_FIX_KERNELS;
  check(Array.isArray(kernels), 'kernels', 'an array of kernel names', kernels);
  for (const name of kernels) {
    check(
      (WASM_TRAINING_FIX_KERNELS as readonly string[]).includes(name),
      'kernels',
      `a list of names from ${formatValue([...WASM_TRAINING_FIX_KERNELS])}`,
      kernels,
    );
  }
  getWasmBackend(); // throws with instructions when wasm is not ready
  for (const name of kernels) {
    const entry = installed.get(name);
    if (entry != null && stillOurs(name, entry)) continue;
    const current = tf.getKernel(name, 'wasm');
    if (current != null) tf.unregisterKernel(name, 'wasm');
    const ours: tf.KernelConfig = { kernelName: name, backendName: 'wasm', kernelFunc: KERNEL_FUNCS[name] };
    tf.registerKernel(ours);
    // If our kernel had been replaced by someone else, theirs is what we restore later.
    installed.set(name, { ours, original: current });
  }
  return [...installed.keys()];
}

/**
 * Removes the kernels {@link registerWasmTrainingFixes} installed and re-registers the wasm
 * kernels they replaced (`MaxPoolGrad`, `Conv3DBackpropFilterV2`, `Conv3DBackpropInputV2`), so
 * the backend is as tfjs-backend-wasm shipped it. A kernel that someone else has registered over
 * ours since is left alone. Harmless when nothing is installed.
 *
 * @returns The names of the fixes removed.
 *
 * @example
 * ```ts
 * registerWasmTrainingFixes();
 * unregisterWasmTrainingFixes(); //=> ['Conv2DBackpropFilter', 'MaxPoolGrad', ...]
 * wasmTrainingFixesRegistered(); //=> false
 * ```
 */
export function unregisterWasmTrainingFixes(): WasmTrainingFixKernel[] {
  const removed: WasmTrainingFixKernel[] = [];
  for (const [name, entry] of installed) {
    if (stillOurs(name, entry)) {
      tf.unregisterKernel(name, 'wasm');
      if (entry.original != null) tf.registerKernel(entry.original);
      removed.push(name);
    }
  }
  installed.clear();
  return removed;
}

/**
 * Whether the fixes of {@link registerWasmTrainingFixes} are in place: true when at least one was
 * installed and every installed one is still the registered wasm kernel.
 *
 * @returns `true` after `registerWasmTrainingFixes()`, `false` before it or after
 *   `unregisterWasmTrainingFixes()`.
 *
 * @example
 * ```ts
 * wasmTrainingFixesRegistered(); //=> false
 * registerWasmTrainingFixes();
 * wasmTrainingFixesRegistered(); //=> true
 * ```
 */
export function wasmTrainingFixesRegistered(): boolean {
  if (installed.size === 0) return false;
  for (const [name, entry] of installed) if (!stillOurs(name, entry)) return false;
  return true;
}
