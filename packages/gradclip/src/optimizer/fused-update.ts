/**
 * The fused optimizer update: `ClippedOptimizer` applies the step of any of tfjs's seven built-in
 * optimizers (SGD, Momentum, Adam, RMSProp, Adagrad, Adadelta, Adamax) itself, in one pass over each variable,
 * instead of calling the inner `applyGradients` (which runs 2 to ~14 tfjs kernels per variable,
 * each making tensors and scalars on the engine). On the `wasm` backend the pass is a SIMD function working in place on
 * the wasm heap (fast/update-kernels.wat); on `cpu` a float32 loop (fast/update-loops.ts). The arithmetic is
 * tfjs 4.22's, op for op, each op rounded to float32: weights, slots (`m`, `v`, accumulators),
 * Adam's and Adamax's bias-correction powers, Adamax's step counter and `iterations` come out
 * bit-identical to the inner optimizer's own
 * step, and they stay in the inner optimizer's own variables (so `getWeights`, `model.save` and a
 * later step without gradclip see them as usual). The optimizers' fields are read through
 * internals/tfjs-internals.ts (`optimizerState`).
 *
 * It is taken only when it is exact and safe, else the inner `applyGradients` runs as before:
 * - gradclip's fast path is on (`setFastPath`, `GRADCLIP_FAST_PATH`, and the capability check:
 *   tfjs-core is a version whose arithmetic this reproduces, tested bit for bit, and the probes
 *   passed — this file's, {@link probeFusedUpdate}, runs once per backend kind before the first
 *   fused step), this module's own switch {@link setFusedUpdateEnabled} too, and neither tfjs's
 *   `DEBUG` flag nor `tf.profile` is watching the kernels;
 * - the active backend is `cpu` or `wasm`, and no tape is recording;
 * - the inner optimizer's class is exactly one of those tfjs classes (not a subclass) and its
 *   `applyGradients` is the class's own;
 * - the slots exist (the optimizers with slots make them on their first step, which runs through tfjs);
 * - every gradient and variable is float32 with the same shape, on the active backend, and every
 *   slot has its variable's shape (tfjs keys slots by position), every hyper-parameter it reads is
 *   a number (else tfjs throws), and every variable and slot holds
 *   its data alone (reference count 1: no clone or reshape of it is
 *   alive, which an in-place write would change; tfjs's `assign` would leave it alone).
 * On cpu an array is overwritten in place only when this update made it and nothing outside the
 * backend has seen it since (`dataSync()` returns the cpu backend's own array); otherwise the new
 * values go into a new array that replaces the old one in the variable's data entry. On wasm every
 * in-place write gives the data a new id (`wasmRekey`: tfjs-wasm caches packed weights by id).
 *
 * Decoupled weight decay (`weightDecay` of the wrapper) is part of the fused pass: each updated
 * variable is first multiplied by the float32 factor `d = 1 − lr·wd` (`w = w * d`, one float32
 * multiply, bit-identical to the `tf.mul(w, d)` the unfused path assigns before the inner
 * `applyGradients`), then the optimizer's step reads that decayed `w`. `d = 1` does nothing.
 *
 * {@link setFusedUpdateEnabled}(false) turns it off for the process (the rest of the fast path stays on).
 */
import * as tf from '@tensorflow/tfjs';
import type { MaybeTensor } from '../core/grad-forms.js';
import { fastPathBackend } from '../core/fast/fast-path.js';
import { wasmKernelsFor } from '../core/fast/fused-kernels.js';
import { cpuSwapInValues, cpuUpdatableValues } from '../core/fast/cpu-buffer-pool.js';
import { clampInto, scaleInto } from '../core/fast/cpu-loops.js';
import type { ClipWasmExports } from '../core/fast/wasm-clip-module.js';
import {
  adadeltaLoop,
  adagradLoop,
  adamaxLoop,
  adamLoop,
  momentumLoop,
  rmspropLoop,
  sgdLoop,
  type AdamConstants,
  type RmspropConstants,
} from './fast/update-loops.js';
import { updateWasmFor, type UpdateWasmExports } from './fast/wasm-update-module.js';
import { disableFastPathForProcess, markProbePassed, probePassed } from '../internals/fast-path-switch.js';
import {
  countOptimizerStep,
  cpuValues,
  engineProfiling,
  optimizerState,
  registeredVariable,
  wasmHeapMemory,
  wasmOffset,
  wasmRekey,
  type OptimizerKind,
  type OptimizerState,
} from '../internals/tfjs-internals.js';

