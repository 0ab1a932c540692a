/**
 * The fused optimizer update: `ClippedOptimizer` applies the step of any of tfjs's seven built-in
 * optimizers (SGD, Momentum, Adam, RMSProp, Adagrad, Adadelta, Adamax) itself, in one pass over each variable,
 * instead of calling the inner `applyGradients` (which runs 2 to ~14 tfjs kernels per variable,
 * each making tensors and scalars on the engine). On the `wasm` backend the pass is a SIMD function working in place on
 * the wasm heap (clip-kernels.wat); on `cpu` a float32 loop (update-loops.ts). The arithmetic is
 * tfjs 4.22's, op for op, each op rounded to float32: weights, slots (`m`, `v`, accumulators),
 * Adam's `accBeta1`/`accBeta2`, Adamax's `iteration`/`accBeta1` and `iterations` come out
 * bit-identical to the inner optimizer's own
 * step, and they stay in the inner optimizer's own variables (so `getWeights`, `model.save` and a
 * later step without gradclip see them as usual).
 *
 * It is taken only when it is exact and safe, else the inner `applyGradients` runs as before:
 * - tfjs-core is 4.22.x (the version whose arithmetic this reproduces, tested bit for bit), and
 *   neither tfjs's `DEBUG` flag nor `tf.profile` is watching the kernels;
 * - the active backend is `cpu` or `wasm` with gradclip's fast path on, and no tape is recording;
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
 * values go into a new array that replaces the old one in the variable's data entry.
 *
 * Decoupled weight decay (`weightDecay` of the wrapper) is part of the fused pass: each updated
 * variable is first multiplied by the float32 factor `d = 1 − lr·wd` (`w = w * d`, one float32
 * multiply, bit-identical to the `tf.mul(w, d)` the unfused path assigns before the inner
 * `applyGradients`), then the optimizer's step reads that decayed `w`. `d = 1` does nothing.
 *
 * {@link setFusedUpdateEnabled}(false) turns it off for the process.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaybeTensor } from '../core/grad-forms.js';
import { fastPathBackend } from '../core/fast/fast-path.js';
import { wasmKernelsFor } from '../core/fast/fused-kernels.js';
import { cpuSwapInValues, cpuUpdatableValues } from '../core/fast/cpu-buffer-pool.js';
import { scaleInto } from '../core/fast/cpu-loops.js';
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
} from '../core/fast/update-loops.js';
import type { ClipWasmExports } from '../core/fast/wasm-clip-module.js';

/**
 * tfjs-core versions whose optimizer arithmetic the fused update reproduces (checked bit for bit in
 * fused-update.test.ts). On any other version the inner `applyGradients` runs.
 */
const VERIFIED_TFJS_CORE = /^4\.22\./;
const versionOk = VERIFIED_TFJS_CORE.test(tf.version_core);

let enabled = true;
/** Steps applied by the fused update so far (for tests and benchmarks). */
export const fusedUpdates = { steps: 0 };

/**
 * Turns the fused optimizer update of `withClipping` / `ClippedOptimizer` on or off for the whole
 * process (it is on by default; off, every step calls the inner optimizer's `applyGradients`).
 * Results are bit-identical either way; the switch exists for debugging and benchmarks.
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

/** Whether the fused optimizer update is on (it is by default). */
export function fusedUpdateEnabled(): boolean {
  return enabled;
}

type Kind = 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adamax';

/** The fields of tfjs 4.22's optimizers that the update reads (all private or protected there). */
interface TfjsOptimizerFields {
  c: tf.Scalar;
  m: tf.Scalar;
  useNesterov: boolean;
  accumulations: ({ variable: tf.Variable } | undefined)[];
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ variable: tf.Variable } | undefined)[];
  decay: number;
  momentum: number;
  centered: boolean;
  accumulatedMeanSquares: ({ variable: tf.Variable } | undefined)[];
  accumulatedMoments: ({ variable: tf.Variable } | undefined)[];
  accumulatedMeanGrads: ({ variable: tf.Variable } | undefined)[];
  accumulatedGrads: ({ variable: tf.Variable } | undefined)[];
  rho: number;
  accumulatedUpdates: ({ variable: tf.Variable } | undefined)[];
  accumulatedWeightedInfNorm: ({ variable: tf.Variable } | undefined)[];
  iteration: tf.Variable;
  incrementIterations(): void;
}

