/**
 * The reference vectors in the page: the same two groups the Node tests run, dispatched on each
 * vector's `fn` exactly as test/reference-vectors.test.ts (TF, Keras 3, PyTorch) and
 * src/transforms/optax-vectors.test.ts (optax, through the transforms) do, with the same skip
 * reasons and the same comparison (test/helpers/vector-compare.ts). Keep the three in step: an
 * `fn` with no runner here fails its check.
 *
 * Float16 textures (webgl-f16) cannot hold ±Infinity or |x| > 65504: the device stores such an
 * input entry as NaN. A vector with one has an explicit float16 expectation instead of the anchor's
 * output: the anchor's semantics for NaN in those places — the same call with those entries (and
 * a `use_norm`/`total_norm` scalar) replaced by NaN, run on the page's `cpu` backend, where
 * gradclip's NaN results are the anchors' (the Node suite checks the NaN vectors bit for bit).
 * Its check is named `… (float16: ±Inf and |x| > 65504 are NaN)`.
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
import { assertClose, assertTensorClose, num, toTensor, toTensors, type EncodedTensor, type Vector } from '../helpers/vector-compare.js';
import { type Checks, deepEqual, equal, ok, throws } from './checks.js';
import type { TfBackend } from './protocol.js';

type Tol = { rtol: number; atol: number };

/** Where the runners' results go: compared with the anchors (default), recorded, or compared with a record. */
interface Sink {
  tensor(got: tf.Tensor | null | undefined, exp: EncodedTensor | null, tol: Tol, label: string): Promise<void>;
  close(got: ArrayLike<number>, expected: number[], tol: Tol, label: string): void;
}
const ANCHORS: Sink = { tensor: assertTensorClose, close: assertClose };
let sink: Sink = ANCHORS;

/** Records every result (in order) instead of comparing it. */
function recording(into: (number[] | null)[]): Sink {
  return {
    tensor: async (got) => void into.push(got == null ? null : Array.from(await got.data())),
    close: (got) => void into.push(Array.from(got)),
  };
}

/** Compares every result with the recorded one at the same position. */
function replaying(from: (number[] | null)[]): Sink {
  let i = 0;
  const next = (label: string): number[] | null => {
    if (i >= from.length) throw new Error(`${label}: more results than the float16 expectation has (${from.length})`);
    return from[i++];
  };
  return {
    tensor: async (got, _exp, tol, label) => {
      const want = next(label);
      if (want == null || got == null) {
        if ((want == null) !== (got == null)) throw new Error(`${label}: got ${got == null ? 'a hole' : 'a tensor'}, the float16 expectation has ${want == null ? 'a hole' : 'a tensor'}`);
        return;
      }
      assertClose(await got.data(), want, tol, `${label} (float16 expectation)`);
    },
    close: (got, _exp, tol, label) => assertClose(got, next(label) ?? [], tol, `${label} (float16 expectation)`),
  };
}

async function withSink(s: Sink, f: () => Promise<void>): Promise<void> {
  sink = s;
  try {
    await f();
  } finally {
    sink = ANCHORS;
  }
}

/** An entry a float16 texture cannot hold (it is NaN on the device). */
function notFloat16(x: number): boolean {
  return !Number.isNaN(x) && !(Math.abs(x) <= 65504);
}

/** Scalar arguments that become tensors (so float16 stores them too). */
const TENSOR_SCALARS = ['use_norm', 'total_norm'];

/** The vector with every entry float16 cannot hold replaced by NaN, or null when it has none. */
function asFloat16(v: Vector): Vector | null {
  let changed = false;
  const nan = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(nan);
    const n = typeof x === 'number' || typeof x === 'string' ? safeNum(x) : null;
    if (n != null && notFloat16(n)) {
      changed = true;
      return 'NaN';
    }
    return x;
  };
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x != null && typeof x === 'object') {
      if ('data' in x && 'shape' in x) return { ...(x as EncodedTensor), data: nan((x as EncodedTensor).data) };
      return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, TENSOR_SCALARS.includes(k) ? nan(y) : walk(y)]));
    }
    return x;
  };
  const args = walk(v.args) as Vector['args'];
  return changed ? { ...v, args } : null;
}

function safeNum(x: unknown): number | null {
  try {
    return num(x);
  } catch {
    return null;
  }
}

