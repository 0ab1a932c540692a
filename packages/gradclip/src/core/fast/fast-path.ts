/**
 * The internal fast path of the clipping hot loop: when the active backend is `cpu` or `wasm`
 * (and no gradient tape is recording), Σx², the scale-multiply and the value clamp run as one
 * fused kernel over every tensor of a gradient list (see fused-kernels.ts). Elsewhere (webgl,
 * webgpu, tfjs-node, inside `tf.grad`) every function here returns `null` and the caller uses
 * the tfjs composition, with the same semantics.
 *
 * Semantics kept from the composition:
 * - Σx² is returned as a float32 scalar, so a total above float32's max is `inf` (the anchors'
 *   overflow, e.g. `overflow_1e20`), and inf/NaN propagate. It is accumulated in float64, so it is
 *   *more* accurate than the float32 reduction (norm relative error ~1e-7 instead of ~1e-4 at 1M).
 * - `x * s` and `min(max(x, -c), c)` are bit-identical to tfjs's kernels (NaN, ±0, ±inf included).
 * - Non-float32 inputs are cast to float32 first, as `toFloat()` does.
 *
 * The fast path is gated by one switch (internals/fast-path-switch.ts: `setFastPath`,
 * `GRADCLIP_FAST_PATH=0`, the capability check). Nothing is set up at import: the first call of
 * {@link fastPathBackend} on a cpu or wasm backend instance checks it, hooks it (cpu), registers
 * the fused kernels and runs their probe once per backend kind.
 */
import * as tf from '@tensorflow/tfjs';
import type { MaybeTensor } from '../grad-forms.js';
import {
  CLAMP_VALUE_KERNEL,
  foldedClip,
  KERAS_CLIP_STATS_KERNEL,
  SCALE_KERNEL,
  SUMS_OF_SQUARES_KERNEL,
  SUM_OF_SQUARES_KERNEL,
  ensureFusedKernels,
  removeFusedKernels,
  wasmKernelsFor,
  type FusedBackendName,
  type KerasClipMode,
} from './fused-kernels.js';
import { cpuInPlaceMode, trackCpuBackend, untrackCpuBackends, wrapCpuFactory } from './cpu-buffer-pool.js';
import { probeFusedKernels } from './kernel-probe.js';
import {
  disableFastPathForProcess,
  fastPathOffReason,
  fastPathOn,
  markProbePassed,
  noteInstalled,
  onFastPathOff,
  onFastPathRequested,
  probePassed,
  setFastPath,
} from '../../internals/fast-path-switch.js';
import { cpuBackendMismatch, cpuValues, registeredVariableList, wasmBackendMismatch } from '../../internals/tfjs-internals.js';

export type { KerasClipMode } from './fused-kernels.js';

let inPlaceOn = true;
/** The cpu / wasm backend instance the fast path was last set up on (checked, hooked, kernels registered). */
let cpuReady: object | null = null;
let wasmReady: object | null = null;

onFastPathOff(() => {
  cpuReady = null;
  wasmReady = null;
  removeFusedKernels();
  untrackCpuBackends();
});

// setFastPath(true): set up the active backend at once (on cpu, before the caller makes tensors,
// so that its buffers are counted from the start), and wrap the cpu factory so that a cpu backend
// made later (e.g. by the first tensor, or tf.setBackend('cpu')) is counted from its first tensor.
onFastPathRequested(() => {
  noteInstalled();
  wrapCpuFactory();
  const engine = tf.engine();
  const name = engine.backendName;
  if (name !== 'cpu' && name !== 'wasm') return; // (also: no backend initialised yet)
  let backend: object;
  try {
    backend = engine.backend;
  } catch {
    return; // its asynchronous initialisation is still running: set up at first use
  }
  if (backend !== (name === 'cpu' ? cpuReady : wasmReady)) setUp(name, backend);
});

/**
 * Sets the fast path up on `backend` (the active `kind` backend): checks that it looks like TF.js
 * 4.22's, hooks it (cpu; and wraps the cpu factory), registers the fused kernels and, once per
 * kind, runs the probe. False when the fast path cannot run there: no SIMD module on wasm (the
 * composition is used, as on other backends), or a failed check (the fast path is then off for
 * the process).
 */
