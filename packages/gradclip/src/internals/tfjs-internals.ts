/**
 * THE ONE PLACE where gradclip touches TF.js internals: everything below reads or patches state
 * that is not part of TF.js's exported, documented API, through a typed accessor. No other source
 * file names these internals (tfjs-internals.test.ts greps src/ for them), so when TF.js changes,
 * this file and its probe (capability.ts) are what to look at.
 *
 * What counts as internal here: the engine's backend registry and factory table, its variable
 * registry and tensor-id counter, its profiling state; the `cpu` backend's data map and the methods
 * gradclip patches on it; the `wasm` backend's data map, emscripten module, heap memory and data-id
 * counter; the non-public fields of TF.js's seven optimizers. Not internal (used directly
 * elsewhere): TF.js's exported functions and classes, and the kernel API that the backends declare
 * public for kernels and that TF.js's own kernels call (`makeOutput`, `typedArrayFromHeap`,
 * `makeTensorInfo`, `readSync`, `write`, `disposeData`, `refCount`, `incRef`, `epsilon`) — called,
 * never patched, outside this file.
 *
 * Verified against tfjs-core / tfjs-backend-cpu / tfjs-backend-wasm 4.22.0 (see capability.ts,
 * which checks the version and probes these accessors before the fast path uses them).
 */
import * as tf from '@tensorflow/tfjs';

// ---- versions ----------------------------------------------------------------------------------

/** The TF.js package versions this process runs (null where TF.js does not say). */
export interface TfjsVersions {
  /** `tf.version_core`. */
  core: string;
  /** `tf.version['tfjs-backend-cpu']` of the `@tensorflow/tfjs` union package, when present. */
  cpu: string | null;
  /** `tf.version.tfjs`, the union package, when present. */
  tfjs: string | null;
}

/** The TF.js versions of this process (public exports, collected here with the rest of the checks). */
export function tfjsVersions(): TfjsVersions {
  const v = (tf as unknown as { version?: Record<string, string | undefined> }).version ?? {};
  return { core: tf.version_core, cpu: v['tfjs-backend-cpu'] ?? null, tfjs: v.tfjs ?? null };
}

// ---- engine ------------------------------------------------------------------------------------

/** What gradclip reads from tfjs-core's `Engine` beyond its documented API. */
interface EngineInternals {
  registry: Record<string, object | undefined>;
  registryFactory: Record<string, { factory: () => unknown; priority: number } | undefined>;
  registeredVariables: Record<string, tf.Variable | undefined>;
  state: { profiling: boolean };
}

function engine(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

/**
 * The backend instance the engine holds under `name`, or undefined when it has not been created
 * (or not finished its asynchronous initialisation). Unlike `tf.findBackend`, never starts one.
 */
export function createdBackend(name: string): object | undefined {
  return engine().registry[name];
}

/** Whether a backend factory is registered under `name` (it may not have been created yet). */
export function backendRegistered(name: string): boolean {
  return engine().registryFactory?.[name] != null;
}

/** The registered variable named `name`, or undefined. */
export function registeredVariable(name: string): tf.Variable | undefined {
  return engine().registeredVariables[name];
}

/** Every registered variable. */
export function registeredVariableList(): tf.Variable[] {
  return Object.values(engine().registeredVariables).filter((v): v is tf.Variable => v != null);
}

/**
 * The id the next tensor will get (tfjs-core's private static `Engine.nextTensorId`), or +Infinity
 * where it cannot be read (then no tensor counts as made after a given point).
 */
export function nextTensorId(): number {
  const id = (tf.engine().constructor as unknown as { nextTensorId?: unknown }).nextTensorId;
  return typeof id === 'number' ? id : Infinity;
}

/** Whether `tf.profile` is recording kernels now (tfjs-core's `engine.state.profiling`). */
export function engineProfiling(): boolean {
  return engine().state?.profiling === true;
}

/**
 * Wraps the factory of the backend registered as `name` so that `onCreate` sees every instance it
 * makes, before the instance holds any tensor; every argument and the result pass through. Returns
 * a function that puts the original factory back (false when someone has replaced the entry or
 * wrapped it again since: then the wrapper stays but no longer calls `onCreate`), or null when no
 * factory is registered under `name`.
 */
export function wrapBackendFactory(name: string, onCreate: (backend: object) => void): (() => boolean) | null {
  const entry = engine().registryFactory?.[name];
  if (entry == null || typeof entry.factory !== 'function') return null;
  const original = entry.factory;
  let live = true;
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const b = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (live && b != null && typeof b === 'object' && !(b instanceof Promise)) onCreate(b);
    return b;
  };
  entry.factory = wrapper as () => unknown;
  return () => {
    live = false;
    if (entry.factory !== wrapper) return false;
    entry.factory = original;
    return true;
  };
}