interface DataBackend {
  refCount(dataId: object): number;
}
interface WasmBackend extends DataBackend {
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  wasm: { tfjs?: { disposeData?(id: number): void; registerTensor?(id: number, size: number, memoryOffset: number): void } };
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Whether `backend` has the tfjs-wasm 4.x internals that {@link rekey} needs. */
function canRekey(backend: WasmBackend): boolean {
  const t = backend.wasm?.tfjs;
  return typeof t?.disposeData === 'function' && typeof t.registerTensor === 'function' && typeof backend.dataIdNextNumber === 'number';
}

/**
 * After an in-place write on wasm: gives the tensor's data a new id in the wasm module, as a new
 * tensor from `assign` would have. tfjs-wasm caches XNNPACK operators with *packed copies* of a
 * matmul's or convolution's weights, keyed by the weights' id and dropped when that id is disposed
 * (backend.cc `dispose_data` runs the disposal callbacks); without this, the next forward pass
 * would use the weights from before the update. The memory itself stays where it is.
 */
function rekey(backend: WasmBackend, t: tf.Tensor): void {
  const entry = backend.dataIdMap.get(t.dataId) as { id: number; memoryOffset: number };
  const m = backend.wasm.tfjs as Required<NonNullable<WasmBackend['wasm']['tfjs']>>;
  m.disposeData(entry.id);
  entry.id = backend.dataIdNextNumber++;
  m.registerTensor(entry.id, t.size, entry.memoryOffset);
}
interface CpuBackend extends DataBackend {
  data: { get(dataId: object): { values?: unknown } | undefined };
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

type SlotField =
  | 'accumulations'
  | 'accumulatedFirstMoment'
  | 'accumulatedSecondMoment'
  | 'accumulatedMeanSquares'
  | 'accumulatedMoments'
  | 'accumulatedMeanGrads'
  | 'accumulatedGrads'
  | 'accumulatedUpdates'
  | 'accumulatedWeightedInfNorm';

/** The slot lists of each kind (tfjs's field names), in the order the update functions take them. */
function slotFields(kind: Kind, o: TfjsOptimizerFields): readonly SlotField[] {
  switch (kind) {
    case 'sgd':
      return [];
    case 'momentum':
      return ['accumulations'];
    case 'adam':
      return ['accumulatedFirstMoment', 'accumulatedSecondMoment'];
    case 'rmsprop':
      return o.centered ? ['accumulatedMeanSquares', 'accumulatedMoments', 'accumulatedMeanGrads'] : ['accumulatedMeanSquares', 'accumulatedMoments'];
    case 'adagrad':
      return ['accumulatedGrads'];
    case 'adadelta':
      return ['accumulatedGrads', 'accumulatedUpdates'];
    case 'adamax':
      return ['accumulatedFirstMoment', 'accumulatedWeightedInfNorm'];
  }
}

/** The number fields each kind reads (SGD and Momentum read their `c` and `m` tensors instead). */
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
}

/** A tensor the update may read: float32, its data on `backend`. */
function readable(backend: DataBackend, t: tf.Tensor, cpu: boolean): boolean {
  if (t.isDisposed || t.dtype !== 'float32' || backend.refCount(t.dataId) < 1) return false;
  return !cpu || (backend as CpuBackend).data.get(t.dataId)?.values instanceof Float32Array;
}

/** A variable the update may write: readable, and its data held by it alone. */
function writable(backend: DataBackend, v: tf.Variable, cpu: boolean): boolean {
  return readable(backend, v, cpu) && backend.refCount(v.dataId) === 1;
}

/**
 * The entries to update (in tfjs's order, with tfjs's slot for each position), or null when the
 * fused update cannot reproduce tfjs's step exactly here.
 */
function plan(kind: Kind, o: TfjsOptimizerFields, names: readonly string[], grads: readonly MaybeTensor[], backend: DataBackend, cpu: boolean): Entry[] | null {
  const registered = tf.engine().registeredVariables;
  const entries: Entry[] = [];
  for (let i = 0; i < names.length; ++i) {
    // tfjs makes missing slots on this step: then its own applyGradients must run
    const slots: tf.Variable[] = [];
    for (const field of slotFields(kind, o)) {
      const slot = o[field][i]?.variable;
      if (slot == null) return null;
      slots.push(slot);
    }
    const g = grads[i];
    if (g == null) continue; // tfjs skips it too
    const w = registered[names[i]];
    if (w == null || !writable(backend, w, cpu) || !readable(backend, g, cpu)) return null;
    if (!tf.util.arraysEqual(g.shape, w.shape)) return null;
    // tfjs keys slots by position: after the variable list changes, slot i can be another
    // variable's (tfjs then fails on the shapes, or uses it): only the same shape is fused.
    for (const s of slots) if (!writable(backend, s, cpu) || !tf.util.arraysEqual(s.shape, w.shape)) return null;
    entries.push({ w, g, slots });
  }
  // tfjs throws on a hyper-parameter that is not a number (a missing `rho`, say); so must we.
  for (const field of HYPER_PARAMETERS[kind]) if (typeof o[field] !== 'number') return null;
  if (kind === 'adam' && (!writable(backend, o.accBeta1, cpu) || !writable(backend, o.accBeta2, cpu))) return null;
  if (kind === 'adamax' && (!writable(backend, o.accBeta1, cpu) || !writable(backend, o.iteration, cpu))) return null;
  if ((kind === 'sgd' || kind === 'momentum') && (o.c == null || !readable(backend, o.c, cpu))) return null;
  if (kind === 'momentum' && (o.m == null || !readable(backend, o.m, cpu))) return null;
  return entries;
}

/**
 * Applies the inner optimizer's step to `grads` (aligned with `names`, as the inner
 * `applyGradients` would receive them) with the fused update, and returns true; or returns false,
 * having changed nothing, when the fused update does not apply (see the file comment).
 * `decay`: the float32 weight-decay factor `1 − lr·wd` each updated variable is multiplied by
 * first (1: none).
 */
export function applyFusedUpdate(inner: tf.Optimizer, names: readonly string[], grads: readonly MaybeTensor[], decay = 1): boolean {
  if (!enabled || !versionOk) return false;
  // tfjs's DEBUG mode and tf.profile() watch every kernel (NaN checks, logging): let them see it.
  const engine = tf.engine() as unknown as { state: { profiling: boolean } };
  if (engine.state.profiling || tf.env().getBool('DEBUG')) return false;
  const kind = kindOf(inner);
  if (kind == null) return false;
  const name = fastPathBackend();
  if (name == null) return false;
  const backend = tf.engine().backend as unknown as DataBackend;
  const cpu = name === 'cpu';
  const ex = cpu ? null : wasmKernelsFor(backend);
  if (!cpu && (ex == null || !canRekey(backend as WasmBackend))) return false;
  const o = inner as unknown as TfjsOptimizerFields;
  const entries = plan(kind, o, names, grads, backend, cpu);
  if (entries == null) return false;
  const d = f(decay);
  if (cpu) applyCpu(kind, o, entries, backend as CpuBackend, d);
  else applyWasm(kind, o, entries, backend as WasmBackend, ex as ClipWasmExports, d);
  o.incrementIterations();
  fusedUpdates.steps += 1;
  return true;
}

const f = Math.fround;

function adamConstants(o: TfjsOptimizerFields, accBeta1: number, accBeta2: number): AdamConstants {
  return {
    beta1: f(o.beta1),
    oneMinusBeta1: f(1 - o.beta1),
    beta2: f(o.beta2),
    oneMinusBeta2: f(1 - o.beta2),
    oneMinusAccBeta1: f(1 - accBeta1),
    oneMinusAccBeta2: f(1 - accBeta2),
    epsilon: f(o.epsilon),
    negLr: f(-o.learningRate),
  };
}

function rmspropConstants(o: TfjsOptimizerFields): RmspropConstants {
  return { decay: f(o.decay), oneMinusDecay: f(1 - o.decay), learningRate: f(o.learningRate), momentum: f(o.momentum), epsilon: f(o.epsilon) };
}

/**
 * Adamax's float32 constants for one step: tfjs computes `lr_t = -lr / (iteration * decay + 1)`
 * and `k = lr_t / (1 - accBeta1)` as float32 tensor ops.
 */
function adamaxConstants(o: TfjsOptimizerFields, iteration: number, accBeta1: number): { beta1: number; oneMinusBeta1: number; beta2: number; epsilon: number; k: number } {
  const lrT = f(f(-o.learningRate) / f(f(iteration * f(o.decay)) + 1));
  return { beta1: f(o.beta1), oneMinusBeta1: f(1 - o.beta1), beta2: f(o.beta2), epsilon: f(o.epsilon), k: f(lrT / f(1 - accBeta1)) };
}

function adadeltaConstants(o: TfjsOptimizerFields): { rho: number; oneMinusRho: number; epsilon: number; negLr: number } {
  return { rho: f(o.rho), oneMinusRho: f(1 - o.rho), epsilon: f(o.epsilon), negLr: f(-o.learningRate) };
}

/** Adagrad's epsilon: tfjs reads `ENGINE.backend.epsilon()` at every step. */
function backendEpsilon(): number {
  return f((tf.engine().backend as unknown as { epsilon(): number }).epsilon());
}

// ---- wasm --------------------------------------------------------------------------------------

function heapOf(backend: WasmBackend, t: tf.Tensor): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function offset(backend: WasmBackend, t: tf.Tensor): number {
  return (backend.dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset;
}

/** {@link rekey} for a variable and its slots after their in-place update. */
function rekeyEntry(backend: WasmBackend, w: tf.Variable, slots: readonly tf.Variable[]): void {
  rekey(backend, w);
  for (const slot of slots) rekey(backend, slot);
}

/** Weight decay in place before the step: `w = w * decay` (float32), nothing when `decay` is 1. */
function decayWasm(backend: WasmBackend, ex: ClipWasmExports, w: tf.Variable, decay: number): void {
  if (decay === 1) return;
  const p = offset(backend, w);
  ex.scale(p, p, w.size, decay);
}

function applyWasm(kind: Kind, o: TfjsOptimizerFields, entries: Entry[], backend: WasmBackend, ex: ClipWasmExports, decay: number): void {
  if (kind === 'adam') {
    const k = adamConstants(o, heapOf(backend, o.accBeta1)[0], heapOf(backend, o.accBeta2)[0]);
    for (const { w, g, slots } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.adam(
        offset(backend, w), offset(backend, g), offset(backend, slots[0]), offset(backend, slots[1]), w.size,
        k.beta1, k.oneMinusBeta1, k.beta2, k.oneMinusBeta2, k.oneMinusAccBeta1, k.oneMinusAccBeta2, k.epsilon, k.negLr,
      );
      rekeyEntry(backend, w, slots);
    }
    // Views taken afresh: a call into the wasm module (rekey) may have grown and moved the heap.
    const b1 = heapOf(backend, o.accBeta1);
    b1[0] = f(b1[0] * k.beta1);
    const b2 = heapOf(backend, o.accBeta2);
    b2[0] = f(b2[0] * k.beta2);
    rekey(backend, o.accBeta1);
    rekey(backend, o.accBeta2);
    return;
  }
  if (kind === 'rmsprop') {
    const k = rmspropConstants(o);
    for (const { w, g, slots } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      const [s, a, mg] = slots;
      ex.rmsprop(
        offset(backend, w), offset(backend, g), offset(backend, s), offset(backend, a), mg == null ? 0 : offset(backend, mg), w.size,
        k.decay, k.oneMinusDecay, k.learningRate, k.momentum, k.epsilon, mg == null ? 0 : 1,
      );
      rekeyEntry(backend, w, slots);
    }
    return;
  }
  if (kind === 'adadelta') {
    const k = adadeltaConstants(o);
    for (const { w, g, slots } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.adadelta(offset(backend, w), offset(backend, g), offset(backend, slots[0]), offset(backend, slots[1]), w.size, k.rho, k.oneMinusRho, k.epsilon, k.negLr);
      rekeyEntry(backend, w, slots);
    }
    return;
  }
  if (kind === 'adamax') {
    const k = adamaxConstants(o, heapOf(backend, o.iteration)[0], heapOf(backend, o.accBeta1)[0]);
    for (const { w, g, slots } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.adamax(offset(backend, w), offset(backend, g), offset(backend, slots[0]), offset(backend, slots[1]), w.size, k.beta1, k.oneMinusBeta1, k.beta2, k.epsilon, k.k);
      rekeyEntry(backend, w, slots);
    }
    const it = heapOf(backend, o.iteration);
    it[0] = f(it[0] + 1);
    const b1 = heapOf(backend, o.accBeta1);
    b1[0] = f(b1[0] * k.beta1);
    rekey(backend, o.iteration);
    rekey(backend, o.accBeta1);
    return;
  }
  if (kind === 'adagrad') {
    const eps = backendEpsilon();
    const nlr = f(-o.learningRate);
    for (const { w, g, slots } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.adagrad(offset(backend, w), offset(backend, g), offset(backend, slots[0]), w.size, eps, nlr);
      rekeyEntry(backend, w, slots);
    }
    return;
  }
  const c = heapOf(backend, o.c)[0];
  if (kind === 'sgd') {
    for (const { w, g } of entries) {
      if (w.size === 0) continue;
      decayWasm(backend, ex, w, decay);
      ex.sgd(offset(backend, w), offset(backend, g), w.size, c);
      rekey(backend, w);
    }
    return;
  }
  const m = heapOf(backend, o.m)[0];
  const nesterov = o.useNesterov ? 1 : 0;
  for (const { w, g, slots } of entries) {
    if (w.size === 0) continue;
    decayWasm(backend, ex, w, decay);
    ex.momentum(offset(backend, w), offset(backend, g), offset(backend, slots[0]), w.size, m, c, nesterov);
    rekeyEntry(backend, w, slots);
  }
}

// ---- cpu ---------------------------------------------------------------------------------------

function valuesOf(backend: CpuBackend, t: tf.Tensor): Float32Array {
  return (backend.data.get(t.dataId) as { values: Float32Array }).values;
}

/**
 * Runs `compute(ins, outs)` for the variables `vs`: each output is the variable's own array when
 * the update may overwrite it in place, else a new array swapped in afterwards.
 */
function update(backend: CpuBackend, vs: tf.Variable[], compute: (ins: Float32Array[], outs: Float32Array[]) => void, decay = 1): void {
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

function applyCpu(kind: Kind, o: TfjsOptimizerFields, entries: Entry[], backend: CpuBackend, decay: number): void {
  if (kind === 'adam') {
    const k = adamConstants(o, valuesOf(backend, o.accBeta1)[0], valuesOf(backend, o.accBeta2)[0]);
    for (const { w, g, slots } of entries) {
      const gv = valuesOf(backend, g);
      update(backend, [w, slots[0], slots[1]], ([wi, mi, vi], [wo, mo, vo]) => adamLoop(wi, wo, gv, mi, mo, vi, vo, k), decay);
    }
    update(backend, [o.accBeta1, o.accBeta2], ([a1, a2], [o1, o2]) => {
      o1[0] = f(a1[0] * k.beta1);
      o2[0] = f(a2[0] * k.beta2);
    });
    return;
  }
  if (kind === 'rmsprop') {
    const k = rmspropConstants(o);
    for (const { w, g, slots } of entries) {
      const gv = valuesOf(backend, g);
      update(backend, [w, ...slots], ([wi, si, ai, mgi], [wo, so, ao, mgo]) =>
        rmspropLoop(wi, wo, gv, si, so, ai, ao, mgi ?? null, mgo ?? null, k),
        decay,
      );
    }
    return;
  }
  if (kind === 'adadelta') {
    const k = adadeltaConstants(o);
    for (const { w, g, slots } of entries) {
      const gv = valuesOf(backend, g);
      update(backend, [w, slots[0], slots[1]], ([wi, agi, aui], [wo, ago, auo]) =>
        adadeltaLoop(wi, wo, gv, agi, ago, aui, auo, k.rho, k.oneMinusRho, k.epsilon, k.negLr),
        decay,
      );
    }
    return;
  }
  if (kind === 'adamax') {
    const k = adamaxConstants(o, valuesOf(backend, o.iteration)[0], valuesOf(backend, o.accBeta1)[0]);
    for (const { w, g, slots } of entries) {
      const gv = valuesOf(backend, g);
      update(backend, [w, slots[0], slots[1]], ([wi, mi, ui], [wo, mo, uo]) =>
        adamaxLoop(wi, wo, gv, mi, mo, ui, uo, k.beta1, k.oneMinusBeta1, k.beta2, k.epsilon, k.k),
        decay,
      );
    }
    update(backend, [o.iteration, o.accBeta1], ([it, a1], [ito, a1o]) => {
      ito[0] = f(it[0] + 1);
      a1o[0] = f(a1[0] * k.beta1);
    });
    return;
  }
  if (kind === 'adagrad') {
    const eps = backendEpsilon();
    const nlr = f(-o.learningRate);
    for (const { w, g, slots } of entries) {
      const gv = valuesOf(backend, g);
      update(backend, [w, slots[0]], ([wi, ci], [wo, co]) => adagradLoop(wi, wo, gv, ci, co, eps, nlr), decay);
    }
    return;
  }
  const c = valuesOf(backend, o.c)[0];
  if (kind === 'sgd') {
    for (const { w, g } of entries) {
      const gv = valuesOf(backend, g);
      update(backend, [w], ([wi], [wo]) => sgdLoop(wi, wo, gv, c), decay);
    }
    return;
  }
  const m = valuesOf(backend, o.m)[0];
  for (const { w, g, slots } of entries) {
    const gv = valuesOf(backend, g);
    update(backend, [w, slots[0]], ([wi, ai], [wo, ao]) => momentumLoop(wi, wo, gv, ai, ao, m, c, o.useNesterov), decay);
  }
}
