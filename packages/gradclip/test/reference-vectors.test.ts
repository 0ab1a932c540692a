/**
 * The anchors' public reference vectors (TF, Keras 3, PyTorch) on every backend. Each vector is
 * dispatched on its `fn`; a held-back half of the same file must pass through the same code.
 *
 * Deliberate deviations (decided, documented in the README): where an anchor silently accepts a
 * meaningless argument (negative threshold, min > max, Keras's "0 or negative disables clipping"),
 * gradclip throws a ValueError that names the argument. Those vectors assert that error instead.
 * Optax vectors belong to the adaptive-clipping transforms; Keras 2.x, loss scaling and gradient
 * accumulation are out of scope: they are reported as skipped with the reason.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { assertClose, assertTensorClose, loadVectors, num, toTensor, toTensors, type Vector } from './helpers/vectors.js';
import {
  ValueError,
  NonFiniteError,
  clipByNorm,
  clipByValue,
  globalNorm,
  clipByGlobalNorm,
  getTotalNorm,
  clipGradsWithNorm,
  clipGradNorm,
  clipGradValue,
  withClipping,
} from '../src/index.js';

const vectors = loadVectors();

/** A stand-in inner optimizer that records what the wrapper hands it. */
class RecordingOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'RecordingOptimizerForVectors';
  }
  received: (tf.Tensor | null)[] = [];
  applyGradients(g: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(g) ? g.map((x) => x.tensor) : Object.values(g);
    this.received = list.map((t) => (t == null ? null : tf.keep(t.clone())));
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

function kerasOptions(config: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if ('clipnorm' in config) o.clipnorm = config.clipnorm;
  if ('clipvalue' in config) o.clipvalue = config.clipvalue;
  if ('global_clipnorm' in config) o.globalClipnorm = config.global_clipnorm;
  return o;
}

/** Why a vector is not run here, or null to run it. */
function skipReason(v: Vector): string | null {
  if (v.fn.startsWith('optax.')) return 'optax transforms: adaptive-clipping issue';
  if (v.anchor !== 'keras3' && v.fn.startsWith('tf.keras')) return 'tf.keras 2.x semantics: not an anchor of the wrapper (Keras 3)';
  if (v.fn.includes('(2.3.1)')) return 'multi-backend Keras 2.3.1 semantics: not an anchor of the wrapper (Keras 3)';
  if (v.fn.includes('LossScaleOptimizer')) return 'Keras loss scaling: out of scope';
  if (v.args.config && ('loss_scale_factor' in v.args.config || 'gradient_accumulation_steps' in v.args.config)) {
    return 'Keras loss scaling / gradient accumulation: out of scope';
  }
  return null;
}

async function run(v: Vector): Promise<void> {
  const a = v.args;
  const e = v.expected;
  const tol = v.tolerance;
  const expectError = async (f: () => unknown, re: RegExp, type: new (...x: any[]) => Error = ValueError): Promise<void> => {
    assert.throws(() => f(), (err: Error) => err instanceof type && re.test(err.message), v.name);
  };
  switch (v.fn) {
    case 'tf.clip_by_value': {
      const t = toTensor(a.t)!;
      const lo = num(a.clip_value_min);
      const hi = num(a.clip_value_max);
      if (lo > hi) return expectError(() => clipByValue(t, lo, hi), /`clipValueMin` must be <= `clipValueMax`.*Received: clipValueMin=/);
      return assertTensorClose(clipByValue(t, lo, hi), e.output, tol, v.name);
    }
    case 'tf.clip_by_norm': {
      const t = toTensor(a.t)!;
      const c = num(a.clip_norm);
      if (c < 0) return expectError(() => clipByNorm(t, c, a.axes), /`clipNorm` must be a finite number >= 0\. Received: clipNorm=-/);
      return assertTensorClose(clipByNorm(t, c, a.axes), e.output, tol, v.name);
    }
    case 'tf.linalg.global_norm': {
      const n = globalNorm(toTensors(a.t_list));
      return assertClose(await n.data(), [num(e.norm)], tol, v.name);
    }
    case 'tf.clip_by_global_norm': {
      const c = num(a.clip_norm);
      const ts = toTensors(a.t_list);
      if (c < 0) return expectError(() => clipByGlobalNorm(ts, c), /`clipNorm` must be a finite number >= 0/);
      const [clipped, n] = clipByGlobalNorm(ts, c, a.use_norm == null ? null : num(a.use_norm));
      assertClose(await n.data(), [num(e.global_norm)], tol, `${v.name} norm`);
      for (let i = 0; i < e.list_clipped.length; i++) await assertTensorClose(clipped[i], e.list_clipped[i], tol, `${v.name}[${i}]`);
      return;
    }
    case 'keras.optimizers.Optimizer.__init__': {
      const o = kerasOptions(a.config);
      return expectError(() => withClipping(tf.train.sgd(0.1), o), /Only one of `clipnorm`, `clipvalue` and `globalClipnorm` can be set\. Received: clipnorm=.*clipvalue=.*globalClipnorm=/);
    }
    case 'keras.optimizers.Optimizer._clip_gradients':
    case 'keras.optimizers.Optimizer.apply': {
      const o = kerasOptions(a.config);
      const bad = Object.entries(o).find(([, x]) => typeof x === 'number' && !(x > 0));
      if (bad) {
        return expectError(() => withClipping(new RecordingOptimizer(), o), new RegExp(`\`${bad[0]}\` must be a finite number > 0\\. Received: ${bad[0]}=`));
      }
      const inner = new RecordingOptimizer();
      const opt = withClipping(inner, o);
      const grads = toTensors(a.grads);
      const named = a.variables.map((x: { name: string }, i: number) => ({ name: x.name, tensor: grads[i] }));
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (m: string) => warnings.push(String(m));
      try {
        opt.applyGradients(named);
      } finally {
        console.warn = warn;
      }
      if (e.warning_contains) assert.ok(warnings.some((w) => w.includes(e.warning_contains)), `${v.name}: warning ${JSON.stringify(warnings)}`);
      const got = inner.received.filter((t) => t != null);
      assert.equal(got.length, e.clipped_grads.length, v.name);
      for (let i = 0; i < got.length; i++) await assertTensorClose(got[i], e.clipped_grads[i], tol, `${v.name}[${i}]`);
      tf.dispose(inner.received as tf.Tensor[]);
      opt.dispose();
      return;
    }
    case 'torch.nn.utils.clip_grad_norm_': {
      const grads = a.single_tensor ? toTensor(a.grads[0])! : toTensors(a.grads);
      const maxNorm = num(a.max_norm);
      const normType = num(a.norm_type);
      if (maxNorm < 0) return expectError(() => clipGradNorm(grads, maxNorm, { normType }), /`maxNorm` must be a finite number >= 0/);
      if (e.error) {
        assert.throws(() => clipGradNorm(grads, maxNorm, { normType, errorIfNonfinite: a.error_if_nonfinite }), (err: Error) => err instanceof NonFiniteError && err.message.includes(e.error.message_contains));
        // Nothing was modified (tensors are immutable; the inputs still hold the original values).
        const list = Array.isArray(grads) ? grads : [grads];
        for (let i = 0; i < e.grads.length; i++) await assertTensorClose(list[i], e.grads[i], tol, `${v.name}[${i}] untouched`);
        return;
      }
      const r = clipGradNorm(grads, maxNorm, { normType, errorIfNonfinite: a.error_if_nonfinite });
      assertClose(await r.totalNorm.data(), [num(e.total_norm)], tol, `${v.name} totalNorm`);
      const out = a.single_tensor ? [r.grads as tf.Tensor] : (r.grads as (tf.Tensor | null)[]);
      for (let i = 0; i < e.grads.length; i++) await assertTensorClose(out[i], e.grads[i], tol, `${v.name}[${i}]`);
      return;
    }
    case 'torch.nn.utils.clip_grad_value_': {
      const grads = toTensors(a.grads);
      const c = num(a.clip_value);
      if (c < 0) return expectError(() => clipGradValue(grads, c), /`clipValue` must be a finite number >= 0\. Received: clipValue=-/);
      const out = clipGradValue(grads, c);
      for (let i = 0; i < e.grads.length; i++) await assertTensorClose(out[i], e.grads[i], tol, `${v.name}[${i}]`);
      return;
    }
    case 'torch.nn.utils.get_total_norm': {
      const n = getTotalNorm(toTensors(a.tensors), num(a.norm_type), a.error_if_nonfinite);
      return assertClose(await n.data(), [num(e.total_norm)], tol, v.name);
    }
    case 'torch.nn.utils.clip_grads_with_norm_': {
      const maxNorm = num(a.max_norm);
      if (maxNorm < 0) return expectError(() => clipGradsWithNorm(toTensors(a.grads), maxNorm, num(a.total_norm)), /`maxNorm` must be/);
      const out = clipGradsWithNorm(toTensors(a.grads), maxNorm, num(a.total_norm));
      for (let i = 0; i < e.grads.length; i++) await assertTensorClose(out[i], e.grads[i], tol, `${v.name}[${i}]`);
      return;
    }
    default:
      throw new Error(`${v.name}: no runner for fn '${v.fn}' — add one`);
  }
}

describeBackends('reference vectors', () => {
  for (const v of vectors) {
    const reason = skipReason(v);
    it(v.name, { skip: reason ?? false }, async () => {
      tf.engine().startScope();
      try {
        await run(v);
      } finally {
        tf.engine().endScope();
      }
    });
  }
});