function setUp(kind: FusedBackendName, backend: object): boolean {
  const mismatch = kind === 'cpu' ? cpuBackendMismatch(backend) : wasmBackendMismatch(backend);
  if (mismatch != null) {
    disableFastPathForProcess(mismatch, kind);
    return false;
  }
  if (kind === 'wasm' && wasmKernelsFor(backend) == null) return false; // e.g. an engine without SIMD128
  noteInstalled();
  if (kind === 'cpu') trackCpuBackend(backend);
  ensureFusedKernels(kind);
  if (!probePassed(`kernels:${kind}`)) {
    const why = probeFusedKernels(kind);
    if (why != null) {
      disableFastPathForProcess(why, kind);
      return false;
    }
    markProbePassed(`kernels:${kind}`);
  }
  if (kind === 'cpu') cpuReady = backend;
  else wasmReady = backend;
  return true;
}

/**
 * Turns the fast path on or off for the whole process (tests and benchmarks compare both): the
 * same switch as the public {@link setFastPath}.
 *
 * @returns The previous setting.
 */
export function setFastPathEnabled(on: boolean): boolean {
  return setFastPath(on);
}

/** Whether the fast path is on (it is by default; see `fastPathStatus`). */
export function fastPathEnabled(): boolean {
  return fastPathOn();
}

/**
 * The backend whose fused kernels the next clip would use, or null for the composition: the fast
 * path must be on (switch, environment, capability check), the active backend `cpu` or `wasm`
 * (with the SIMD module loadable), and no gradient tape recording (the kernels have no gradient).
 * The first call on a backend sets the fast path up there (see `setUp`).
 */
export function fastPathBackend(): FusedBackendName | null {
  if (!fastPathOn()) return null;
  const engine = tf.engine();
  if (engine.isTapeOn()) return null;
  const name = engine.backendName;
  if (name === 'cpu') {
    const backend = engine.backend;
    if (backend !== cpuReady && !setUp('cpu', backend)) return null;
    return 'cpu';
  }
  if (name === 'wasm') {
    const backend = engine.backend;
    if (backend !== wasmReady && !setUp('wasm', backend)) return null;
    return 'wasm';
  }
  return null;
}

/**
 * Turns in-place clipping inside `ClippedOptimizer.minimize` on or off for the whole process
 * (tests and benchmarks compare both; the results are bit-identical). The public `clipGradNorm_` /
 * `clipGradValue_` always work in place.
 *
 * @returns The previous setting.
 */
export function setInPlaceEnabled(on: boolean): boolean {
  const before = inPlaceOn;
  inPlaceOn = on;
  return before;
}

/** Whether the optimizer wrapper may clip its own temporary gradients in place (it may by default). */
export function inPlaceEnabled(): boolean {
  return inPlaceOn;
}

/** Tensors the fused kernels have overwritten in place so far (for tests and benchmarks). */
export { inPlaceWrites } from './fused-kernels.js';

/** Why the fast path (hence in-place clipping) is off now. */
function noFastPathReason(): string {
  const engine = tf.engine();
  const off = fastPathOffReason();
  if (off != null) return `the fast path is disabled (${off})`;
  if (engine.isTapeOn()) return 'a gradient tape is recording (inside tf.grad / tf.variableGrads)';
  return `the active backend '${engine.backendName}' has no in-place clipping kernels (cpu and wasm have)`;
}

/**
 * For each of `xs`, how the in-place kernels may write it: 1 = into its data; 2 = (cpu) into a new
 * array that replaces its data; or, as a string, why it cannot be written in place. The rule: the
 * fused fast path is active (cpu or wasm, no tape); the tensor is a live float32 tensor, not a
 * `tf.Variable`; on the active backend its data has reference count 1 (no other tensor — a clone,
 * a reshape, a variable made or assigned from it — shares it) and is not a registered variable's;
 * it appears once in `xs`; and on cpu its typed array is not a Slice view nor viewed by another
 * live tensor (see `cpuInPlaceMode`: an array older than the cpu hooks, whose sharing they cannot
 * know, is replaced instead of written). On wasm a tensor's data is its own block of the heap, so
 * the reference count is the whole story there.
 *
 * `variables`: `'all'` compares every tensor's data with every registered variable's; or the
 * variable each of `xs` is the gradient of (null where unknown), compared one to one (cheaper).
 */
