/**
 * `Σ x²` on the `cpu` and `wasm` backends, computed on the host with public TF.js API only
 * (`dataSync`, `tf.scalar`) in exactly the order and precision of gradclip's fused kernels.
 *
 * Why: the fused kernels (fast/) are more accurate than `tf.sum(tf.square(x))` (their partial sums
 * are float64), so a plain float32 composition would differ from them in the last bits. When the
 * fast path is off (`setFastPath(false)`, `GRADCLIP_FAST_PATH=0`, an unverified tfjs version, a
 * failed probe), every norm on cpu/wasm goes through these functions instead, and every public
 * function keeps its bits. They touch no TF.js internals. On any other backend, and while a
 * gradient tape records (these are not differentiable), the composition stays.
 *
 * The two orders:
 * - `cpu` ({@link sumOfSquaresF64}): exact float64 squares, four interleaved float64 accumulators.
 * - `wasm` ({@link sumOfSquaresBlocked}): the SIMD kernel `sumsq` of clip-kernels.wat replayed
 *   lane by lane: float32 squares summed in float32 over blocks of 512 values (32 lanes x 16
 *   steps), the lanes folded into float64, a float64 tail.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * `Σ x²` over a float32 array, accumulated in float64 (the `cpu` kernels' order).
 *
 * Each `x*x` is the exact square of a float32 (48 significant bits fit in a float64), so the only
 * rounding is the float64 summation: relative error about `n/4 · 2^-53`, i.e. ~1e-10 at 1e7
 * values. inf and NaN propagate; the caller rounds the total to float32, where a total above
 * float32's max becomes inf (the anchors' float32 overflow).
 *
 * @example
 * ```ts
 * sumOfSquaresF64(Float32Array.of(3, 4)); //=> 25
 * ```
 */
export function sumOfSquaresF64(x: Float32Array): number {
  const n = x.length;
  const n4 = n - (n & 3);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < n4; i += 4) {
    const a = x[i];
    const b = x[i + 1];
    const c = x[i + 2];
    const d = x[i + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (let i = n4; i < n; ++i) s0 += x[i] * x[i];
  return s0 + s1 + (s2 + s3);
}

/**
 * `Σ x²` in the order of the `wasm` kernel `sumsq` (clip-kernels.wat), bit for bit: in each block of
 * 512 values, lane `m` (0..31) sums the float32 squares of `x[32k + m]`, k = 0..15, in float32; the
 * 32 lanes are folded into four float64 accumulators exactly as the kernel's `f64x2` adds do; the
 * tail (< 512 values) adds float32 squares in float64.
 *
 * @example
 * ```ts
 * sumOfSquaresBlocked(Float32Array.of(3, 4)); //=> 25
 * ```
 */
export function sumOfSquaresBlocked(x: Float32Array): number {
  const f = Math.fround;
  const n = x.length;
  const blocks = n >>> 9; // blocks of 512 values: 8 accumulators x 4 lanes x 16 steps
  const lane = new Float32Array(32); // lane[4i + j]: lane j of the kernel's accumulator a_i
  // acc0 = (a0l0, a0l1), acc1 = (a1l0, a1l1): the kernel's two f64x2 accumulators.
  let a0l0 = 0;
  let a0l1 = 0;
  let a1l0 = 0;
  let a1l1 = 0;
  let p = 0;
  for (let b = 0; b < blocks; ++b) {
    lane.fill(0);
    for (let k = 0; k < 16; ++k, p += 32) {
      for (let m = 0; m < 32; ++m) {
        const v = x[p + m];
        lane[m] += f(v * v); // f32 multiply, then an f32 add (the store rounds; double rounding is exact for f32)
      }
    }
    // acc += ((a0 + a1) + (a2 + a3)); acc += ((a4 + a5) + (a6 + a7)), per float64 lane.
    const fold = (j: number, acc: number): number => {
      acc += lane[j] + lane[4 + j] + (lane[8 + j] + lane[12 + j]);
      return acc + (lane[16 + j] + lane[20 + j] + (lane[24 + j] + lane[28 + j]));
    };
    a0l0 = fold(0, a0l0);
    a0l1 = fold(1, a0l1);
    a1l0 = fold(2, a1l0);
    a1l1 = fold(3, a1l1);
  }
  let s = a0l0 + a1l0 + (a0l1 + a1l1);
  for (; p < n; ++p) s += f(x[p] * x[p]);
  return s;
}

/** The order of the active backend, or null where the composition applies (other backends, a recording tape). */
function hostOrder(): ((x: Float32Array) => number) | null {
  const name = tf.getBackend();
  if (name !== 'cpu' && name !== 'wasm') return null;
  if (tf.engine().isTapeOn()) return null;
  return name === 'cpu' ? sumOfSquaresF64 : sumOfSquaresBlocked;
}

function valuesOf(x: tf.Tensor): Float32Array {
  const v = x.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/**
 * `Σ_i Σ x_i²` as one float32 scalar, bit-identical to the fused kernel of the active backend, or
 * null when the backend is not cpu/wasm or a tape records. Reads the values with `dataSync`.
 */
export function hostTotalSumOfSquares(xs: readonly tf.Tensor[]): tf.Scalar | null {
  const order = hostOrder();
  if (order == null) return null;
  let total = 0;
  for (const x of xs) total += order(valuesOf(x));
  return tf.scalar(total, 'float32'); // rounded once, as the kernel's output
}

/** `[Σ x_0², …]` as one float32 vector (each sum rounded once), as {@link hostTotalSumOfSquares}. */
export function hostSumsOfSquares(xs: readonly tf.Tensor[]): tf.Tensor1D | null {
  const order = hostOrder();
  if (order == null) return null;
  return tf.tensor1d(
    xs.map((x) => order(valuesOf(x))),
    'float32',
  );
}
