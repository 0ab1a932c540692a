/**
 * The runners of the clipping reference vectors (test/fixtures/clipping-vectors.json: TF, Keras 3,
 * PyTorch and optax), with no Node built-ins: the Node tests (test/reference-vectors.test.ts,
 * src/transforms/optax-vectors.test.ts) and the browser suite (test/browser/vector-checks.ts) run
 * the same code. Each vector is dispatched on its `fn` alone (never its name), so a held-back half
 * of the same file with other values runs through the same code; an `fn` with no runner fails.
 * Loading from disk is in vectors.ts (Node); the page gets the vectors from the runner.
 *
 * Deliberate deviations (decided, documented in the README): where an anchor silently accepts a
 * meaningless argument (negative threshold, min > max, Keras's "0 or negative disables clipping"),
 * gradclip throws a ValueError that names the argument. Those vectors assert that error instead.
 * Keras 2.x, loss scaling and gradient accumulation are out of scope ({@link skipReason}).
 *
 * gradclip itself is not imported here (the Node tests use src, the page its bundled dist): the
 * callers pass its API ({@link ClippingApi}, {@link OptaxApi}).
 */
import * as tf from '@tensorflow/tfjs';
import { assertClose, assertTensorClose, num, toTensor, toTensors, type EncodedTensor, type Vector } from './vector-compare.js';

export type { EncodedTensor, Vector } from './vector-compare.js';

export type Tol = { rtol: number; atol: number };

type MaybeTensor = tf.Tensor | null | undefined;
type ErrorClass = abstract new (...a: any[]) => Error;

/** The part of a gradient transformation the runners use (src's or dist's `transforms.*(…)`). */
export interface TransformLike {
  init(params?: MaybeTensor[] | null): any;
  update(grads: MaybeTensor[], state: any, params?: MaybeTensor[] | null): { grads: MaybeTensor[]; state: any; skip?: boolean };
}

/** The `transforms` namespace, as far as the optax runner uses it. */
export interface TransformsApi {
  chain(): TransformLike;
  clipByValue(maxDelta: number): TransformLike;
  clipByBlockRms(threshold: number): TransformLike;
  clipByGlobalNorm(maxNorm: number): TransformLike;
  adaptiveGradClip(clipping: number, options: { eps?: number; axis?: number | number[] | null }): TransformLike;
  zeroNans(): TransformLike;
  applyIfFinite(inner: TransformLike, options: { maxConsecutiveErrors: number }): TransformLike;
  perExampleGlobalNormClip(grads: MaybeTensor[], l2NormClip: number): [MaybeTensor[], tf.Scalar];
  unitwiseNorm(x: tf.Tensor, axis?: number | number[] | null): tf.Tensor;
}

/** gradclip's public API, as far as the runners use it (src in the Node tests, the bundled dist in the page). */
export interface ClippingApi {
  ValueError: ErrorClass;
  NonFiniteError: ErrorClass;
  clipByValue(t: tf.Tensor, clipValueMin: number, clipValueMax: number): tf.Tensor;
  clipByNorm(t: tf.Tensor, clipNorm: number, axes?: number | number[] | null): tf.Tensor;
  globalNorm(tensors: MaybeTensor[]): tf.Scalar;
  clipByGlobalNorm(tensors: MaybeTensor[], clipNorm: number, useNorm?: number | null): [MaybeTensor[], tf.Scalar];
  getTotalNorm(grads: MaybeTensor[], normType?: number, errorIfNonfinite?: boolean): tf.Scalar;
  clipGradsWithNorm(grads: MaybeTensor[], maxNorm: number, totalNorm: number): MaybeTensor[];
  clipGradNorm(grads: tf.Tensor | MaybeTensor[], maxNorm: number, options?: { normType?: number; errorIfNonfinite?: boolean }): { grads: tf.Tensor | MaybeTensor[]; totalNorm: tf.Scalar };
  clipGradValue(grads: MaybeTensor[], clipValue: number): MaybeTensor[];
  withClipping(optimizer: tf.Optimizer, options: object): tf.Optimizer;
  transforms: TransformsApi;
}

/** What the optax runner needs of gradclip. */
export type OptaxApi = Pick<ClippingApi, 'ValueError' | 'globalNorm' | 'transforms'>;

/** Where the runners' results go: compared with the anchors ({@link ANCHORS}, the default), or elsewhere (the page's float16 records). */
export interface Sink {
  tensor(got: tf.Tensor | null | undefined, exp: EncodedTensor | null, tol: Tol, label: string): Promise<void>;
  close(got: ArrayLike<number>, expected: number[], tol: Tol, label: string): void;
}