let enabled = true;
/** Steps applied by the fused update so far, and how many of them had a clip folded in (for tests and benchmarks). */
export const fusedUpdates = { steps: 0, folded: 0 };

/**
 * Turns the fused optimizer update of `withClipping` / `ClippedOptimizer` on or off for the whole
 * process (it is on by default; off, every step calls the inner optimizer's `applyGradients`).
 * Results are bit-identical either way; the switch exists for debugging and benchmarks. It is the
 * finer of two switches: `setFastPath(false)` turns the fused update off too, with the rest of the
 * fast path.
 *
 * @returns The previous setting.
 * @example
 * ```ts
 * const before = setFusedUpdateEnabled(false); // every step through tfjs's own applyGradients
 * setFusedUpdateEnabled(before);
 * ```
 */
export function setFusedUpdateEnabled(on: boolean): boolean {
  const before = enabled;
  enabled = on === true;
  return before;
}

/**
 * Whether this switch lets the fused optimizer update run (it does by default; the update also
 * needs the fast path on, see `fastPathStatus`).
 */
export function fusedUpdateEnabled(): boolean {
  return enabled;
}

let foldEnabled = true;

/**
 * Turns folding the clip into the fused update on or off for the whole process (on by default;
 * off, the wrapper writes clipped gradients and then updates). Results are bit-identical either
 * way; the switch exists for tests and benchmarks. Not exported from the package.
 *
 * @returns The previous setting.
 */
export function setFoldedClipEnabled(on: boolean): boolean {
  const before = foldEnabled;
  foldEnabled = on === true;
  return before;
}

/**
 * Whether a clip may be left to the fused update of `inner` on this step: folding and the fused
 * update are on, the fast path applies on the active backend, nothing watches the kernels, and
 * `inner` is one of the seven fused classes. (The update may still decline, e.g. before an
 * optimizer has made its slots; the wrapper then clips the usual way, see `applyUpdate`.)
 */
export function foldableInto(inner: tf.Optimizer): boolean {
  if (!foldEnabled || !enabled || engineProfiling() || tf.env().getBool('DEBUG')) return false;
  return kindOf(inner) != null && fastPathBackend() != null;
}

type Kind = OptimizerKind;

/** An optimizer's state once {@link plan} has checked that the hyper-parameters it reads are numbers. */
type State = OptimizerState & {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  decay: number;
  momentum: number;
  rho: number;
  negLearningRate: tf.Scalar;
  momentumScalar: tf.Scalar;
  beta1Power: tf.Variable;
  beta2Power: tf.Variable;
  iteration: tf.Variable;
};

/** Both SIMD modules bound to a wasm backend's memory: the update functions and the clipping `scale` (weight decay). */
interface WasmModules {
  up: UpdateWasmExports;
  clip: ClipWasmExports;
}

function wasmModulesFor(backend: object): WasmModules | null {
  const memory = wasmHeapMemory(backend);
  const up = memory == null ? null : updateWasmFor(memory);
  const clip = wasmKernelsFor(backend);
  return up == null || clip == null ? null : { up, clip };
}

/**
 * Each fused class with the `applyGradients` it had when gradclip was loaded: the code whose
 * arithmetic the fused update reproduces. An optimizer whose `applyGradients` is anything else (a
 * subclass, a spy or override on the instance, a patched prototype) runs its own.
 */
const FUSED_CLASSES: readonly [object, Kind, unknown][] = [
  [tf.SGDOptimizer.prototype, 'sgd', tf.SGDOptimizer.prototype.applyGradients],
  [tf.MomentumOptimizer.prototype, 'momentum', tf.MomentumOptimizer.prototype.applyGradients],
  [tf.AdamOptimizer.prototype, 'adam', tf.AdamOptimizer.prototype.applyGradients],
  [tf.RMSPropOptimizer.prototype, 'rmsprop', tf.RMSPropOptimizer.prototype.applyGradients],
  [tf.AdagradOptimizer.prototype, 'adagrad', tf.AdagradOptimizer.prototype.applyGradients],
  [tf.AdadeltaOptimizer.prototype, 'adadelta', tf.AdadeltaOptimizer.prototype.applyGradients],
  [tf.AdamaxOptimizer.prototype, 'adamax', tf.AdamaxOptimizer.prototype.applyGradients],
];

