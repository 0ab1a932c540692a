/** Running a cpu-backend kernel on wasm tensors: copy in, run, copy back. */
import * as tf from '@tensorflow/tfjs';
import { GradclipError } from '../../errors.js';
import { silenceCpuBanner } from '../../internals/tfjs-internals.js';
import type { WasmBackend } from './wasm-backend.js';

let privateCpu: tf.KernelBackend | undefined;

/**
 * A cpu backend instance of our own, outside the engine's registry: data written to it is never
 * counted by `tf.memory()`, and it cannot be disposed or swapped by `tf.setBackend`. Internal
 * (exported for the leak tests): between kernel calls it holds no data.
 */
export function cpuForwardBackend(): tf.KernelBackend {
  if (privateCpu == null) {
    const factory = tf.findBackendFactory('cpu');
    if (factory == null) throw new GradclipError("cpu forwarding needs tfjs's 'cpu' backend, which is not registered.");
    const made = factory();
    if (made instanceof Promise) throw new GradclipError("cpu forwarding needs a synchronous 'cpu' backend factory.");
    // Skip the one-off "looks like you are running TensorFlow.js in Node.js" banner on first write.
    silenceCpuBanner(made);
    privateCpu = made;
  }
  return privateCpu;
}

/**
 * Makes a wasm kernelFunc that runs the cpu backend's kernel `kernelName`:
 *
 * 1. each input is copied from the wasm heap into a private cpu backend instance;
 * 2. `getKernel(kernelName, 'cpu').kernelFunc` runs there with the same attrs;
 * 3. each output is copied into a new wasm tensor;
 * 4. everything written to the cpu instance is freed (also when the kernel throws).
 *
 * Nothing is left behind on either backend; the result equals the cpu kernel's bit for bit. Used
 * for kernels that are missing or wrong on wasm and too rare to deserve a native-speed version
 * (depthwise-convolution and Conv3D gradients).
 *
 * @param kernelName A kernel registered for the cpu backend.
 * @returns A kernelFunc for `tf.registerKernel({kernelName, backendName: 'wasm', kernelFunc})`.
 */
export function cpuForwardKernel(kernelName: string): tf.KernelFunc {
  return (args) => {
    const wasm = args.backend as WasmBackend;
    const kernel = tf.getKernel(kernelName, 'cpu');
    if (kernel == null) throw new GradclipError(`cpu forwarding: kernel '${kernelName}' is not registered for 'cpu'.`);
    const cpu = cpuForwardBackend();
    const written: tf.DataId[] = [];
    try {
      const cpuInputs: tf.NamedTensorInfoMap = {};
      for (const [name, info] of Object.entries(args.inputs)) {
        if (info == null) continue;
        const values = wasm.typedArrayFromHeap(info).slice();
        const dataId = cpu.write(values, info.shape, info.dtype);
        written.push(dataId);
        cpuInputs[name] = { dataId, shape: info.shape, dtype: info.dtype };
      }
      const out = kernel.kernelFunc({ inputs: cpuInputs, attrs: args.attrs, backend: cpu });
      const outs = Array.isArray(out) ? out : [out];
      for (const o of outs) written.push(o.dataId);
      const results = outs.map((o) => {
        const values = cpu.readSync(o.dataId) as tf.backend_util.TypedArray;
        return wasm.makeOutput(o.shape, o.dtype, undefined, values);
      });
      return Array.isArray(out) ? results : results[0];
    } finally {
      for (const id of written) cpu.disposeData(id, true);
    }
  };
}