// ---- cpu backend (tfjs-backend-cpu's MathBackendCPU) ------------------------------------------

interface CpuBackendInternals {
  data: { get(dataId: object): { values?: unknown } | undefined; has(dataId: object): boolean };
  numDataIds(): number;
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  makeTensorInfo(shape: number[], dtype: string, values?: unknown): tf.TensorInfo;
  write(values: unknown, shape: number[], dtype: string): object;
  refCount(dataId: object): number;
  firstUse?: boolean;
}

const CPU_METHODS = ['numDataIds', 'disposeData', 'readSync', 'read', 'makeTensorInfo', 'write', 'refCount'] as const;

/** Why `backend` does not look like tfjs-backend-cpu 4.22's `MathBackendCPU`, or null when it does. */
export function cpuBackendMismatch(backend: object): string | null {
  const b = backend as Partial<CpuBackendInternals>;
  if (typeof b.data?.get !== 'function' || typeof b.data.has !== 'function') return "the cpu backend has no data map ('data.get'/'data.has')";
  for (const m of CPU_METHODS) if (typeof b[m] !== 'function') return `the cpu backend has no '${m}' method`;
  return null;
}

function cpu(backend: object): CpuBackendInternals {
  return backend as CpuBackendInternals;
}

/** The typed array a cpu tensor's data holds (the backend's own storage, not a copy), or undefined. */
export function cpuValues(backend: object, dataId: object): unknown {
  return cpu(backend).data.get(dataId)?.values;
}

/** Whether the cpu backend still holds `dataId`. */
export function cpuHasData(backend: object, dataId: object): boolean {
  return cpu(backend).data.has(dataId);
}

/** How many data entries the cpu backend holds. */
export function cpuDataCount(backend: object): number {
  return cpu(backend).numDataIds();
}

/**
 * Makes `values` the storage of the cpu tensor data `dataId` in place of its old array, which is
 * returned (every tensor sharing `dataId` sees the new values, as after `Variable.assign`).
 * @throws Error when the backend does not hold `dataId`.
 */
export function cpuReplaceValues(backend: object, dataId: object, values: Float32Array): unknown {
  const entry = cpu(backend).data.get(dataId);
  if (entry == null) throw new Error('gradclip: tensor data not found on the cpu backend');
  const old = entry.values;
  entry.values = values;
  return old;
}

/** Turns off tfjs-backend-cpu's one-off "running TensorFlow.js in Node.js" banner of a private instance. */
export function silenceCpuBanner(backend: object): void {
  cpu(backend).firstUse = false;
}

/** What the hooks of {@link patchCpuBackend} are told; they must not throw. */
export interface CpuBackendHooks {
  /** Before `disposeData(dataId)`: the array the data holds now. */
  beforeDispose(values: unknown): void;
  /** After `disposeData(dataId)`; `deleted`: the backend no longer holds the data. */
  afterDispose(values: unknown, deleted: boolean): void;
  /** Before `readSync`/`read` hands the tensor's array (the backend's own storage) out. */
  onRead(values: unknown): void;
  /** Before `write`/`makeTensorInfo` makes `values` (or a new array, when null) a tensor's data. */
  beforeWrite(values: unknown): void;
  /** After `write` made `values` the data of a new entry. */
  afterWrite(values: unknown): void;
}