function kindOf(opt: tf.Optimizer): Kind | null {
  const proto = Object.getPrototypeOf(opt) as object | null;
  for (const [p, kind, original] of FUSED_CLASSES) {
    if (proto === p) return opt.applyGradients === original ? kind : null;
  }
  return null;
}

/** The number fields each kind reads (SGD and Momentum read their kept scalars instead). */
const HYPER_PARAMETERS: Record<Kind, readonly ('learningRate' | 'beta1' | 'beta2' | 'epsilon' | 'decay' | 'momentum' | 'rho')[]> = {
  sgd: [],
  momentum: [],
  adam: ['learningRate', 'beta1', 'beta2', 'epsilon'],
  rmsprop: ['learningRate', 'decay', 'momentum', 'epsilon'],
  adagrad: ['learningRate'],
  adadelta: ['learningRate', 'rho', 'epsilon'],
  adamax: ['learningRate', 'beta1', 'beta2', 'epsilon', 'decay'],
};

interface Entry {
  w: tf.Variable;
  g: tf.Tensor;
  slots: tf.Variable[];
  /** The clip folded into this entry's update: the optimizer reads `min(max(g * scale, -clamp), clamp)`. */
  scale: number;
  clamp: number;
}

/**
 * A clip folded into the fused update (issue 15): instead of writing clipped gradients and then
 * updating, the update reads each gradient element as `min(max(g * scale_i, -clampValue),
 * clampValue)` (float32; exactly what the clipping kernels `scale` and `clamp` write), so a folded
 * step is bit-identical to clip-then-update and costs no extra pass over the gradients.
 */
export interface FoldedClip {
  /** Per entry of `names`/`grads`, the float32 scale of its gradient (1: none), or null for no scaling. */
  readonly scales: ArrayLike<number> | null;
  /** The float32 bound of a value clip (`clipvalue`), or null for none. */
  readonly clampValue: number | null;
}

/** A tensor the update may read: float32, its data on `backend`. */
function readable(backend: tf.KernelBackend, t: tf.Tensor | undefined, cpu: boolean): boolean {
  if (t == null || t.isDisposed || t.dtype !== 'float32' || backend.refCount(t.dataId) < 1) return false;
  return !cpu || cpuValues(backend, t.dataId) instanceof Float32Array;
}

/** A variable the update may write: readable, and its data held by it alone. */
function writable(backend: tf.KernelBackend, v: tf.Variable | undefined, cpu: boolean): boolean {
  return v != null && readable(backend, v, cpu) && backend.refCount(v.dataId) === 1;
}

/**
 * The entries to update (in tfjs's order, with tfjs's slot for each position), or null when the
 * fused update cannot reproduce tfjs's step exactly here.
 */
function plan(
  kind: Kind,
  o: OptimizerState,
  names: readonly string[],
  grads: readonly MaybeTensor[],
  backend: tf.KernelBackend,
  cpu: boolean,
  fold: FoldedClip | null,
): Entry[] | null {
  const entries: Entry[] = [];
  const clamp = fold?.clampValue ?? Infinity;
  for (let i = 0; i < names.length; ++i) {
    // tfjs makes missing slots on this step: then its own applyGradients must run
    const slots: tf.Variable[] = [];
    for (const list of o.slots) {
      const slot = list[i]?.variable;
      if (slot == null) return null;
      slots.push(slot);
    }
    const g = grads[i];
    if (g == null) continue; // tfjs skips it too
    const w = registeredVariable(names[i]);
    if (w == null || !writable(backend, w, cpu) || !readable(backend, g, cpu)) return null;
    if (!tf.util.arraysEqual(g.shape, w.shape)) return null;
    // tfjs keys slots by position: after the variable list changes, slot i can be another
    // variable's (tfjs then fails on the shapes, or uses it): only the same shape is fused.
    for (const s of slots) if (!writable(backend, s, cpu) || !tf.util.arraysEqual(s.shape, w.shape)) return null;
    entries.push({ w, g, slots, scale: fold?.scales != null ? fold.scales[i] : 1, clamp });
  }
  // tfjs throws on a hyper-parameter that is not a number (a missing `rho`, say); so must we.
  for (const field of HYPER_PARAMETERS[kind]) if (typeof o[field] !== 'number') return null;
  if (kind === 'adam' && (!writable(backend, o.beta1Power, cpu) || !writable(backend, o.beta2Power, cpu))) return null;
  if (kind === 'adamax' && (!writable(backend, o.beta1Power, cpu) || !writable(backend, o.iteration, cpu))) return null;
  if ((kind === 'sgd' || kind === 'momentum') && !readable(backend, o.negLearningRate, cpu)) return null;
  if (kind === 'momentum' && !readable(backend, o.momentumScalar, cpu)) return null;
  return entries;
}


