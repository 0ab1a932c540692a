/**
 * Output buffers of the fused kernels on the tfjs `cpu` backend, recycled.
 *
 * Every clip must return new tensors, and on Linux a freshly allocated large Float32Array is
 * backed by pages that fault in on first write (measured ~12 µs per 4 KiB page on the 2-core
 * development VM: 120 ms to allocate and fill 40 MB, 3 ms to fill it again). A training loop
 * clips every step and disposes the previous step's clipped copies, so those buffers are handed
 * back here and reused, already faulted in.
 *
 * A buffer is recycled only while nothing outside the backend can see it. The cpu backend is
 * hooked (once per backend instance) so that a buffer "escapes" — and is never recycled — when:
 * its tensor's data is read (`readSync`/`read`: `dataSync()`, `data()`, `array()`, `print()`,
 * backend moves, `bufferSync` in kernels), or a view of it becomes another tensor's data
 * (`makeTensorInfo`/`write`: e.g. the cpu Slice kernel returns subarrays). It is handed back when
 * the backend deletes its data (`disposeData` with the reference count at 0). Small arrays
 * (< 64 KiB) are not pooled, and the free list holds at most the largest bytes one call has
 * asked for (capped at 1 GiB). {@link releaseCpuBufferPool} empties it.
 *
 * The same hooks count, for every ArrayBuffer, how many live tensor data entries of the backend
 * wrap it (whole or as a view): {@link cpuInPlaceMode} tells the in-place clipping whether
 * writing into a tensor's array can change any other tensor. Nothing is hooked at import: the
 * hooks are installed on the active cpu backend when the fast path is first used on it, and the
 * cpu backend factory is wrapped then so that an instance made later is hooked from its first
 * tensor ({@link trackCpuBackend}); turning the fast path off removes them
 * ({@link untrackCpuBackends}). Arrays of tensors made before the hooks are of unknown sharing:
 * they are never written into, only replaced (see {@link cpuInPlaceMode}). All access to the
 * backend's internals goes through internals/tfjs-internals.ts.
 */
import type * as tf from '@tensorflow/tfjs';

import {
  cpuDataCount,
  cpuReplaceValues,
  cpuValues,
  patchCpuBackend,
  wrapBackendFactory,
  type CpuBackendHooks,
} from '../../internals/tfjs-internals.js';

/** Arrays shorter than this are plain allocations (V8's young heap is cheap for them). */
const MIN_POOLED = 16384;
const MAX_FREE_BYTES = 1 << 30;

/**
 * What the hooks have learnt since they were installed. Replaced by a fresh one when the fast path
 * is turned off (the hooks are removed then, so what they counted goes stale).
 */
interface Tracking {
  /** Buffers owned by pooled tensors that nothing outside the backend has seen. */
  owned: WeakSet<ArrayBufferLike>;
  /** Live tensor data entries (of hooked backends) that wrap each buffer, whole or as a view. */
  wraps: WeakMap<ArrayBufferLike, number>;
  /** Arrays the `write` hook has seen become tensor data. */
  seen: WeakSet<object>;
  /** Backends hooked while they held no data: every buffer of theirs is counted in `wraps`. */
  countedFromStart: WeakSet<object>;
  /**
   * Buffers gradclip allocated while the hooks were in place (pool outputs, swapped-in arrays):
   * every tensor data entry that wraps one has been counted, whenever its backend was hooked.
   */
  ours: WeakSet<ArrayBufferLike>;
  /**
   * Arrays the fused optimizer update made and swapped into variables' data entries, that nothing
   * outside the backend has seen since (a read, or a view of them becoming a tensor, removes them).
   */
  updatable: WeakSet<ArrayBufferLike>;
}

function newTracking(): Tracking {
  return { owned: new WeakSet(), wraps: new WeakMap(), seen: new WeakSet(), countedFromStart: new WeakSet(), ours: new WeakSet(), updatable: new WeakSet() };
}

let t = newTracking();
const free = new Map<number, Float32Array[]>();
let freeBytes = 0;
let limitBytes = 0;