export function inPlaceModes(xs: readonly tf.Tensor[], variables: 'all' | readonly (tf.Variable | null)[] = 'all'): (1 | 2 | string)[] {
  const name = fastPathBackend();
  const engine = tf.engine();
  const backend = engine.backend;
  let variableData: Map<object, string> | null = null;
  const firstIndex = new Map<object, number>();
  return xs.map((x, i) => {
    if (x.isDisposed) return 'it is disposed';
    if (x.dtype !== 'float32') return `its dtype is ${x.dtype}, not float32`;
    if (name == null) return noFastPathReason();
    if (x instanceof tf.Variable) return 'it is a tf.Variable (a parameter, not a gradient)';
    const j = firstIndex.get(x.dataId);
    if (j != null) return `it is the same tensor as (or shares its data with) entry ${j}`;
    firstIndex.set(x.dataId, i);
    const rc = backend.refCount(x.dataId);
    if (rc === 0) return `its data is not on the active '${name}' backend`;
    if (rc > 1) return `its data is shared with ${rc - 1} other tensor(s) (reference count ${rc}: e.g. a clone, a reshape, or a variable made or assigned from it)`;
    // Implied by the reference count (every variable holds a reference to its current data, see
    // Engine.makeVariable / Variable.assign), and checked anyway: against every registered variable,
    // or, from the optimizer wrapper (whose per-step budget is a few µs), against the variables the
    // gradients belong to.
    if (variables === 'all') {
      if (variableData == null) {
        variableData = new Map();
        for (const v of registeredVariableList()) variableData.set(v.dataId, v.name);
      }
      const owner = variableData.get(x.dataId);
      if (owner != null) return `its data is the value of the variable '${owner}'`;
    } else {
      const v = variables[i];
      if (v != null && v.dataId === x.dataId) return `its data is the value of the variable '${v.name}'`;
    }
    if (name === 'cpu') {
      const values = cpuValues(backend, x.dataId);
      const mode = values instanceof Float32Array ? cpuInPlaceMode(backend, values) : 'shared';
      if (mode === 'shared') return 'on the cpu backend its array is a view of, or is viewed by, another tensor (e.g. a slice)';
      return mode === 'swap' ? 2 : 1;
    }
    return 1;
  });
}

/**
 * For each of `xs`, why its data cannot be overwritten in place on the active backend, or null
 * when it can (see {@link inPlaceModes}).
 */
export function inPlaceBlockers(xs: readonly tf.Tensor[], variables: 'all' | readonly (tf.Variable | null)[] = 'all'): (string | null)[] {
  return inPlaceModes(xs, variables).map((m) => (typeof m === 'string' ? m : null));
}

/**
 * The `inPlace` kernel flags (1 or 2 each) for tensors that passed {@link inPlaceBlockers}: from
 * `modes` (what {@link inPlaceModes} returned for them, nothing having changed since), or checked again.
 */
function flagsOf(xs: readonly tf.Tensor[], modes: readonly (1 | 2 | string)[] = inPlaceModes(xs)): number[] {
  return modes.map((m, i) => {
    if (typeof m === 'string') throw new Error(`gradclip internal error: entry ${i} cannot be modified in place: ${m}`);
    return m;
  });
}

function asFloat32(xs: readonly tf.Tensor[]): tf.Tensor[] {
  return xs.map((x) => (x.dtype === 'float32' ? x : x.toFloat()));
}

/** True when every tensor is float32 (then a kernel can run on them without casts, hence without a tidy scope). */
function allFloat32(xs: readonly tf.Tensor[]): boolean {
  for (const x of xs) if (x.dtype !== 'float32') return false;
  return true;
}

function run(kernel: string, inputs: tf.Tensor[], attrs: tf.NamedAttrMap = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(kernel, inputs as unknown as tf.NamedTensorMap, attrs) as tf.Tensor | tf.Tensor[];
}

function asList(out: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(out) ? out : [out];
}

/**
 * `Σ_i Σ x_i²` over all `xs` as one float32 scalar, or null when the fast path does not apply.
 * An empty list gives 0.
 */
export function fusedSumOfSquares(xs: readonly tf.Tensor[]): tf.Scalar | null {
  if (fastPathBackend() == null) return null;
  if (xs.length === 0) return tf.scalar(0);
  // No scope when nothing is cast: the kernel makes only its output (this runs every training step).
  if (allFloat32(xs)) return run(SUM_OF_SQUARES_KERNEL, xs as tf.Tensor[]) as tf.Scalar;
  return tf.tidy(() => run(SUM_OF_SQUARES_KERNEL, asFloat32(xs)) as tf.Scalar);
}

/**
 * `[Σ x_0², …, Σ x_{n-1}²]` as one float32 vector (each sum rounded once), or null when the fast
 * path does not apply.
 */
