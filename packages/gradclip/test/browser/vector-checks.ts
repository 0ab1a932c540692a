/**
 * The reference vectors in the page: the same two groups the Node tests run, dispatched on each
 * vector's `fn` exactly as test/reference-vectors.test.ts (TF, Keras 3, PyTorch) and
 * src/transforms/optax-vectors.test.ts (optax, through the transforms) do, with the same skip
 * reasons and the same comparison (test/helpers/vector-compare.ts). Keep the three in step: an
 * `fn` with no runner here fails its check.
 */
import * as tf from '@tensorflow/tfjs';
import {
  NonFiniteError,
  ValueError,
  clipByGlobalNorm,
  clipByNorm,
  clipByValue,
  clipGradNorm,
  clipGradValue,
  clipGradsWithNorm,
  getTotalNorm,
  globalNorm,
  transforms as T,
  withClipping,
} from 'gradclip';
import { assertClose, assertTensorClose, num, toTensor, toTensors, type Vector } from '../helpers/vector-compare.js';
import { type Checks, deepEqual, equal, ok, throws } from './checks.js';

type Tol = { rtol: number; atol: number };

/** A stand-in inner optimizer that records what the wrapper hands it. */
class RecordingOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'RecordingOptimizerForBrowserVectors';
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

/** Why a (non-optax) vector is not run, or null to run it: test/reference-vectors.test.ts's reasons. */
function skipReason(v: Vector): string | null {
  if (v.anchor !== 'keras3' && v.fn.startsWith('tf.keras')) return 'tf.keras 2.x semantics: not an anchor of the wrapper (Keras 3)';
  if (v.fn.includes('(2.3.1)')) return 'multi-backend Keras 2.3.1 semantics: not an anchor of the wrapper (Keras 3)';
  if (v.fn.includes('LossScaleOptimizer')) return 'Keras loss scaling: out of scope';
  if (v.args.config && ('loss_scale_factor' in v.args.config || 'gradient_accumulation_steps' in v.args.config)) {
    return 'Keras loss scaling / gradient accumulation: out of scope';
  }
  return null;
}

/** test/reference-vectors.test.ts's `run`, with `tol` (the vector's, or wider on float16). */
async function runReference(v: Vector, tol: Tol): Promise<void> {
  const a = v.args;
  const e = v.expected;
  const expectError = (f: () => unknown, re: RegExp, type: abstract new (...x: any[]) => Error = ValueError): void => throws(f, type, re, v.name);
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
      if (e.warning_contains) ok(warnings.some((w) => w.includes(e.warning_contains)), `${v.name}: warning ${JSON.stringify(warnings)}`);
      const got = inner.received.filter((t) => t != null);
      equal(got.length, e.clipped_grads.length, `${v.name}: number of clipped gradients`);
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
        const msg = String(e.error.message_contains).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        throws(() => clipGradNorm(grads, maxNorm, { normType, errorIfNonfinite: a.error_if_nonfinite }), NonFiniteError, new RegExp(msg), v.name);
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
      throw new Error(`${v.name}: no runner for fn '${v.fn}' in test/browser/vector-checks.ts — add one (as in test/reference-vectors.test.ts)`);
  }
}

/** optax snake_case argument → gradclip camelCase name, for the thresholds that must be >= 0. */
const THRESHOLD_ARGS: Record<string, string> = {
  max_delta: 'maxDelta',
  threshold: 'threshold',
  max_norm: 'maxNorm',
  clipping: 'clipping',
  eps: 'eps',
  l2_norm_clip: 'l2NormClip',
};

function axisArg(a: unknown): number | number[] | null {
  if (a == null) return null;
  return a as number | number[];
}

/** src/transforms/optax-vectors.test.ts's `buildTransform`. */
function buildTransform(fn: string, a: Record<string, any>): T.GradientTransformation<any> {
  switch (fn) {
    case 'identity':
    case 'optax.identity':
      return T.chain();
    case 'optax.clip':
      return T.clipByValue(num(a.max_delta));
    case 'optax.clip_by_block_rms':
      return T.clipByBlockRms(num(a.threshold));
    case 'optax.clip_by_global_norm':
      return T.clipByGlobalNorm(num(a.max_norm));
    case 'optax.adaptive_grad_clip':
      return T.adaptiveGradClip(num(a.clipping), { eps: a.eps == null ? undefined : num(a.eps), axis: axisArg(a.axis) });
    case 'optax.zero_nans':
      return T.zeroNans();
    case 'optax.apply_if_finite': {
      const inner = typeof a.inner === 'string' ? buildTransform(a.inner.startsWith('optax.') || a.inner === 'identity' ? a.inner : `optax.${a.inner}`, {}) : buildTransform(a.inner.fn, a.inner.args ?? {});
      return T.applyIfFinite(inner, { maxConsecutiveErrors: num(a.max_consecutive_errors) });
    }
    default:
      throw new Error(`no transform for fn '${fn}' in test/browser/vector-checks.ts — add one (as in src/transforms/optax-vectors.test.ts)`);
  }
}