function escape(values: unknown): void {
  if (ArrayBuffer.isView(values)) {
    t.owned.delete(values.buffer);
    t.updatable.delete(values.buffer);
  }
}

function uncount(values: unknown): void {
  if (!ArrayBuffer.isView(values)) return;
  const k = t.wraps.get(values.buffer);
  if (k == null) return;
  if (k <= 1) t.wraps.delete(values.buffer);
  else t.wraps.set(values.buffer, k - 1);
}

const HOOKS: CpuBackendHooks = {
  beforeDispose() {},
  afterDispose(v, deleted) {
    if (!deleted) return;
    uncount(v);
    if (v instanceof Float32Array && t.owned.has(v.buffer)) {
      t.owned.delete(v.buffer);
      giveBack(v);
    }
  },
  onRead: escape,
  beforeWrite: escape,
  afterWrite(values) {
    if (ArrayBuffer.isView(values)) {
      t.seen.add(values);
      t.wraps.set(values.buffer, (t.wraps.get(values.buffer) ?? 0) + 1);
    }
  },
};

/** Hooked cpu backend instances, each with the function that removes its hooks. */
const hooked = new Map<object, () => boolean>();
let unwrapFactory: (() => boolean) | null = null;

/**
 * Installs the hooks on a cpu backend instance (idempotent). When it holds no data yet, every
 * buffer it will hold is counted ("from the start"); else its older arrays are of unknown sharing
 * (see {@link cpuInPlaceMode}).
 */
export function hookCpuBackend(backend: object): void {
  if (hooked.has(backend)) return;
  if (cpuDataCount(backend) === 0) t.countedFromStart.add(backend);
  hooked.set(backend, patchCpuBackend(backend, HOOKS));
}

/**
 * Hooks the active cpu backend instance, and wraps the registered cpu backend factory so that an
 * instance made later is hooked from its first tensor on. Called when the fast path is first used
 * on cpu (nothing is hooked at import); {@link untrackCpuBackends} undoes it.
 */
export function trackCpuBackend(backend: object): void {
  hookCpuBackend(backend);
  wrapCpuFactory();
}

/** Wraps the registered cpu backend factory so that every instance it makes is hooked from its first tensor (idempotent). */
export function wrapCpuFactory(): void {
  if (unwrapFactory == null) unwrapFactory = wrapBackendFactory('cpu', hookCpuBackend);
}

/**
 * Removes every hook and the factory wrapper, forgets what they counted and empties the pool (the
 * fast path was turned off).
 */
export function untrackCpuBackends(): void {
  for (const unhook of hooked.values()) unhook();
  hooked.clear();
  unwrapFactory?.();
  unwrapFactory = null;
  t = newTracking();
  releaseCpuBufferPool();
  limitBytes = 0;
}

/** How many cpu backend instances are hooked now, and whether the cpu factory is wrapped (for tests). */
export function cpuHookState(): { backends: number; factoryWrapped: boolean } {
  return { backends: hooked.size, factoryWrapped: unwrapFactory != null };
}

/** Whether `backend` was hooked before it held any data (every buffer of it is counted). */
export function cpuCountedFromStart(backend: object): boolean {
  return t.countedFromStart.has(backend);
}

/**
 * How a cpu tensor's array `values` may be overwritten in place:
 * - `'direct'`: write into it; no other tensor of the backend wraps its buffer (it is whole, the
 *   hooks counted every entry that wraps it — its backend was hooked from the start, or gradclip
 *   allocated it while hooked — and exactly one live entry does);
 * - `'swap'`: its sharing is unknown (the array is older than the hooks): compute into a new
 *   array and make that the tensor's data (other tensors, if any wrap the old array, keep it);
 * - `'shared'`: it is a view of, or viewed by, another live tensor (e.g. a slice): not in place.
 */
export function cpuInPlaceMode(backend: object, values: Float32Array): 'direct' | 'swap' | 'shared' {
  if (values.byteOffset !== 0 || values.byteLength !== values.buffer.byteLength) return 'shared';
  const k = t.wraps.get(values.buffer) ?? 0;
  if (t.countedFromStart.has(backend) || t.ours.has(values.buffer)) return t.seen.has(values) && k === 1 ? 'direct' : 'shared';
  return k >= 2 ? 'shared' : 'swap';
}

