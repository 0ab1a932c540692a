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
 * wrap it (whole or as a view): {@link cpuDataExclusive} tells the in-place clipping whether
 * writing into a tensor's array can change any other tensor. The hooks are installed on every cpu
 * backend instance when it is created ({@link trackCpuBackends}, run when gradclip is imported),
 * so arrays of tensors made before that are not counted (and never written in place).
 */

/** What the pool needs from tfjs-backend-cpu's `MathBackendCPU`. */
interface CpuBackendHooks {
  data: { get(dataId: object): { values?: unknown } | undefined; has(dataId: object): boolean };
  disposeData(dataId: object, force?: boolean): boolean;
  numDataIds(): number;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  makeTensorInfo(shape: number[], dtype: string, values?: unknown): unknown;
  write(values: unknown, shape: number[], dtype: string): unknown;
}

/** Arrays shorter than this are plain allocations (V8's young heap is cheap for them). */
const MIN_POOLED = 16384;
const MAX_FREE_BYTES = 1 << 30;

const hooked = new WeakSet<object>();
/** Buffers owned by pooled tensors that nothing outside the backend has seen. */
const owned = new WeakSet<ArrayBufferLike>();
const free = new Map<number, Float32Array[]>();
let freeBytes = 0;
let limitBytes = 0;

/** Live tensor data entries (of hooked backends) that wrap each buffer, whole or as a view. */
const wraps = new WeakMap<ArrayBufferLike, number>();
/** Arrays the `write` hook has seen become tensor data. */
const seen = new WeakSet<object>();
/** Backends hooked while they held no data: every buffer of theirs is counted in `wraps`. */
const countedFromStart = new WeakSet<object>();

/**
 * Arrays the fused optimizer update made and swapped into variables' data entries, that nothing
 * outside the backend has seen since (a read, or a view of them becoming a tensor, removes them).
 */
const updatable = new WeakSet<ArrayBufferLike>();

function escape(values: unknown): void {
  if (ArrayBuffer.isView(values)) {
    owned.delete(values.buffer);
    updatable.delete(values.buffer);
  }
}

function hook(backend: CpuBackendHooks): void {
  if (hooked.has(backend)) return;
  hooked.add(backend);
  if (backend.numDataIds() === 0) countedFromStart.add(backend);
  const { disposeData, readSync, read, makeTensorInfo, write } = backend;
  const valuesOf = (dataId: object): unknown => backend.data.get(dataId)?.values;
  backend.disposeData = function (dataId: object, force?: boolean): boolean {
    const v = valuesOf(dataId);
    const r = disposeData.call(this, dataId, force);
    if (ArrayBuffer.isView(v) && !backend.data.has(dataId)) {
      const k = wraps.get(v.buffer);
      if (k != null) {
        if (k <= 1) wraps.delete(v.buffer);
        else wraps.set(v.buffer, k - 1);
      }
    }
    if (v instanceof Float32Array && owned.has(v.buffer) && !backend.data.has(dataId)) {
      owned.delete(v.buffer);
      giveBack(v);
    }
    return r;
  };
  backend.readSync = function (dataId: object): unknown {
    escape(valuesOf(dataId));
    return readSync.call(this, dataId);
  };
  backend.read = function (dataId: object): Promise<unknown> {
    escape(valuesOf(dataId));
    return read.call(this, dataId);
  };
  backend.makeTensorInfo = function (shape: number[], dtype: string, values?: unknown): unknown {
    escape(values);
    return makeTensorInfo.call(this, shape, dtype, values);
  };
  backend.write = function (values: unknown, shape: number[], dtype: string): unknown {
    escape(values);
    const id = write.call(this, values, shape, dtype);
    // makeTensorInfo goes through write too: every new data entry of the backend is counted here.
    if (ArrayBuffer.isView(values)) {
      seen.add(values);
      wraps.set(values.buffer, (wraps.get(values.buffer) ?? 0) + 1);
    }
    return id;
  };
}

