/** Small helpers for the benchmark: medians, peak memory, data. */
import * as tf from '@tensorflow/tfjs';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `f` and returns the high-water mark of tfjs's tracked tensor bytes above the level before
 * the call (the engine's `numBytes`, watched through an accessor while `f` runs).
 */
export function peakBytesDuring(f: () => void): number {
  const state = (tf.engine() as unknown as { state: { numBytes: number } }).state;
  const start = state.numBytes;
  let value = start;
  let peak = start;
  Object.defineProperty(state, 'numBytes', {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (v: number) => {
      value = v;
      if (v > peak) peak = v;
    },
  });
  try {
    f();
  } finally {
    delete (state as { numBytes?: number }).numBytes;
    state.numBytes = value;
  }
  return peak - start;
}

/** Deterministic standard-normal-ish float32 data (xorshift32 + Box-Muller). */
export function makeData(counts: readonly number[], seed: number): Float32Array[] {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return counts.map((n) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(u()));
      const t = 2 * Math.PI * u();
      a[i] = r * Math.cos(t);
      if (i + 1 < n) a[i + 1] = r * Math.sin(t);
    }
    return a;
  });
}

/** The float64 L2 norm of all values. */
export function norm64(data: readonly Float32Array[]): number {
  let s = 0;
  for (const a of data) for (let i = 0; i < a.length; ++i) s += a[i] * a[i];
  return Math.sqrt(s);
}
