/**
 * The fused clipping loops of the `cpu` backend: plain typed-array loops, unrolled by 4 with
 * independent accumulators so that V8's optimised code keeps several multiply-adds in flight
 * (the clamp goes through the SIMD module in chunks, see {@link clampInto}).
 */
import { clipWasmFor, type ClipWasmExports } from './wasm-clip-module.js';

/** `Σ x²` in the cpu kernels' order (float64); defined with the host twin the plain path uses. */
export { sumOfSquaresF64 } from '../host-sums.js';

/**
 * `out[i] = x[i] * s` with float32 rounding: the float64 product of two float32 values is exact,
 * and storing into a Float32Array rounds it once, so the result is bit-identical to tfjs's
 * Multiply kernel. `s` must already be a float32 value.
 */
export function scaleInto(x: Float32Array, s: number, out: Float32Array): void {
  const n = x.length;
  const sc = n >= 4 * CLAMP_CHUNK ? clampScratch() : null;
  if (sc != null) {
    // Large arrays: through the SIMD module in 64 KiB chunks (~2x the JS loop's speed).
    for (let i = 0; i < n; i += CLAMP_CHUNK) {
      const m = Math.min(CLAMP_CHUNK, n - i);
      sc.heap.set(x.subarray(i, i + m));
      sc.ex.scale(0, 0, m, s);
      out.set(m === CLAMP_CHUNK ? sc.heap : sc.heap.subarray(0, m), i);
    }
    return;
  }
  const n4 = n - (n & 3);
  for (let i = 0; i < n4; i += 4) {
    out[i] = x[i] * s;
    out[i + 1] = x[i + 1] * s;
    out[i + 2] = x[i + 2] * s;
    out[i + 3] = x[i + 3] * s;
  }
  for (let i = n4; i < n; ++i) out[i] = x[i] * s;
}

/** Float32 values per chunk that {@link clampInto} copies through the SIMD module (64 KiB: L2-resident). */
const CLAMP_CHUNK = 16384;
let scratch: { ex: ClipWasmExports; heap: Float32Array } | null | undefined;

function clampScratch(): { ex: ClipWasmExports; heap: Float32Array } | null {
  if (scratch === undefined) {
    const memory = new WebAssembly.Memory({ initial: 1 }); // 64 KiB
    const ex = clipWasmFor(memory);
    scratch = ex == null ? null : { ex, heap: new Float32Array(memory.buffer, 0, CLAMP_CHUNK) };
  }
  return scratch;
}

/**
 * `out[i] = min(max(x[i], -c), c)` with the cpu backend's Maximum/Minimum semantics (`Math.max`,
 * `Math.min`): NaN stays NaN, `-0` stays `-0`, ±inf clamp, and with `c = 0` negative values become
 * `-0`. `c` must already be a float32 value.
 *
 * V8 compiles a per-element clamp over random data into slow code (~20 ns/element here), so the
 * array goes through the SIMD module in 64 KiB chunks on a private wasm memory (copy in, clamp in
 * place, copy out: three memcpy-speed passes over cache-resident data); the JS loop is only the
 * fallback for engines without WebAssembly SIMD.
 */
export function clampInto(x: Float32Array, c: number, out: Float32Array): void {
  const s = clampScratch();
  const n = x.length;
  if (s == null) {
    const lo = -c;
    for (let i = 0; i < n; ++i) out[i] = Math.min(Math.max(x[i], lo), c);
    return;
  }
  for (let i = 0; i < n; i += CLAMP_CHUNK) {
    const m = Math.min(CLAMP_CHUNK, n - i);
    s.heap.set(x.subarray(i, i + m));
    s.ex.clamp(0, 0, m, c);
    out.set(m === CLAMP_CHUNK ? s.heap : s.heap.subarray(0, m), i);
  }
}

/** `max |x[i]|` with NaN entries ignored (0 for an empty array; inf when an entry is ±inf). */
export function maxAbs(x: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; ++i) {
    const a = Math.abs(x[i]);
    if (a > m) m = a;
  }
  return m;
}

/** Number of NaN or ±inf entries of `x`. */
export function countNonFinite(x: Float32Array): number {
  let k = 0;
  for (let i = 0; i < x.length; ++i) if (!Number.isFinite(x[i])) k += 1;
  return k;
}