export function fusedSumsOfSquares(xs: readonly tf.Tensor[]): tf.Tensor1D | null {
  if (fastPathBackend() == null) return null;
  if (xs.length === 0) return tf.tensor1d([], 'float32');
  if (allFloat32(xs)) return run(SUMS_OF_SQUARES_KERNEL, xs as tf.Tensor[]) as tf.Tensor1D;
  return tf.tidy(() => run(SUMS_OF_SQUARES_KERNEL, asFloat32(xs)) as tf.Tensor1D);
}

/**
 * `x_i * scale` for each of `xs` (new float32 tensors), or null when the fast path does not apply.
 * `scale` is a scalar (one scale for all) or a vector of `xs.length` scales (one per tensor), read
 * on the device by the kernel: no host sync.
 */
export function fusedScale(xs: readonly tf.Tensor[], scale: tf.Scalar | tf.Tensor1D): tf.Tensor[] | null {
  if (fastPathBackend() == null) return null;
  if (scale.rank !== 0 && !(scale.rank === 1 && scale.size === xs.length)) return null;
  if (xs.length === 0) return [];
  return tf.tidy(() => asList(run(SCALE_KERNEL, [...asFloat32(xs), scale.dtype === 'float32' ? scale : scale.toFloat()])));
}

/**
 * `x_i * scales[i]` for each of `xs` (new float32 tensors; each scale rounded to float32, as a
 * float32 scale tensor would hold it), or null when the fast path does not apply. The scales come
 * from the host as a kernel attribute: no scale tensor is made. Bit-identical to {@link fusedScale}.
 */
export function fusedScaleBy(xs: readonly tf.Tensor[], scales: readonly number[]): tf.Tensor[] | null {
  if (fastPathBackend() == null || scales.length !== xs.length) return null;
  if (xs.length === 0) return [];
  if (allFloat32(xs)) return asList(run(SCALE_KERNEL, xs as tf.Tensor[], { scales: [...scales] }));
  return tf.tidy(() => asList(run(SCALE_KERNEL, asFloat32(xs), { scales: [...scales] })));
}

/** `min(max(x_i, -c), c)` for each of `xs` (new float32 tensors), or null when the fast path does not apply. */
export function fusedClampValue(xs: readonly tf.Tensor[], clipValue: number): tf.Tensor[] | null {
  if (fastPathBackend() == null) return null;
  if (xs.length === 0) return [];
  return tf.tidy(() => asList(run(CLAMP_VALUE_KERNEL, asFloat32(xs), { clipValue })));
}

/**
 * Multiplies each of `xs` by `scale` (a scalar, or one scale per tensor) *in place*, as one fused
 * kernel call. Every tensor must have passed {@link inPlaceBlockers}; `modes`: what
 * {@link inPlaceModes} returned for them (else they are checked again, to choose how to write).
 * Bit-identical to {@link fusedScale}.
 */
export function scaleInPlace(xs: readonly tf.Tensor[], scale: tf.Scalar | tf.Tensor1D, modes?: readonly (1 | 2 | string)[]): void {
  if (xs.length === 0) return;
  const inPlace = flagsOf(xs, modes);
  tf.tidy(() => {
    const s = scale.dtype === 'float32' ? scale : scale.toFloat();
    run(SCALE_KERNEL, [...xs, s], { inPlace });
  });
}

/**
 * Clamps each of `xs` to `[-clipValue, clipValue]` *in place*, as one fused kernel call. Every
 * tensor must have passed {@link inPlaceBlockers} (`modes`: as for {@link scaleInPlace}).
 * Bit-identical to {@link fusedClampValue}.
 */
export function clampInPlace(xs: readonly tf.Tensor[], clipValue: number, modes?: readonly (1 | 2 | string)[]): void {
  if (xs.length === 0) return;
  run(CLAMP_VALUE_KERNEL, [...xs], { clipValue, inPlace: flagsOf(xs, modes) });
}

/**
 * Multiplies every present gradient of `list` by `scale` (holes kept): one fused kernel on
 * cpu/wasm, `tf.mul(g.toFloat(), scale)` per tensor elsewhere. `scale` is a scalar, or a vector
 * with one scale per *present* gradient (a per-variable clip). Call inside `tf.tidy`.
 */
export function scalePresent(list: readonly MaybeTensor[], scale: tf.Scalar | tf.Tensor1D): MaybeTensor[] {
  const xs = list.filter((t): t is tf.Tensor => t != null);
  const fused = fusedScale(xs, scale);
  let k = 0;
  if (fused == null) {
    const scales = scale.rank === 0 ? null : tf.unstack(scale);
    return list.map((t) => (t == null ? t : tf.mul(t.toFloat(), scales == null ? scale : scales[k++])));
  }
  return list.map((t) => (t == null ? t : fused[k++]));
}