const PATCHED = ['disposeData', 'readSync', 'read', 'makeTensorInfo', 'write'] as const;

/**
 * Patches `disposeData`, `readSync`, `read`, `makeTensorInfo` and `write` of one cpu backend
 * instance (own properties over the class's methods) to call `hooks`; every argument and the
 * result pass through unchanged. Returns a function that removes the patches (false when someone
 * patched a method again over ours since: that method keeps our wrapper, which then only passes
 * through).
 */
export function patchCpuBackend(backend: object, hooks: CpuBackendHooks): () => boolean {
  type Method = (...args: unknown[]) => unknown;
  const b = backend as unknown as Record<(typeof PATCHED)[number], Method> & Pick<CpuBackendInternals, 'data'>;
  const own = new Map<string, boolean>(PATCHED.map((m) => [m, Object.prototype.hasOwnProperty.call(b, m)]));
  // The originals, each in its own constant: these wrappers run for every tensor the backend makes,
  // reads or frees.
  const disposeData = b.disposeData;
  const readSync = b.readSync;
  const read = b.read;
  const makeTensorInfo = b.makeTensorInfo;
  const write = b.write;
  let live = true;
  const valuesOf = (dataId: unknown): unknown => (dataId != null && typeof dataId === 'object' ? b.data.get(dataId)?.values : undefined);
  const wrappers: Record<(typeof PATCHED)[number], Method> = {
    disposeData(this: unknown, ...args: unknown[]) {
      if (!live) return disposeData.apply(this, args);
      const dataId = args[0];
      const v = valuesOf(dataId);
      hooks.beforeDispose(v);
      const r = disposeData.apply(this, args);
      hooks.afterDispose(v, !(dataId != null && typeof dataId === 'object' && b.data.has(dataId)));
      return r;
    },
    readSync(this: unknown, ...args: unknown[]) {
      if (live) hooks.onRead(valuesOf(args[0]));
      return readSync.apply(this, args);
    },
    read(this: unknown, ...args: unknown[]) {
      if (live) hooks.onRead(valuesOf(args[0]));
      return read.apply(this, args);
    },
    makeTensorInfo(this: unknown, ...args: unknown[]) {
      if (live) hooks.beforeWrite(args[2]);
      return makeTensorInfo.apply(this, args);
    },
    write(this: unknown, ...args: unknown[]) {
      if (!live) return write.apply(this, args);
      hooks.beforeWrite(args[0]);
      const id = write.apply(this, args);
      // makeTensorInfo goes through write too: every new data entry of the backend is seen here.
      hooks.afterWrite(args[0]);
      return id;
    },
  };
  const originals: Record<(typeof PATCHED)[number], Method> = { disposeData, readSync, read, makeTensorInfo, write };
  for (const m of PATCHED) b[m] = wrappers[m];
  return () => {
    live = false;
    let clean = true;
    for (const m of PATCHED) {
      if (b[m] !== wrappers[m]) {
        clean = false;
        continue;
      }
      if (own.get(m) === true) b[m] = originals[m];
      else delete (b as unknown as Record<string, unknown>)[m];
    }
    return clean;
  };
}

// ---- wasm backend (tfjs-backend-wasm's BackendWasm) -------------------------------------------

