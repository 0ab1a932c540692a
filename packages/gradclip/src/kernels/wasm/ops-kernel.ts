/** Running ordinary tf ops inside a kernel function, with the inputs wrapped as tensors. */
import * as tf from '@tensorflow/tfjs';

/**
 * Calls `fn` on tensors that wrap the kernel's input `TensorInfo`s and returns its result as the
 * kernel's output.
 *
 * - Ops run inside a kernel are not taped (`engine.isTapeOn()` needs `kernelDepth === 0`), so
 *   this adds nothing to a gradient tape.
 * - Each wrapper shares its input's `dataId`; the backend ref count is raised for the wrapper and
 *   dropped again when `tf.tidy` disposes it, so the input itself is untouched.
 * - Intermediates are disposed by `tf.tidy`; the returned tensor is handed to the engine as the
 *   kernel's output (a kernelFunc may return a `Tensor`, `tfjs-core/src/engine.ts:658`).
 *
 * @param backend The backend running the kernel (its `incRef` is used for the wrappers).
 * @param inputs The kernel's input infos, in the order `fn` takes them.
 * @param fn Builds the output from the wrapped inputs with tf ops.
 * @returns The output tensor.
 */
export function runOpsInKernel(
  backend: tf.KernelBackend,
  inputs: readonly tf.TensorInfo[],
  fn: (...tensors: tf.Tensor[]) => tf.Tensor,
): tf.Tensor {
  const engine = tf.engine();
  return tf.tidy(() => {
    const wrapped = inputs.map((info) => {
      const t = engine.makeTensorFromTensorInfo(info, backend);
      backend.incRef(info.dataId);
      return t;
    });
    return fn(...wrapped);
  });
}