/** Whether `values`, the array of a tensor of the cpu `backend`, can be overwritten directly (see {@link cpuInPlaceMode}). */
export function cpuDataExclusive(backend: object, values: Float32Array): boolean {
  return cpuInPlaceMode(backend, values) === 'direct';
}

function giveBack(v: Float32Array): void {
  if (freeBytes + v.byteLength > limitBytes) return; // let the GC have it
  const list = free.get(v.length);
  if (list == null) free.set(v.length, [v]);
  else list.push(v);
  freeBytes += v.byteLength;
}

/**
 * Float32 output arrays for one kernel call (contents unspecified: the kernel overwrites every
 * element), recycled where possible. Call {@link adoptCpuOutputs} once they are the data of
 * the new tensors.
 */
export function cpuOutputArrays(lengths: readonly number[]): Float32Array[] {
  let bytes = 0;
  for (const n of lengths) if (n >= MIN_POOLED) bytes += 4 * n;
  limitBytes = Math.min(MAX_FREE_BYTES, Math.max(limitBytes, bytes));
  return lengths.map((n) => {
    let v = n < MIN_POOLED ? undefined : free.get(n)?.pop();
    if (v == null) v = new Float32Array(n);
    else freeBytes -= v.byteLength;
    t.ours.add(v.buffer);
    return v;
  });
}

/** Marks arrays from {@link cpuOutputArrays}, now the data of new tensors, as pooled. */
export function adoptCpuOutputs(arrays: readonly Float32Array[]): void {
  for (const v of arrays) if (v.length >= MIN_POOLED) t.owned.add(v.buffer);
}

/** Drops every free buffer (they are garbage-collected); returns the bytes released. */
export function releaseCpuBufferPool(): number {
  const b = freeBytes;
  free.clear();
  freeBytes = 0;
  return b;
}

/** Bytes held in the free list now (for tests and benchmarks). */
export function cpuBufferPoolBytes(): number {
  return freeBytes;
}

/**
 * The array of the cpu tensor data `dataId` when the fused optimizer update may overwrite it in
 * place: the update itself made it ({@link cpuSwapInValues}), nothing outside the backend has
 * seen it since (no `dataSync()`/`data()`/`array()`, no view of it became another tensor), and
 * exactly one tensor data entry, with reference count 1, holds it. Else null (the caller computes
 * into a new array and swaps it in).
 */
export function cpuUpdatableValues(backend: tf.KernelBackend, dataId: object): Float32Array | null {
  const values = cpuValues(backend, dataId);
  if (!(values instanceof Float32Array) || !t.updatable.has(values.buffer)) return null;
  if (backend.refCount(dataId) !== 1 || cpuInPlaceMode(backend, values) !== 'direct') return null;
  return values;
}

/**
 * Makes `values` (a new array nothing else holds, allocated by gradclip) the data of the cpu
 * tensor data `dataId`, in place of its old array (which is left to its other holders, if any, and
 * the GC). Every tensor sharing `dataId` sees the new values, as after `Variable.assign`.
 * `pooled`: the array goes back to the pool when its data is deleted (a clipped gradient's);
 * otherwise the fused optimizer update may overwrite it in place next time (a variable's).
 */
export function cpuSwapInValues(backend: object, dataId: object, values: Float32Array, pooled = false): void {
  const old = cpuReplaceValues(backend, dataId, values);
  if (ArrayBuffer.isView(old)) {
    uncount(old);
    t.owned.delete(old.buffer); // no longer this entry's: never recycled from here
  }
  t.seen.add(values);
  t.ours.add(values.buffer);
  t.wraps.set(values.buffer, (t.wraps.get(values.buffer) ?? 0) + 1);
  if (pooled) {
    if (values.length >= MIN_POOLED) t.owned.add(values.buffer);
  } else {
    t.updatable.add(values.buffer);
  }
}