/** Compares every result with the vector's expectation. */
export const ANCHORS: Sink = { tensor: assertTensorClose, close: assertClose };

/** How a runner runs a vector. */
export interface RunOptions {
  /** The tolerance of the comparisons (default: the vector's). */
  tol?: Tol;
  /** Where the results go (default: {@link ANCHORS}). */
  sink?: Sink;
}

// ---- assertions (no node:assert) ----------------------------------------------------------------

function fail(message: string): never {
  throw new Error(message);
}

function expectEqual(got: unknown, want: unknown, label: string): void {
  if (!Object.is(got, want)) fail(`${label}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

function deepSame(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a == null || b == null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => deepSame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function expectDeepEqual(got: unknown, want: unknown, label: string): void {
  if (!deepSame(got, want)) fail(`${label}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

/** `f` throws an error of class `type` whose message matches `re`. */
function expectThrows(f: () => unknown, type: ErrorClass, re: RegExp, label: string): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof type)) fail(`${label}: expected ${type.name} matching ${re}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (!re.test(e.message)) fail(`${label}: ${type.name} message ${JSON.stringify(e.message)} does not match ${re}`);
    return;
  }
  fail(`${label}: expected ${type.name} matching ${re}, nothing was thrown`);
}

// ---- TF, Keras 3, PyTorch -------------------------------------------------------------------------

/** An optax vector (run by {@link runOptax}, through the transforms). */
export function isOptax(v: Vector): boolean {
  return v.fn.startsWith('optax.');
}

/** Why a TF/Keras/PyTorch vector is not run, or null to run it (the Node tests and the page report it as skipped). */
export function skipReason(v: Vector): string | null {
  if (v.anchor !== 'keras3' && v.fn.startsWith('tf.keras')) return 'tf.keras 2.x semantics: not an anchor of the wrapper (Keras 3)';
  if (v.fn.includes('(2.3.1)')) return 'multi-backend Keras 2.3.1 semantics: not an anchor of the wrapper (Keras 3)';
  if (v.fn.includes('LossScaleOptimizer')) return 'Keras loss scaling: out of scope';
  if (v.args.config && ('loss_scale_factor' in v.args.config || 'gradient_accumulation_steps' in v.args.config)) {
    return 'Keras loss scaling / gradient accumulation: out of scope';
  }
  return null;
}

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

/** Runs a TF, Keras 3 or PyTorch vector through `api` (dispatched on its `fn`). */
export async function runReference(api: ClippingApi, v: Vector, { tol = v.tolerance, sink = ANCHORS }: RunOptions = {}): Promise<void> {
  const a = v.args;
  const e = v.expected;
  const expectError = (f: () => unknown, re: RegExp, type: ErrorClass = api.ValueError): void => expectThrows(f, type, re, v.name);
  switch (v.fn) {
    case 'tf.clip_by_value': {
      const t = toTensor(a.t)!;
      const lo = num(a.clip_value_min);
      const hi = num(a.clip_value_max);
      if (lo > hi) return expectError(() => api.clipByValue(t, lo, hi), /`clipValueMin` must be <= `clipValueMax`.*Received: clipValueMin=/);
      return sink.tensor(api.clipByValue(t, lo, hi), e.output, tol, v.name);
    }
    case 'tf.clip_by_norm': {
      const t = toTensor(a.t)!;
      const c = num(a.clip_norm);
      if (c < 0) return expectError(() => api.clipByNorm(t, c, a.axes), /`clipNorm` must be a finite number >= 0\. Received: clipNorm=-/);
      return sink.tensor(api.clipByNorm(t, c, a.axes), e.output, tol, v.name);
    }
    case 'tf.linalg.global_norm': {
      const n = api.globalNorm(toTensors(a.t_list));
      return sink.close(await n.data(), [num(e.norm)], tol, v.name);
    }
    case 'tf.clip_by_global_norm': {
      const c = num(a.clip_norm);
      const ts = toTensors(a.t_list);
      if (c < 0) return expectError(() => api.clipByGlobalNorm(ts, c), /`clipNorm` must be a finite number >= 0/);
      const [clipped, n] = api.clipByGlobalNorm(ts, c, a.use_norm == null ? null : num(a.use_norm));
      sink.close(await n.data(), [num(e.global_norm)], tol, `${v.name} norm`);
      for (let i = 0; i < e.list_clipped.length; i++) await sink.tensor(clipped[i], e.list_clipped[i], tol, `${v.name}[${i}]`);
      return;
    }
    case 'keras.optimizers.Optimizer.__init__': {
      const o = kerasOptions(a.config);
      return expectError(() => api.withClipping(tf.train.sgd(0.1), o), /Only one of `clipnorm`, `clipvalue` and `globalClipnorm` can be set\. Received: clipnorm=.*clipvalue=.*globalClipnorm=/);
    }
    case 'keras.optimizers.Optimizer._clip_gradients':
    case 'keras.optimizers.Optimizer.apply': {
      const o = kerasOptions(a.config);
      const bad = Object.entries(o).find(([, x]) => typeof x === 'number' && !(x > 0));
      if (bad) {
        return expectError(() => api.withClipping(new RecordingOptimizer(), o), new RegExp(`\`${bad[0]}\` must be a finite number > 0\\. Received: ${bad[0]}=`));
      }
      const inner = new RecordingOptimizer();
      const opt = api.withClipping(inner, o);
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
      if (e.warning_contains && !warnings.some((w) => w.includes(e.warning_contains))) fail(`${v.name}: warning ${JSON.stringify(warnings)}`);
      const got = inner.received.filter((t) => t != null);
      expectEqual(got.length, e.clipped_grads.length, `${v.name}: number of clipped gradients`);
      for (let i = 0; i < got.length; i++) await sink.tensor(got[i], e.clipped_grads[i], tol, `${v.name}[${i}]`);
      tf.dispose(inner.received as tf.Tensor[]);
      opt.dispose();
      return;
    }
    case 'torch.nn.utils.clip_grad_norm_': {
      const grads = a.single_tensor ? toTensor(a.grads[0])! : toTensors(a.grads);
      const maxNorm = num(a.max_norm);
      const normType = num(a.norm_type);
      if (maxNorm < 0) return expectError(() => api.clipGradNorm(grads, maxNorm, { normType }), /`maxNorm` must be a finite number >= 0/);
      if (e.error) {
        const msg = String(e.error.message_contains).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        expectError(() => api.clipGradNorm(grads, maxNorm, { normType, errorIfNonfinite: a.error_if_nonfinite }), new RegExp(msg), api.NonFiniteError);
        // Nothing was modified (tensors are immutable; the inputs still hold the original values).
        const list = Array.isArray(grads) ? grads : [grads];
        for (let i = 0; i < e.grads.length; i++) await sink.tensor(list[i], e.grads[i], tol, `${v.name}[${i}] untouched`);
        return;
      }
      const r = api.clipGradNorm(grads, maxNorm, { normType, errorIfNonfinite: a.error_if_nonfinite });
      sink.close(await r.totalNorm.data(), [num(e.total_norm)], tol, `${v.name} totalNorm`);
      const out = a.single_tensor ? [r.grads as tf.Tensor] : (r.grads as MaybeTensor[]);
      for (let i = 0; i < e.grads.length; i++) await sink.tensor(out[i], e.grads[i], tol, `${v.name}[${i}]`);
      return;
    }
    case 'torch.nn.utils.clip_grad_value_': {
      const grads = toTensors(a.grads);
      const c = num(a.clip_value);
      if (c < 0) return expectError(() => api.clipGradValue(grads, c), /`clipValue` must be a finite number >= 0\. Received: clipValue=-/);
      const out = api.clipGradValue(grads, c);
      for (let i = 0; i < e.grads.length; i++) await sink.tensor(out[i], e.grads[i], tol, `${v.name}[${i}]`);
      return;
    }
    case 'torch.nn.utils.get_total_norm': {
      const n = api.getTotalNorm(toTensors(a.tensors), num(a.norm_type), a.error_if_nonfinite);
      return sink.close(await n.data(), [num(e.total_norm)], tol, v.name);
    }
    case 'torch.nn.utils.clip_grads_with_norm_': {
      const maxNorm = num(a.max_norm);
      if (maxNorm < 0) return expectError(() => api.clipGradsWithNorm(toTensors(a.grads), maxNorm, num(a.total_norm)), /`maxNorm` must be/);
      const out = api.clipGradsWithNorm(toTensors(a.grads), maxNorm, num(a.total_norm));
      for (let i = 0; i < e.grads.length; i++) await sink.tensor(out[i], e.grads[i], tol, `${v.name}[${i}]`);
      return;
    }
    default:
      throw new Error(`${v.name}: no runner for fn '${v.fn}' in test/helpers/clipping-vector-cases.ts — add one`);
  }
}

