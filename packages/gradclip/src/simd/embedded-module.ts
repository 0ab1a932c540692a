/**
 * Loads one of gradclip's embedded WebAssembly SIMD modules (the clipping kernels,
 * core/fast/clip-kernels.wat; the optimizer updates, optimizer/fast/update-kernels.wat) on a given
 * `WebAssembly.Memory`: the tfjs `wasm` backend's own, so that the module reads and writes tensors
 * where they live (no copies), or a private one. The threaded build of tfjs-backend-wasm (on
 * cross-origin-isolated pages) has a shared memory, which a module can import only if it declares
 * the import `shared`: that variant is compiled for it. Each module is compiled once per variant
 * and instantiated once per memory.
 */

/** True when `memory` is a shared memory (its buffer is a SharedArrayBuffer). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; ++i) out[i] = bin.charCodeAt(i);
  return out;
}

/** An embedded module (base64 of its plain-memory and shared-memory builds) with exports `T`. */
export class EmbeddedSimdModule<T> {
  /** The compiled module for plain memories and for shared ones (undefined: not tried yet; null: failed). */
  private readonly compiled: { plain?: WebAssembly.Module | null; shared?: WebAssembly.Module | null } = {};
  private readonly instances = new WeakMap<WebAssembly.Memory, T>();

  constructor(
    private readonly plainBase64: string,
    private readonly sharedBase64: string,
  ) {}

  private compile(kind: 'plain' | 'shared'): WebAssembly.Module | null {
    if (this.compiled[kind] === undefined) {
      try {
        this.compiled[kind] = new WebAssembly.Module(decodeBase64(kind === 'shared' ? this.sharedBase64 : this.plainBase64));
      } catch {
        this.compiled[kind] = null; // e.g. an engine without SIMD128 or threads: the composition is used instead
      }
    }
    return this.compiled[kind] ?? null;
  }

  /**
   * The module's exports bound to `memory`, instantiated once per memory, or null when the module
   * cannot be compiled or instantiated here.
   */
  for(memory: WebAssembly.Memory): T | null {
    const cached = this.instances.get(memory);
    if (cached != null) return cached;
    const mod = this.compile(isSharedMemory(memory) ? 'shared' : 'plain');
    if (mod == null) return null;
    try {
      const inst = new WebAssembly.Instance(mod, { env: { memory } });
      const ex = inst.exports as unknown as T;
      this.instances.set(memory, ex);
      return ex;
    } catch {
      return null;
    }
  }
}