/** src/transforms/optax-vectors.test.ts's `run`. */
async function runOptax(v: Vector, tol: Tol): Promise<void> {
  const a = v.args;
  const e = v.expected;
  const bad = Object.entries(THRESHOLD_ARGS).find(([k]) => a[k] != null && num(a[k]) < 0);
  if (bad) {
    const build = v.fn === 'optax.per_example_global_norm_clip' ? () => T.perExampleGlobalNormClip(toTensors(a.grads), num(a.l2_norm_clip)) : () => buildTransform(v.fn, a);
    throws(build, ValueError, new RegExp(`\`${bad[1]}\` must be a number >= 0.*Received: ${bad[1]}=-`), v.name);
    return;
  }
  switch (v.fn) {
    case 'optax.per_example_global_norm_clip': {
      const [sum, n] = T.perExampleGlobalNormClip(toTensors(a.grads), num(a.l2_norm_clip));
      for (let i = 0; i < e.clipped_sum.length; i++) await assertTensorClose(sum[i], e.clipped_sum[i], tol, `${v.name} clipped_sum[${i}]`);
      equal((await n.data())[0], num(e.num_clipped), `${v.name} num_clipped`);
      return;
    }
    case 'optax.apply_if_finite': {
      const t = buildTransform(v.fn, a);
      const first = toTensor(a.steps[0]);
      let state = t.init(first == null ? [] : [first]);
      for (let s = 0; s < a.steps.length; s++) {
        const g = toTensor(a.steps[s]);
        const r = t.update([g], state);
        const x = e.steps[s];
        const label = `${v.name} step ${s}`;
        equal(!r.skip, x.applied, `${label} applied`);
        await assertTensorClose(r.grads[0], x.update_out, tol, `${label} update_out`);
        equal(r.state.notfiniteCount, num(x.notfinite_count), `${label} notfinite_count`);
        equal(r.state.lastFinite, x.last_finite, `${label} last_finite`);
        equal(r.state.totalNotfinite, num(x.total_notfinite), `${label} total_notfinite`);
        state = r.state;
      }
      return;
    }
    default: {
      const t = buildTransform(v.fn, a);
      const updates = toTensors(a.updates);
      const params = a.params == null ? null : toTensors(a.params);
      const r = t.update(updates, t.init(params), params);
      equal(r.skip, false, `${v.name} skip`);
      for (let i = 0; i < e.updates.length; i++) await assertTensorClose(r.grads[i], e.updates[i], tol, `${v.name} updates[${i}]`);
      if ('found_nan' in e) deepEqual(r.state.foundNan, e.found_nan, `${v.name} found_nan`);
      if ('global_norm_internal' in e) assertClose(await globalNorm(updates).data(), [num(e.global_norm_internal)], tol, `${v.name} global norm`);
      const axis = axisArg(a.axis);
      for (const [key, src] of [['unitwise_grad_norm', updates], ['unitwise_param_norm', params]] as const) {
        if (!(key in e)) continue;
        for (let i = 0; i < e[key].length; i++) await assertTensorClose(src![i] == null ? null : T.unitwiseNorm(src![i]!, axis), e[key][i], tol, `${v.name} ${key}[${i}]`);
      }
    }
  }
}

/** Registers one check per reference vector: `vectors/<name>` (TF, Keras, PyTorch) and `optax/<name>`. */
export async function vectorChecks(checks: Checks, vectors: Vector[], widen: (tol: Tol) => Tol): Promise<void> {
  await checks.run('vectors: the reference set has TF, Keras 3, PyTorch and optax vectors', () => {
    for (const prefix of ['tf.', 'keras.', 'torch.', 'optax.']) ok(vectors.some((v) => v.fn.startsWith(prefix)), `no '${prefix}*' vector in the reference set`);
  });
  for (const v of vectors) {
    if (v.fn.startsWith('optax.')) {
      await checks.run(`optax/${v.name}`, () => runOptax(v, widen(v.tolerance)));
      continue;
    }
    const reason = skipReason(v);
    if (reason != null) {
      checks.skip(`vectors/${v.name}`, reason);
      continue;
    }
    await checks.run(`vectors/${v.name}`, () => runReference(v, widen(v.tolerance)));
  }
}