/** Runs `f` on the `cpu` backend, then switches back to `back`. */
async function onCpu(back: TfBackend, f: () => Promise<void>): Promise<void> {
  await tf.setBackend('cpu');
  try {
    await f();
  } finally {
    await tf.setBackend(back);
  }
}

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
      return sink.tensor(clipByValue(t, lo, hi), e.output, tol, v.name);
    }
    case 'tf.clip_by_norm': {
      const t = toTensor(a.t)!;
      const c = num(a.clip_norm);
      if (c < 0) return expectError(() => clipByNorm(t, c, a.axes), /`clipNorm` must be a finite number >= 0\. Received: clipNorm=-/);
      return sink.tensor(clipByNorm(t, c, a.axes), e.output, tol, v.name);
    }
    case 'tf.linalg.global_norm': {
      const n = globalNorm(toTensors(a.t_list));
      return sink.close(await n.data(), [num(e.norm)], tol, v.name);
    }
    case 'tf.clip_by_global_norm': {
      const c = num(a.clip_norm);
      const ts = toTensors(a.t_list);
      if (c < 0) return expectError(() => clipByGlobalNorm(ts, c), /`clipNorm` must be a finite number >= 0/);
      const [clipped, n] = clipByGlobalNorm(ts, c, a.use_norm == null ? null : num(a.use_norm));
      sink.close(await n.data(), [num(e.global_norm)], tol, `${v.name} norm`);
      for (let i = 0; i < e.list_clipped.length; i++) await sink.tensor(clipped[i], e.list_clipped[i], tol, `${v.name}[${i}]`);
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
      for (let i = 0; i < got.length; i++) await sink.tensor(got[i], e.clipped_grads[i], tol, `${v.name}[${i}]`);
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
        for (let i = 0; i < e.grads.length; i++) await sink.tensor(list[i], e.grads[i], tol, `${v.name}[${i}] untouched`);
        return;
      }
      const r = clipGradNorm(grads, maxNorm, { normType, errorIfNonfinite: a.error_if_nonfinite });
      sink.close(await r.totalNorm.data(), [num(e.total_norm)], tol, `${v.name} totalNorm`);
      const out = a.single_tensor ? [r.grads as tf.Tensor] : (r.grads as (tf.Tensor | null)[]);
      for (let i = 0; i < e.grads.length; i++) await sink.tensor(out[i], e.grads[i], tol, `${v.name}[${i}]`);
      return;
    }
    case 'torch.nn.utils.clip_grad_value_': {
      const grads = toTensors(a.grads);
      const c = num(a.clip_value);
      if (c < 0) return expectError(() => clipGradValue(grads, c), /`clipValue` must be a finite number >= 0\. Received: clipValue=-/);
      const out = clipGradValue(grads, c);
      for (let i = 0; i < e.grads.length; i++) await sink.tensor(out[i], e.grads[i], tol, `${v.name}[${i}]`);
      return;
    }
    case 'torch.nn.utils.get_total_norm': {
      const n = getTotalNorm(toTensors(a.tensors), num(a.norm_type), a.error_if_nonfinite);
      return sink.close(await n.data(), [num(e.total_norm)], tol, v.name);
    }
    case 'torch.nn.utils.clip_grads_with_norm_': {
      const maxNorm = num(a.max_norm);
      if (maxNorm < 0) return expectError(() => clipGradsWithNorm(toTensors(a.grads), maxNorm, num(a.total_norm)), /`maxNorm` must be/);
      const out = clipGradsWithNorm(toTensors(a.grads), maxNorm, num(a.total_norm));
      for (let i = 0; i < e.grads.length; i++) await sink.tensor(out[i], e.grads[i], tol, `${v.name}[${i}]`);
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
      for (let i = 0; i < e.clipped_sum.length; i++) await sink.tensor(sum[i], e.clipped_sum[i], tol, `${v.name} clipped_sum[${i}]`);
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
        await sink.tensor(r.grads[0], x.update_out, tol, `${label} update_out`);
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
      for (let i = 0; i < e.updates.length; i++) await sink.tensor(r.grads[i], e.updates[i], tol, `${v.name} updates[${i}]`);
      if ('found_nan' in e) deepEqual(r.state.foundNan, e.found_nan, `${v.name} found_nan`);
      if ('global_norm_internal' in e) sink.close(await globalNorm(updates).data(), [num(e.global_norm_internal)], tol, `${v.name} global norm`);
      const axis = axisArg(a.axis);
      for (const [key, src] of [['unitwise_grad_norm', updates], ['unitwise_param_norm', params]] as const) {
        if (!(key in e)) continue;
        for (let i = 0; i < e[key].length; i++) await sink.tensor(src![i] == null ? null : T.unitwiseNorm(src![i]!, axis), e[key][i], tol, `${v.name} ${key}[${i}]`);
      }
    }
  }
}

/**
 * Registers one check per reference vector: `vectors/<name>` (TF, Keras, PyTorch) and
 * `optax/<name>`. `float16`: the backend when it stores float16 (see the file comment), else null.
 */
export async function vectorChecks(checks: Checks, vectors: Vector[], widen: (tol: Tol) => Tol, float16: TfBackend | null = null): Promise<void> {
  await checks.run('vectors: the reference set has TF, Keras 3, PyTorch and optax vectors', () => {
    for (const prefix of ['tf.', 'keras.', 'torch.', 'optax.']) ok(vectors.some((v) => v.fn.startsWith(prefix)), `no '${prefix}*' vector in the reference set`);
  });
  const check = async (name: string, v: Vector, run: (v: Vector, tol: Tol) => Promise<void>): Promise<void> => {
    const back = float16;
    const f16 = back == null ? null : asFloat16(v);
    if (back == null || f16 == null) return checks.run(name, () => run(v, widen(v.tolerance)));
    await checks.run(`${name} (float16: ±Inf and |x| > 65504 are NaN)`, async () => {
      const expected: (number[] | null)[] = [];
      await onCpu(back, () => withSink(recording(expected), () => run(f16, v.tolerance)));
      await withSink(replaying(expected), () => run(v, widen(v.tolerance)));
    });
  };
  for (const v of vectors) {
    if (v.fn.startsWith('optax.')) {
      await check(`optax/${v.name}`, v, runOptax);
      continue;
    }
    const reason = skipReason(v);
    if (reason != null) {
      checks.skip(`vectors/${v.name}`, reason);
      continue;
    }
    await check(`vectors/${v.name}`, v, runReference);
  }
}