/** Installs the hooks on a cpu backend instance (idempotent). */
export function hookCpuBackend(backend: object): void {
  hook(backend as CpuBackendHooks);
}

const wrappedFactories = new WeakSet<object>();

/**
 * Hooks the cpu backend instance if tfjs has made it, and wraps the registered cpu backend
 * factory so that an instance made later is hooked from its first tensor on.
 */
export function trackCpuBackends(engine: object): void {
  const e = engine as { registry?: Record<string, object>; registryFactory?: Record<string, { factory: () => unknown } | undefined> };
  const existing = e.registry?.cpu;
  if (existing != null) hookCpuBackend(existing);
  const entry = e.registryFactory?.cpu;
  if (entry == null || wrappedFactories.has(entry)) return;
  wrappedFactories.add(entry);
  const factory = entry.factory;
  entry.factory = () => {
    const b = factory();
    if (b != null && typeof b === 'object' && !(b instanceof Promise)) hookCpuBackend(b);
    return b;
  };
}

/**
 * Whether `values`, the array of a tensor of the cpu `backend`, can be overwritten without changing
 * any other tensor of it: the backend was hooked before it held any data (so every buffer is
 * counted), the array spans its whole ArrayBuffer (not a view, e.g. a Slice result), the hooks saw
 * it become tensor data, and exactly one live data entry wraps that buffer (no view of it, and no
 * second tensor made from the same array, is alive).
 */
export function cpuDataExclusive(backend: object, values: Float32Array): boolean {
  return (
    countedFromStart.has(backend) &&
    values.byteOffset === 0 &&
    values.byteLength === values.buffer.byteLength &&
    seen.has(values) &&
    wraps.get(values.buffer) === 1
  );
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
export function cpuOutputArrays(backend: object, lengths: readonly number[]): Float32Array[] {
  hook(backend as CpuBackendHooks);
  let bytes = 0;
  for (const n of lengths) if (n >= MIN_POOLED) bytes += 4 * n;
  limitBytes = Math.min(MAX_FREE_BYTES, Math.max(limitBytes, bytes));
  return lengths.map((n) => {
    if (n < MIN_POOLED) return new Float32Array(n);
    const v = free.get(n)?.pop();
    if (v == null) return new Float32Array(n);
    freeBytes -= v.byteLength;
    return v;
  });
}

/** Marks arrays from {@link cpuOutputArrays}, now the data of new tensors, as pooled. */
export function adoptCpuOutputs(arrays: readonly Float32Array[]): void {
  for (const v of arrays) if (v.length >= MIN_POOLED) owned.add(v.buffer);
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
export function cpuUpdatableValues(backend: object, dataId: object): Float32Array | null {
  const b = backend as CpuBackendHooks & { refCount(dataId: object): number };
  const values = b.data.get(dataId)?.values;
  if (!(values instanceof Float32Array) || !updatable.has(values.buffer)) return null;
  if (b.refCount(dataId) !== 1 || !cpuDataExclusive(backend, values)) return null;
  return values;
}

/**
 * Makes `values` (a new array nothing else holds) the data of the cpu tensor data `dataId`, in
 * place of its old array (which is left to its other holders, if any, and the GC). Every tensor
 * sharing `dataId` sees the new values, as after `Variable.assign`.
 */
export function cpuSwapInValues(backend: object, dataId: object, values: Float32Array): void {
  const b = backend as CpuBackendHooks;
  hook(b);
  const entry = b.data.get(dataId) as { values?: unknown } | undefined;
  if (entry == null) throw new Error('gradclip: tensor data not found on the cpu backend');
  const old = entry.values;
  if (ArrayBuffer.isView(old)) {
    const k = wraps.get(old.buffer);
    if (k != null) {
      if (k <= 1) wraps.delete(old.buffer);
      else wraps.set(old.buffer, k - 1);
    }
    owned.delete(old.buffer); // no longer this entry's: never recycled from here
  }
  entry.values = values;
  seen.add(values);
  wraps.set(values.buffer, (wraps.get(values.buffer) ?? 0) + 1);
  updatable.add(values.buffer);
}
