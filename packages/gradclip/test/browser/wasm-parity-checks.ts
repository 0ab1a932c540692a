/**
 * `wasm-parity/…` (wasm, plain and threaded): gradclip's wasm fast path runs in this page —
 * `clipGradNorm_` in place, the fused Keras clip and the fused optimizer update — and gives the same
 * bits as the page's `cpu` backend (tfjs's own arithmetic on both is float32 per op). On a
 * cross-origin-isolated page tfjs-wasm runs its threaded build with a shared memory; gradclip links
 * a shared-memory variant of its SIMD module there.
 */
import * as tf from '@tensorflow/tfjs';
import { clipGradNorm_, setFusedUpdateEnabled, withClipping } from 'gradclip';
import { equal, ok, type Checks } from './checks.js';

/** 5 steps of Adam with `globalClipnorm: 1` from fixed weights and gradients; the final weights' bits. */
async function trainBits(): Promise<{ weights: number[]; norm: number; inPlace: number[] }> {
  const v = tf.variable(tf.tensor1d([0.5, -1.25, 2, 3.5, -0.75, 1e-3, 7, -2]), true, 'wasm_parity_w');
  const opt = withClipping(tf.train.adam(0.01), { globalClipnorm: 1 });
  try {
    for (let step = 0; step < 5; step++) {
      opt.applyGradients({ [v.name]: tf.tensor1d([3, -4, 12 * (step + 1), 0.5, -0.25, 1e-6, 100, -3]) });
    }
    const g = tf.tensor1d([30, 40, 0, -120]);
    const norm = clipGradNorm_([g], 5);
    const out = { weights: Array.from(await v.data()), norm: (await norm.data())[0], inPlace: Array.from(await g.data()) };
    tf.dispose([g, norm]);
    return out;
  } finally {
    opt.dispose();
    v.dispose();
  }
}

export async function wasmParityChecks(checks: Checks, backend: string): Promise<void> {
  if (backend !== 'wasm') return;
  await checks.run('wasm-parity: clipGradNorm_ works in place and the fused update runs, bit-identical to the cpu backend', async () => {
    const before = setFusedUpdateEnabled(true);
    try {
      const onWasm = await trainBits();
      await tf.setBackend('cpu');
      const onCpu = await trainBits();
      await tf.setBackend('wasm');
      ok(tf.getKernel('GradclipKerasClipStats', 'wasm') != null, "gradclip's fused kernels are registered on wasm");
      equal(onWasm.norm, 130, 'clipGradNorm_ total norm');
      equal(JSON.stringify(onWasm.inPlace), JSON.stringify(onCpu.inPlace), 'clipGradNorm_ result, wasm vs cpu');
      equal(JSON.stringify(onWasm.weights), JSON.stringify(onCpu.weights), 'weights after 5 clipped Adam steps, wasm vs cpu');
    } finally {
      setFusedUpdateEnabled(before);
    }
  }, { scope: false });
}