/**
 * Clamps every present gradient of `list` to `[-clipValue, clipValue]` (holes kept): one fused
 * kernel on cpu/wasm, `minimum(maximum(g, -c), c)` per tensor elsewhere. Call inside `tf.tidy`.
 */
export function clampPresent(list: readonly MaybeTensor[], clipValue: number): MaybeTensor[] {
  const xs = list.filter((t): t is tf.Tensor => t != null);
  const fused = fusedClampValue(xs, clipValue);
  // g (possibly NaN) is the first operand of both ops: tfjs-wasm propagates NaN only from there.
  if (fused == null) return list.map((g) => (g == null ? g : tf.minimum(tf.maximum(g.toFloat(), -clipValue), clipValue)));
  let k = 0;
  return list.map((t) => (t == null ? t : fused[k++]));
}

/** What {@link fusedKerasClip} returns. */
export interface FusedKerasClip {
  grads: MaybeTensor[];
  /** Every measurement in one float32 vector, laid out as `PACKED` / `PACKED_STATS_HEADER` say. */
  packed: tf.Tensor1D;
  /**
   * With `fold`: the clip left undone for the fused update — per entry of the list its float32
   * scale (1 for holes), or the float32 bound of a value clip — or null when it changes nothing
   * (then `grads` are the inputs and nothing remains to do). Without `fold`: null.
   */
  fold: { scales: Float32Array | null; clampValue: number | null } | null;
}

/**
 * A whole Keras 3 clipping step as one fused kernel (`GradclipKerasClipStats`): it measures
 * everything (Σx² per tensor, norms, the clip flag, the non-finite count; returned packed in one
 * float32 vector) and writes scaled or
 * clamped gradients only when that changes them. When it would not (every scale exactly 1, or no
 * entry outside `[-c, c]`), the present gradients of `list` are returned as they are, not
 * copied: `g * 1` and such a clamp are the identity, bit for bit.
 *
 * Null when the fast path does not apply (backend, tape), when no gradient is present, or when a
 * gradient is not float32 (the caller uses the composition). Call inside `tf.tidy`.
 *
 * `inPlace`: false, or the variable of each entry of `list` (null where unknown): then gradients
 * that pass {@link inPlaceBlockers} are overwritten in place instead of copied.
 */
export function fusedKerasClip(
  list: readonly MaybeTensor[],
  mode: KerasClipMode,
  c: number,
  inPlace: false | readonly (tf.Variable | null)[] = false,
  fold = false,
): FusedKerasClip | null {
  if (fastPathBackend() == null) return null;
  const xs = list.filter((t): t is tf.Tensor => t != null);
  if (xs.length === 0 || xs.some((x) => x.dtype !== 'float32')) return null;
  // In place: the gradients that pass the safety rule are overwritten, the others copied.
  let flags: number[] = [];
  if (inPlace !== false && mode !== 'none') {
    const vars = inPlace.filter((_, i) => list[i] != null);
    flags = inPlaceModes(xs, vars).map((m) => (typeof m === 'string' ? 0 : m));
  }
  const attrs: tf.NamedAttrMap = { mode, c: mode === 'none' ? 0 : c };
  if (fold) attrs.fold = true;
  else if (flags.some((f) => f !== 0)) attrs.inPlace = flags;
  const out = run(KERAS_CLIP_STATS_KERNEL, xs, attrs) as tf.Tensor[];
  const packed = out[0] as tf.Tensor1D;
  if (fold) {
    const { scales, clampValue } = foldedClip;
    foldedClip.scales = null;
    if (scales == null && clampValue == null) return { grads: [...list], packed, fold: null };
    // Scales per present gradient -> per entry of the list (holes: 1).
    let perEntry: Float32Array | null = null;
    if (scales != null) {
      perEntry = new Float32Array(list.length).fill(1);
      let k = 0;
      for (let i = 0; i < list.length; ++i) if (list[i] != null) perEntry[i] = scales[k++];
    }
    return { grads: [...list], packed, fold: { scales: perEntry, clampValue } };
  }
  // Outputs 1… are the clipped copies of the unflagged gradients, when the kernel wrote anything
  // (the flagged ones were then overwritten); without them every gradient is unchanged.
  let grads: MaybeTensor[] = [...list];
  if (out.length > 1) {
    let k = 1;
    let i = 0;
    grads = list.map((t) => (t == null ? t : (flags[i++] ?? 0) !== 0 ? t : out[k++]));
  }
  return { grads, packed, fold: null };
}