interface WasmBackendInternals {
  wasm?: {
    asm?: { memory?: unknown };
    wasmMemory?: unknown;
    tfjs?: { disposeData?(id: number): void; registerTensor?(id: number, size: number, memoryOffset: number): void };
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function wasm(backend: object): WasmBackendInternals {
  return backend as WasmBackendInternals;
}

/** Whether `backend` is tfjs-backend-wasm's (it has a data-id map and an emscripten module). */
export function isWasmBackend(backend: object): boolean {
  return 'dataIdMap' in backend && 'wasm' in backend;
}

/** Why `backend` does not look like tfjs-backend-wasm 4.22's `BackendWasm`, or null when it does. */
export function wasmBackendMismatch(backend: object): string | null {
  const b = backend as Partial<WasmBackendInternals>;
  if (typeof b.dataIdMap?.get !== 'function') return "the wasm backend has no data map ('dataIdMap.get')";
  if (typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') return "the wasm backend has no 'makeOutput'/'typedArrayFromHeap'";
  if (wasmHeapMemory(backend) == null) return "the wasm backend's module exposes no WebAssembly.Memory ('asm.memory')";
  if (!wasmCanRekey(backend)) return "the wasm backend's module has no 'tfjs.registerTensor'/'tfjs.disposeData' or no numeric 'dataIdNextNumber'";
  return null;
}

/** The `WebAssembly.Memory` of a wasm backend's emscripten module (`Module.asm.memory` in 4.22), or null. */
export function wasmHeapMemory(backend: object): WebAssembly.Memory | null {
  const m = wasm(backend).wasm;
  const mem = m?.asm?.memory ?? m?.wasmMemory;
  return mem instanceof WebAssembly.Memory ? mem : null;
}

/** Byte offset of a wasm tensor's data in the heap. @throws Error when the backend does not hold it. */
export function wasmOffset(backend: object, dataId: object): number {
  const data = wasm(backend).dataIdMap.get(dataId);
  if (data == null) throw new Error('gradclip: tensor data not found on the wasm backend');
  return data.memoryOffset;
}

/** Whether the wasm backend has what {@link wasmRekey} needs. */
export function wasmCanRekey(backend: object): boolean {
  const b = wasm(backend);
  const t = b.wasm?.tfjs;
  return typeof t?.disposeData === 'function' && typeof t.registerTensor === 'function' && typeof b.dataIdNextNumber === 'number';
}

/**
 * After an in-place write on wasm: gives the tensor's data a new id in the wasm module, as a new
 * tensor from `assign` would have. tfjs-wasm caches XNNPACK operators with *packed copies* of a
 * matmul's or convolution's weights, keyed by the weights' id and dropped when that id is disposed
 * (backend.cc `dispose_data` runs the disposal callbacks); without this, the next forward pass
 * would use the weights from before the write. The memory itself stays where it is.
 */
export function wasmRekey(backend: object, dataId: object, size: number): void {
  const b = wasm(backend);
  const entry = b.dataIdMap.get(dataId);
  if (entry == null) throw new Error('gradclip: tensor data not found on the wasm backend');
  const m = b.wasm?.tfjs as Required<NonNullable<NonNullable<WasmBackendInternals['wasm']>['tfjs']>>;
  m.disposeData(entry.id);
  entry.id = b.dataIdNextNumber++;
  m.registerTensor(entry.id, size, entry.memoryOffset);
}

// ---- optimizers (tfjs-core 4.22's SGD, Momentum, Adam, RMSProp, Adagrad, Adadelta, Adamax) ----

/** The seven TF.js optimizers whose update gradclip applies itself. */
export type OptimizerKind = 'sgd' | 'momentum' | 'adam' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adamax';

type Slot = { variable: tf.Variable } | undefined;

/** The non-public fields of tfjs-core 4.22's optimizers, by their TF.js names. */
interface OptimizerFields {
  c: tf.Scalar;
  m: tf.Scalar;
  useNesterov: boolean;
  accumulations: Slot[];
  learningRate: unknown;
  beta1: unknown;
  beta2: unknown;
  epsilon: unknown;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  decay: unknown;
  momentum: unknown;
  centered: boolean;
  accumulatedMeanSquares: Slot[];
  accumulatedMoments: Slot[];
  accumulatedMeanGrads: Slot[];
  accumulatedGrads: Slot[];
  rho: unknown;
  accumulatedUpdates: Slot[];
  accumulatedWeightedInfNorm: Slot[];
  iteration: tf.Variable;
  incrementIterations(): void;
}

/**
 * One optimizer's state as gradclip's fused update reads it, under neutral names. Hyper-parameters
 * are as stored (TF.js throws on a non-number at its next step; callers check). Tensors may be
 * undefined where TF.js has not made them.
 */
export interface OptimizerState {
  learningRate: unknown;
  beta1: unknown;
  beta2: unknown;
  epsilon: unknown;
  decay: unknown;
  momentum: unknown;
  rho: unknown;
  centered: boolean;
  nesterov: boolean;
  /** SGD and Momentum: the scalar `-learningRate` they keep. */
  negLearningRate: tf.Scalar | undefined;
  /** Momentum: the momentum scalar it keeps. */
  momentumScalar: tf.Scalar | undefined;
  /**
   * The slot lists in the order gradclip's update functions take them (entry `i` of each list
   * belongs to position `i` of `applyGradients`' variable list): Momentum `[accumulation]`; Adam
   * `[m, v]`; RMSProp `[mean square, moment]` (+ `mean grad` when centered); Adagrad
   * `[accumulator]`; Adadelta `[accumulated grads, accumulated updates]`; Adamax `[m, weighted inf norm]`.
   */
  slots: readonly (readonly Slot[])[];
  /** Adam and Adamax: the variable holding `beta1^t`. */
  beta1Power: tf.Variable | undefined;
  /** Adam: the variable holding `beta2^t`. */
  beta2Power: tf.Variable | undefined;
  /** Adamax: its own step counter variable. */
  iteration: tf.Variable | undefined;
}

function slotLists(kind: OptimizerKind, o: OptimizerFields): (readonly Slot[])[] {
  switch (kind) {
    case 'sgd':
      return [];
    case 'momentum':
      return [o.accumulations];
    case 'adam':
      return [o.accumulatedFirstMoment, o.accumulatedSecondMoment];
    case 'rmsprop':
      return o.centered ? [o.accumulatedMeanSquares, o.accumulatedMoments, o.accumulatedMeanGrads] : [o.accumulatedMeanSquares, o.accumulatedMoments];
    case 'adagrad':
      return [o.accumulatedGrads];
    case 'adadelta':
      return [o.accumulatedGrads, o.accumulatedUpdates];
    case 'adamax':
      return [o.accumulatedFirstMoment, o.accumulatedWeightedInfNorm];
  }
}

/**
 * The state of a TF.js optimizer of class `kind` (the caller has checked the class), or null when
 * a slot list is not an array (not the TF.js 4.22 layout).
 */
export function optimizerState(opt: tf.Optimizer, kind: OptimizerKind): OptimizerState | null {
  const o = opt as unknown as OptimizerFields;
  const slots = slotLists(kind, o);
  for (const s of slots) if (!Array.isArray(s)) return null;
  return {
    learningRate: o.learningRate,
    beta1: o.beta1,
    beta2: o.beta2,
    epsilon: o.epsilon,
    decay: o.decay,
    momentum: o.momentum,
    rho: o.rho,
    centered: o.centered === true,
    nesterov: o.useNesterov === true,
    negLearningRate: kind === 'sgd' || kind === 'momentum' ? o.c : undefined,
    momentumScalar: kind === 'momentum' ? o.m : undefined,
    slots,
    beta1Power: kind === 'adam' || kind === 'adamax' ? o.accBeta1 : undefined,
    beta2Power: kind === 'adam' ? o.accBeta2 : undefined,
    iteration: kind === 'adamax' ? o.iteration : undefined,
  };
}

/** Counts one step on `opt` as its own `applyGradients` does (tf.Optimizer's protected `incrementIterations`). */
export function countOptimizerStep(opt: tf.Optimizer): void {
  (opt as unknown as OptimizerFields).incrementIterations();
}