// ---- optax, through the transforms ----------------------------------------------------------------

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

/** Builds the transform a vector names, from its (numeric) arguments. */
function buildTransform(T: TransformsApi, fn: string, a: Record<string, any>): TransformLike {
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
      const inner =
        typeof a.inner === 'string'
          ? buildTransform(T, a.inner.startsWith('optax.') || a.inner === 'identity' ? a.inner : `optax.${a.inner}`, {})
          : buildTransform(T, a.inner.fn, a.inner.args ?? {});
      return T.applyIfFinite(inner, { maxConsecutiveErrors: num(a.max_consecutive_errors) });
    }
    default:
      throw new Error(`no transform for fn '${fn}' in test/helpers/clipping-vector-cases.ts — add one`);
  }
}

/** Runs an optax vector through `api.transforms` (dispatched on its `fn`). */
export async function runOptax(api: OptaxApi, v: Vector, { tol = v.tolerance, sink = ANCHORS }: RunOptions = {}): Promise<void> {
  const T = api.transforms;
  const a = v.args;
  const e = v.expected;
  const bad = Object.entries(THRESHOLD_ARGS).find(([k]) => a[k] != null && num(a[k]) < 0);
  if (bad) {
    const build = v.fn === 'optax.per_example_global_norm_clip' ? () => T.perExampleGlobalNormClip(toTensors(a.grads), num(a.l2_norm_clip)) : () => buildTransform(T, v.fn, a);
    expectThrows(build, api.ValueError, new RegExp(`\`${bad[1]}\` must be a number >= 0.*Received: ${bad[1]}=-`), v.name);
    return;
  }
  switch (v.fn) {
    case 'optax.per_example_global_norm_clip': {
      const [sum, n] = T.perExampleGlobalNormClip(toTensors(a.grads), num(a.l2_norm_clip));
      for (let i = 0; i < e.clipped_sum.length; i++) await sink.tensor(sum[i], e.clipped_sum[i], tol, `${v.name} clipped_sum[${i}]`);
      expectEqual((await n.data())[0], num(e.num_clipped), `${v.name} num_clipped`);
      return;
    }
    case 'optax.apply_if_finite': {
      const t = buildTransform(T, v.fn, a);
      const first = toTensor(a.steps[0]);
      let state = t.init(first == null ? [] : [first]);
      for (let s = 0; s < a.steps.length; s++) {
        const g = toTensor(a.steps[s]);
        const r = t.update([g], state);
        const x = e.steps[s];
        const label = `${v.name} step ${s}`;
        expectEqual(!r.skip, x.applied, `${label} applied`);
        await sink.tensor(r.grads[0], x.update_out, tol, `${label} update_out`);
        expectEqual(r.state.notfiniteCount, num(x.notfinite_count), `${label} notfinite_count`);
        expectEqual(r.state.lastFinite, x.last_finite, `${label} last_finite`);
        expectEqual(r.state.totalNotfinite, num(x.total_notfinite), `${label} total_notfinite`);
        state = r.state;
      }
      return;
    }
    default: {
      // Every other optax vector is a one-step transform: args.updates (+ params) → expected.updates.
      const t = buildTransform(T, v.fn, a);
      const updates = toTensors(a.updates);
      const params = a.params == null ? null : toTensors(a.params);
      const r = t.update(updates, t.init(params), params);
      expectEqual(r.skip, false, `${v.name} skip`);
      for (let i = 0; i < e.updates.length; i++) await sink.tensor(r.grads[i], e.updates[i], tol, `${v.name} updates[${i}]`);
      if ('found_nan' in e) expectDeepEqual(r.state.foundNan, e.found_nan, `${v.name} found_nan`);
      if ('global_norm_internal' in e) sink.close(await api.globalNorm(updates).data(), [num(e.global_norm_internal)], tol, `${v.name} global norm`);
      const axis = axisArg(a.axis);
      for (const [key, src] of [['unitwise_grad_norm', updates], ['unitwise_param_norm', params]] as const) {
        if (!(key in e)) continue;
        for (let i = 0; i < e[key].length; i++) await sink.tensor(src![i] == null ? null : T.unitwiseNorm(src![i]!, axis), e[key][i], tol, `${v.name} ${key}[${i}]`);
      }
    }
  }
}