/**
 * Applies the inner optimizer's step to `grads` (aligned with `names`, as the inner
 * `applyGradients` would receive them) with the fused update, and returns true; or returns false,
 * having changed nothing, when the fused update does not apply (see the file comment).
 * `decay`: the float32 weight-decay factor `1 − lr·wd` each updated variable is multiplied by
 * first (1: none).
 */
export function applyFusedUpdate(
  inner: tf.Optimizer,
  names: readonly string[],
  grads: readonly MaybeTensor[],
  decay = 1,
  fold: FoldedClip | null = null,
): boolean {
  if (!enabled) return false;
  // tfjs's DEBUG mode and tf.profile() watch every kernel (NaN checks, logging): let them see it.
  if (engineProfiling() || tf.env().getBool('DEBUG')) return false;
  const kind = kindOf(inner);
  if (kind == null) return false;
  const name = fastPathBackend();
  if (name == null) return false;
  if (!probePassed(`update:${name}`)) {
    const why = probeFusedUpdate(name);
    if (why != null) {
      disableFastPathForProcess(why, name);
      return false;
    }
    markProbePassed(`update:${name}`);
  }
  return fusedStep(kind, inner, names, grads, decay, fold);
}

/** The fused step itself (checks of {@link applyFusedUpdate} done, except those of {@link plan}). */
function fusedStep(kind: Kind, inner: tf.Optimizer, names: readonly string[], grads: readonly MaybeTensor[], decay: number, fold: FoldedClip | null): boolean {
  const backend = tf.engine().backend;
  const cpu = tf.engine().backendName === 'cpu';
  const ex = cpu ? null : wasmModulesFor(backend);
  if (!cpu && ex == null) return false;
  const o = optimizerState(inner, kind);
  if (o == null) return false;
  const entries = plan(kind, o, names, grads, backend, cpu, fold);
  if (entries == null) return false;
  const d = f(decay);
  if (cpu) applyCpu(kind, o as State, entries, backend, d);
  else applyWasm(kind, o as State, entries, backend as unknown as WasmKernelApi, ex as WasmModules, d);
  countOptimizerStep(inner);
  fusedUpdates.steps += 1;
  if (fold != null) fusedUpdates.folded += 1;
  return true;
}

/** Test seam: makes the probe see a wrong bit in the fused result. */
let probeFault = false;

/** Test seam (not exported from the package): `true` makes the next fused-update probes fail. */
export function setFusedUpdateProbeFaultForTests(on: boolean): void {
  probeFault = on;
}

/**
 * The fused update's feature probe, run once per backend kind before its first fused step: two
 * plain SGD steps (gradients with NaN, ±inf and -0) and one with a folded clip (scale 0.375) on a
 * variable through TF.js's own `applyGradients` and on a twin through the fused update must give
 * the same bits, and the fused update must have run. Null when they do, else what differed. Leaves no tensor or variable behind.
 */
export function probeFusedUpdate(kind: 'cpu' | 'wasm'): string | null {
  const made: tf.Tensor[] = [];
  const optimizers: tf.Optimizer[] = [];
  const steps = fusedUpdates.steps;
  const folded = fusedUpdates.folded;
  try {
    const start = [1, -2, 0.5, 3, 1e-40, -0, 7, 0.25];
    const grad = [0.5, NaN, Infinity, -0, 2, -3, 1e-38, -Infinity];
    const id = steps;
    // (In a tidy: the variables must hold their data alone.)
    const a = tf.tidy(() => tf.variable(tf.tensor1d(start), true, `__gradclip_probe_${kind}_${id}_a`));
    const b = tf.tidy(() => tf.variable(tf.tensor1d(start), true, `__gradclip_probe_${kind}_${id}_b`));
    const g = tf.tensor1d(grad);
    made.push(a, b, g);
    const plain = tf.train.sgd(0.125);
    const fused = tf.train.sgd(0.125);
    optimizers.push(plain, fused);
    for (let step = 0; step < 2; ++step) {
      plain.applyGradients({ [a.name]: g });
      if (!fusedStep('sgd', fused, [b.name], [g], 1, null)) return `on the ${kind} backend, the fused update did not apply to a plain SGD step`;
    }
    // A third step with a clip folded in: tfjs's step on g * 0.375 (the scale as a float32 tensor op).
    const scaled = tf.tidy(() => tf.mul(g, tf.scalar(0.375)));
    made.push(scaled);
    plain.applyGradients({ [a.name]: scaled });
    if (!fusedStep('sgd', fused, [b.name], [g], 1, { scales: [0.375], clampValue: null })) {
      return `on the ${kind} backend, the fused update did not apply to an SGD step with a folded clip`;
    }
    const x = Array.from(new Uint32Array(Float32Array.from(a.dataSync(), (v) => (Number.isNaN(v) ? NaN : v)).buffer));
    const y = Array.from(new Uint32Array(Float32Array.from(b.dataSync(), (v) => (Number.isNaN(v) ? NaN : v)).buffer));
    if (probeFault) y[0] ^= 1;
    for (let i = 0; i < x.length; ++i) {
      if (x[i] !== y[i]) return `on the ${kind} backend, the fused SGD update gave bits 0x${y[i].toString(16)} for element ${i} where TF.js gives 0x${x[i].toString(16)}`;
    }
    return null;
  } catch (e) {
    return `on the ${kind} backend, the fused-update probe threw: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    fusedUpdates.steps = steps; // the probe's steps are not the caller's
    fusedUpdates.folded = folded;
    for (const o of optimizers) o.dispose();
    tf.dispose(made);
  }
}

const f = Math.fround;

function adamConstants(o: State, beta1Power: number, beta2Power: number): AdamConstants {
  return {
    beta1: f(o.beta1),
    oneMinusBeta1: f(1 - o.beta1),
    beta2: f(o.beta2),
    oneMinusBeta2: f(1 - o.beta2),
    oneMinusAccBeta1: f(1 - beta1Power),
    oneMinusAccBeta2: f(1 - beta2Power),
    epsilon: f(o.epsilon),
    negLr: f(-o.learningRate),
  };
}

function rmspropConstants(o: State): RmspropConstants {
  return { decay: f(o.decay), oneMinusDecay: f(1 - o.decay), learningRate: f(o.learningRate), momentum: f(o.momentum), epsilon: f(o.epsilon) };
}

/**
 * Adamax's float32 constants for one step: tfjs computes `lr_t = -lr / (iteration * decay + 1)`
 * and `k = lr_t / (1 - beta1Power)` as float32 tensor ops.
 */
function adamaxConstants(o: State, iteration: number, beta1Power: number): { beta1: number; oneMinusBeta1: number; beta2: number; epsilon: number; k: number } {
  const lrT = f(f(-o.learningRate) / f(f(iteration * f(o.decay)) + 1));
  return { beta1: f(o.beta1), oneMinusBeta1: f(1 - o.beta1), beta2: f(o.beta2), epsilon: f(o.epsilon), k: f(lrT / f(1 - beta1Power)) };
}

function adadeltaConstants(o: State): { rho: number; oneMinusRho: number; epsilon: number; negLr: number } {
  return { rho: f(o.rho), oneMinusRho: f(1 - o.rho), epsilon: f(o.epsilon), negLr: f(-o.learningRate) };
}

/** Adagrad's epsilon: tfjs reads `ENGINE.backend.epsilon()` at every step. */
function backendEpsilon(): number {
  return f(tf.engine().backend.epsilon());
}

// ---- wasm --------------------------------------------------------------------------------------

/** The wasm backend's kernel API the update calls (tfjs-backend-wasm's `BackendWasm`). */
interface WasmKernelApi {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function heapOf(backend: WasmKernelApi, t: tf.Tensor): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function offset(backend: object, t: tf.Tensor): number {
  return wasmOffset(backend, t.dataId);
}

/** A new id for a variable's data after its in-place update (see `wasmRekey`). */
function rekey(backend: object, t: tf.Tensor): void {
  wasmRekey(backend, t.dataId, t.size);
}

/** {@link rekey} for a variable and its slots after their in-place update. */
function rekeyEntry(backend: object, w: tf.Variable, slots: readonly tf.Variable[]): void {
  rekey(backend, w);
  for (const slot of slots) rekey(backend, slot);
}

/** Weight decay in place before the step: `w = w * decay` (float32), nothing when `decay` is 1. */
function decayWasm(backend: object, ex: WasmModules, w: tf.Variable, decay: number): void {
  if (decay === 1) return;
  const p = offset(backend, w);
  ex.clip.scale(p, p, w.size, decay);
}

function applyWasm(kind: Kind, o: State, entries: Entry[], backend: WasmKernelApi, ex: WasmModules, decay: number): void {
  if (kind === 'adam') {
    const k = adamConstants(o, heapOf(backend, o.beta1Power)[0], heapOf(backend, o.beta2Power)[0]);
    for (const { w, g, slots, scale, clamp } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.up.adam(
        offset(backend, w), offset(backend, g), offset(backend, slots[0]), offset(backend, slots[1]), w.size,
        k.beta1, k.oneMinusBeta1, k.beta2, k.oneMinusBeta2, k.oneMinusAccBeta1, k.oneMinusAccBeta2, k.epsilon, k.negLr,
        scale, -clamp, clamp,
      );
      rekeyEntry(backend, w, slots);
    }
    // Views taken afresh: a call into the wasm module (rekey) may have grown and moved the heap.
    const b1 = heapOf(backend, o.beta1Power);
    b1[0] = f(b1[0] * k.beta1);
    const b2 = heapOf(backend, o.beta2Power);
    b2[0] = f(b2[0] * k.beta2);
    rekey(backend, o.beta1Power);
    rekey(backend, o.beta2Power);
    return;
  }
  if (kind === 'rmsprop') {
    const k = rmspropConstants(o);
    for (const { w, g, slots, scale, clamp } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      const [s, a, mg] = slots;
      ex.up.rmsprop(
        offset(backend, w), offset(backend, g), offset(backend, s), offset(backend, a), mg == null ? 0 : offset(backend, mg), w.size,
        k.decay, k.oneMinusDecay, k.learningRate, k.momentum, k.epsilon, mg == null ? 0 : 1,
        scale, -clamp, clamp,
      );
      rekeyEntry(backend, w, slots);
    }
    return;
  }
  if (kind === 'adadelta') {
    const k = adadeltaConstants(o);
    for (const { w, g, slots, scale, clamp } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.up.adadelta(
        offset(backend, w), offset(backend, g), offset(backend, slots[0]), offset(backend, slots[1]), w.size,
        k.rho, k.oneMinusRho, k.epsilon, k.negLr, scale, -clamp, clamp,
      );
      rekeyEntry(backend, w, slots);
    }
    return;
  }
  if (kind === 'adamax') {
    const k = adamaxConstants(o, heapOf(backend, o.iteration)[0], heapOf(backend, o.beta1Power)[0]);
    for (const { w, g, slots, scale, clamp } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.up.adamax(
        offset(backend, w), offset(backend, g), offset(backend, slots[0]), offset(backend, slots[1]), w.size,
        k.beta1, k.oneMinusBeta1, k.beta2, k.epsilon, k.k, scale, -clamp, clamp,
      );
      rekeyEntry(backend, w, slots);
    }
    const it = heapOf(backend, o.iteration);
    it[0] = f(it[0] + 1);
    const b1 = heapOf(backend, o.beta1Power);
    b1[0] = f(b1[0] * k.beta1);
    rekey(backend, o.iteration);
    rekey(backend, o.beta1Power);
    return;
  }
  if (kind === 'adagrad') {
    const eps = backendEpsilon();
    const nlr = f(-o.learningRate);
    for (const { w, g, slots, scale, clamp } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.up.adagrad(offset(backend, w), offset(backend, g), offset(backend, slots[0]), w.size, eps, nlr, scale, -clamp, clamp);
      rekeyEntry(backend, w, slots);
    }
    return;
  }
  const c = heapOf(backend, o.negLearningRate)[0];
  if (kind === 'sgd') {
    for (const { w, g, scale, clamp } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.up.sgd(offset(backend, w), offset(backend, g), w.size, c, scale, -clamp, clamp);
      rekey(backend, w);
    }
    return;
  }
  const m = heapOf(backend, o.momentumScalar)[0];
  const nesterov = o.nesterov ? 1 : 0;
  for (const { w, g, slots, scale, clamp } of entries) {
    if (w.size === 0) continue;
    decayWasm(backend, ex, w, decay);
    ex.up.momentum(offset(backend, w), offset(backend, g), offset(backend, slots[0]), w.size, m, c, nesterov, scale, -clamp, clamp);
    rekeyEntry(backend, w, slots);
  }
}

// ---- cpu ---------------------------------------------------------------------------------------

function valuesOf(backend: object, t: tf.Tensor): Float32Array {
  return cpuValues(backend, t.dataId) as Float32Array;
}

/**
 * Runs `compute(ins, outs)` for the variables `vs`: each output is the variable's own array when
 * the update may overwrite it in place, else a new array swapped in afterwards.
 */
function update(backend: tf.KernelBackend, vs: tf.Variable[], compute: (ins: Float32Array[], outs: Float32Array[]) => void, decay = 1): void {
  const ins = vs.map((v) => valuesOf(backend, v));
  const outs = vs.map((v, i) => cpuUpdatableValues(backend, v.dataId) ?? new Float32Array(ins[i].length));
  const own = ins.slice();
  // Weight decay of the variable (always vs[0]) into its output first; the step then reads it
  // there (every loop reads an element before writing it, so in and out may be the same array).
  if (decay !== 1) {
    scaleInto(ins[0], decay, outs[0]);
    ins[0] = outs[0];
  }
  compute(ins, outs);
  vs.forEach((v, i) => {
    if (outs[i] !== own[i]) cpuSwapInValues(backend, v.dataId, outs[i]);
  });
}

/** Float32 values per chunk of a folded value clip on cpu (64 KiB: the clamped chunk stays in cache). */
const FOLD_CHUNK = 16384;
let foldScratch: Float32Array | null = null;

/**
 * Runs `body(g, ins, outs, gs)` over a variable's arrays with the entry's folded clip applied to
 * its gradient `gv`: a scale goes into the update loop itself (`gs`: each element read as
 * `f(g[i] * gs)`); a value clip clamps the gradient chunk by chunk (`clampInto`, the clipping
 * kernel's own loop) into a small scratch array that the loop then reads. No clipped gradient
 * tensor is written either way.
 */
function withFoldedClip(
  e: Entry,
  gv: Float32Array,
  ins: Float32Array[],
  outs: Float32Array[],
  body: (g: Float32Array, ins: Float32Array[], outs: Float32Array[], gs: number) => void,
): void {
  if (e.clamp === Infinity) {
    body(gv, ins, outs, e.scale);
    return;
  }
  const scratch = (foldScratch ??= new Float32Array(FOLD_CHUNK));
  const n = gv.length;
  for (let lo = 0; lo < n; lo += FOLD_CHUNK) {
    const hi = Math.min(n, lo + FOLD_CHUNK);
    const g = scratch.subarray(0, hi - lo);
    clampInto(gv.subarray(lo, hi), e.clamp, g);
    body(
      g,
      ins.map((a) => a.subarray(lo, hi)),
      outs.map((a) => a.subarray(lo, hi)),
      1,
    );
  }
}

function applyCpu(kind: Kind, o: State, entries: Entry[], backend: tf.KernelBackend, decay: number): void {
  if (kind === 'adam') {
    const k = adamConstants(o, valuesOf(backend, o.beta1Power)[0], valuesOf(backend, o.beta2Power)[0]);
    for (const e of entries) {
      const gv = valuesOf(backend, e.g);
      const { w, slots } = e;
      update(backend, [w, slots[0], slots[1]], (ins, outs) =>
        withFoldedClip(e, gv, ins, outs, (g, [wi, mi, vi], [wo, mo, vo], gs) => adamLoop(wi, wo, g, mi, mo, vi, vo, k, gs)),
        decay,
      );
    }
    update(backend, [o.beta1Power, o.beta2Power], ([a1, a2], [o1, o2]) => {
      o1[0] = f(a1[0] * k.beta1);
      o2[0] = f(a2[0] * k.beta2);
    });
    return;
  }
  if (kind === 'rmsprop') {
    const k = rmspropConstants(o);
    for (const e of entries) {
      const gv = valuesOf(backend, e.g);
      update(backend, [e.w, ...e.slots], (ins, outs) =>
        withFoldedClip(e, gv, ins, outs, (g, [wi, si, ai, mgi], [wo, so, ao, mgo], gs) =>
          rmspropLoop(wi, wo, g, si, so, ai, ao, mgi ?? null, mgo ?? null, k, gs),
        ),
        decay,
      );
    }
    return;
  }
  if (kind === 'adadelta') {
    const k = adadeltaConstants(o);
    for (const e of entries) {
      const gv = valuesOf(backend, e.g);
      update(backend, [e.w, e.slots[0], e.slots[1]], (ins, outs) =>
        withFoldedClip(e, gv, ins, outs, (g, [wi, agi, aui], [wo, ago, auo], gs) =>
          adadeltaLoop(wi, wo, g, agi, ago, aui, auo, k.rho, k.oneMinusRho, k.epsilon, k.negLr, gs),
        ),
        decay,
      );
    }
    return;
  }
  if (kind === 'adamax') {
    const k = adamaxConstants(o, valuesOf(backend, o.iteration)[0], valuesOf(backend, o.beta1Power)[0]);
    for (const e of entries) {
      const gv = valuesOf(backend, e.g);
      update(backend, [e.w, e.slots[0], e.slots[1]], (ins, outs) =>
        withFoldedClip(e, gv, ins, outs, (g, [wi, mi, ui], [wo, mo, uo], gs) =>
          adamaxLoop(wi, wo, g, mi, mo, ui, uo, k.beta1, k.oneMinusBeta1, k.beta2, k.epsilon, k.k, gs),
        ),
        decay,
      );
    }
    update(backend, [o.iteration, o.beta1Power], ([it, a1], [ito, a1o]) => {
      ito[0] = f(it[0] + 1);
      a1o[0] = f(a1[0] * k.beta1);
    });
    return;
  }
  if (kind === 'adagrad') {
    const eps = backendEpsilon();
    const nlr = f(-o.learningRate);
    for (const e of entries) {
      const gv = valuesOf(backend, e.g);
      update(backend, [e.w, e.slots[0]], (ins, outs) =>
        withFoldedClip(e, gv, ins, outs, (g, [wi, ci], [wo, co], gs) => adagradLoop(wi, wo, g, ci, co, eps, nlr, gs)),
        decay,
      );
    }
    return;
  }
  const c = valuesOf(backend, o.negLearningRate)[0];
  if (kind === 'sgd') {
    for (const e of entries) {
      const gv = valuesOf(backend, e.g);
      update(backend, [e.w], (ins, outs) => withFoldedClip(e, gv, ins, outs, (g, [wi], [wo], gs) => sgdLoop(wi, wo, g, c, gs)), decay);
    }
    return;
  }
  const m = valuesOf(backend, o.momentumScalar)[0];
  for (const e of entries) {
    const gv = valuesOf(backend, e.g);
    update(backend, [e.w, e.slots[0]], (ins, outs) =>
      withFoldedClip(e, gv, ins, outs, (g, [wi, ai], [wo, ao], gs) => momentumLoop(wi, wo, g, ai, ao, m, c, o.nesterov, gs)),
      decay,
    );
  }
}
