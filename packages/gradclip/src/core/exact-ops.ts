/**
 * Internal: elementwise building blocks that give IEEE 754 results (NaN, ±Infinity, ±0 included) on
 * every tfjs backend, and the L2 norm that float16 storage needs.
 *
 * tfjs's GPU kernels deviate from IEEE in ways that change clipping results:
 *
 * - tfjs-webgl's division returns 1 whenever `a == b`: `Inf/Inf`, `-Inf/-Inf` and `0/0` are 1, not NaN.
 * - tfjs-webgl's `isNaN`/`isFinite`, and the NaN checks of `maximum`/`minimum`, use GLSL's `isnan`,
 *   which some drivers compile to `false` (tfjs #5800, #7270); WebGL1's replacement is a comparison
 *   trick that does not hold everywhere either (#5573).
 * - tfjs-webgl and tfjs-webgpu: `pow(0, p)` is 0 for p < 0 (IEEE: Infinity) — see get-total-norm.ts.
 * - float16 textures (see float16.ts) hold no ±Infinity and nothing above 65504: such values, and
 *   constants such as 3.4e38, are NaN; a Σx² above 65504 is NaN even when the norm is not.
 *
 * So on those backends the helpers below decide with arithmetic and comparisons against small
 * constants only (`x*0 == 0` is true exactly for finite x, as NaN compares false), divide only by
 * regular (finite, non-zero) denominators, and pick NaN-propagating maxima with `where`. On `cpu`,
 * `wasm` and `tensorflow` (tfjs-node), whose kernels are IEEE, they are the plain tfjs ops: results
 * and speed there are exactly those of the plain ops. `webgpu` divides and tests NaN exactly
 * (bit tests), so it gets the plain division and NaN tests, and the NaN-propagating maxima.
 */
import * as tf from '@tensorflow/tfjs';
import { isFloat16Backend, warnIfFloat16 } from './float16.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/** Backends whose elementwise kernels (division, NaN tests, maximum/minimum) follow IEEE 754. */
const IEEE_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);
/** Backends whose division and `isNaN`/`isFinite` are exact, but not necessarily the NaN handling of maximum/minimum. */
const EXACT_DIVISION_BACKENDS = new Set([...IEEE_BACKENDS, 'webgpu']);

/** True on `cpu`, `wasm` and `tensorflow`: the plain tfjs ops are IEEE-exact there. */
export function ieeeBackend(): boolean {
  return IEEE_BACKENDS.has(tf.getBackend());
}

function exactDivision(): boolean {
  return EXACT_DIVISION_BACKENDS.has(tf.getBackend());
}

/**
 * A bool tensor, true where `x` is finite (not NaN, not ±Infinity). Elsewhere than cpu/wasm/webgpu:
 * `x*0 == 0` (0 for finite x, NaN for NaN and ±Inf; NaN == 0 is false), with no `isnan` and no
 * constant beyond float16's range.
 */
export function finiteMask(x: tf.Tensor): tf.Tensor {
  if (exactDivision()) return tf.isFinite(x);
  return tf.tidy(() => tf.equal(tf.mul(x, tf.scalar(0)), tf.scalar(0)));
}

/**
 * A bool tensor, true where `x` is NaN. Elsewhere than cpu/wasm/webgpu: not finite
 * ({@link finiteMask}) and not ±Infinity (`|x| > max`, with float16's max on float16 textures).
 */
export function nanMask(x: tf.Tensor): tf.Tensor {
  if (exactDivision()) return tf.isNaN(x);
  return tf.tidy(() => {
    const max = isFloat16Backend() ? 65504 : FLOAT32_MAX;
    return tf.logicalNot(tf.logicalOr(finiteMask(x), tf.greater(tf.abs(x), tf.scalar(max))));
  });
}

/**
 * `a / b` with IEEE results on every backend. Elsewhere than cpu/wasm/webgpu the quotient is taken
 * only where `b` is regular (finite and non-zero); where it is ±0, ±Infinity or NaN the result is
 * `a * (1/b)`, which IEEE makes equal to `a/b` there (±Inf/±0/NaN) without the webgl division's
 * `a == b → 1`.
 */
export function ieeeDiv(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (exactDivision()) return tf.div(a, b);
  return tf.tidy(() => {
    const q = tf.div(a, b);
    const regular = tf.logicalAnd(finiteMask(b), tf.notEqual(b, tf.scalar(0)));
    return tf.where(regular, q, tf.mul(a, tf.reciprocal(b)));
  });
}

/**
 * `maximum(a, b)` that is NaN wherever `a` is NaN, on every backend (`b` must not be NaN; a tie of
 * +0 and -0 may give either). On cpu/wasm it is `tf.maximum(a, b)` (whose first operand propagates
 * NaN on wasm); elsewhere `where(a < b, b, a)`, as NaN < b is false.
 */
export function maximumKeepNaN(a: tf.Tensor, b: tf.Tensor | number): tf.Tensor {
  if (ieeeBackend()) return tf.maximum(a, b);
  return tf.tidy(() => {
    const bt = typeof b === 'number' ? tf.scalar(b) : b;
    return tf.where(tf.less(a, bt), bt, a);
  });
}

/** `minimum(a, b)` that is NaN wherever `a` is NaN, on every backend (see {@link maximumKeepNaN}). */
export function minimumKeepNaN(a: tf.Tensor, b: tf.Tensor | number): tf.Tensor {
  if (ieeeBackend()) return tf.minimum(a, b);
  return tf.tidy(() => {
    const bt = typeof b === 'number' ? tf.scalar(b) : b;
    return tf.where(tf.greater(a, bt), bt, a);
  });
}

/** The normalised reduction axes (null: all) and how many elements each reduction covers. */
function reduction(x: tf.Tensor, axes: number[] | null): { axes: number[]; count: number } {
  const all = x.shape.map((_, i) => i);
  const ax = axes == null ? all : axes.map((a) => (a < 0 ? a + x.rank : a));
  return { axes: ax, count: ax.reduce((n, a) => n * x.shape[a], 1) };
}

/**
 * The L2 norm `sqrt(sum(x², axes))` (all elements when `axes` is null), as float32 with no
 * rescaling — a Σx² above float32's max gives Infinity, as in TF and PyTorch.
 *
 * On a float16 backend (float16.ts), Σx² overflows float16 as soon as the norm exceeds 256, so
 * the norm is computed scaled instead: `s · sqrt(n) · sqrt(mean((|x|/s)²))` with `s = max|x|`
 * (tfjs-webgl's mean scales each term by 1/n before summing, so nothing exceeds 1). It is then
 * right to float16 precision up to 65504 (above, NaN: float16 has no larger value); NaN anywhere
 * gives NaN. The first call on a float16 backend warns once (float16.ts).
 */
export function l2Norm(x: tf.Tensor, axes: number[] | null = null, keepDims = false): tf.Tensor {
  return tf.tidy(() => {
    const xf = x.toFloat();
    if (!warnIfFloat16()) return tf.sqrt(tf.sum(tf.square(xf), axes ?? undefined, keepDims));
    if (xf.size === 0) return tf.sqrt(tf.sum(tf.square(xf), axes ?? undefined, keepDims));
    if (xf.rank === 0) return tf.abs(xf);
    const { axes: ax, count } = reduction(xf, axes);
    const a = tf.abs(xf);
    const s = tf.max(a, ax, true);
    // s = 0 (an all-zero slice) or NaN: divide by 1 instead (the zeros stay 0, a NaN stays NaN).
    const sSafe = tf.where(tf.greater(s, tf.scalar(0)), s, tf.onesLike(s));
    const r = tf.mean(tf.square(tf.div(a, sSafe)), ax, true);
    const norm = tf.mul(tf.mul(tf.sqrt(r), tf.scalar(Math.sqrt(count))), s);
    return keepDims ? norm : tf.squeeze(norm, ax.length === xf.rank ? undefined : ax);
  });
}

/**
 * The p-norm `(Σ a^p)^(1/p)` of magnitudes `a > 0` (finite p ≠ 0; zeros are the caller's: see
 * get-total-norm.ts), as float32. On a float16 backend it is scaled like {@link l2Norm}:
 * `s · n^(1/p) · mean((a/s)^p)^(1/p)` with `s = max a` (p > 0) or `min a` (p < 0), so that no
 * term exceeds 1.
 */
export function pNormOfMagnitudes(a: tf.Tensor, p: number): tf.Scalar {
  return tf.tidy(() => {
    if (!warnIfFloat16() || a.size === 0) return tf.pow(tf.sum(tf.pow(a, p)), 1 / p) as tf.Scalar;
    const s = p > 0 ? tf.max(a) : tf.min(a);
    const sSafe = tf.where(tf.greater(s, tf.scalar(0)), s, tf.onesLike(s));
    const m = tf.pow(tf.mean(tf.pow(tf.div(a, sSafe), p)), 1 / p);
    return tf.mul(tf.mul(m, tf.scalar(a.size ** (1 / p))), s) as tf.Scalar;
  });
}

/** The global L2 norm of several tensors on a float16 backend: the {@link l2Norm} of their {@link l2Norm}s. */
export function globalL2Norm(xs: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (xs.length === 0) return tf.scalar(0);
    if (xs.length === 1) return l2Norm(xs[0]) as tf.Scalar;
    return l2Norm(tf.stack(xs.map((x) => l2Norm(x)))) as tf.Scalar;
  });
}

/**
 * The number (int32 scalar) of NaN and ±Infinity entries of `xs`, decided as {@link finiteMask}
 * (no `isnan` on webgl; on float16 textures ±Inf are NaN and still counted). 0 for an empty list.
 * Exact below 2^24 (float32), and below 2048 on float16 textures (rounded above, NaN above 65504).
 */
export function countNonFinite(xs: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (xs.length === 0) return tf.scalar(0, 'int32');
    const counts = xs.map((g) => tf.sum(tf.cast(tf.logicalNot(finiteMask(g)), 'int32')));
    return (counts.length === 1 ? counts[0] : tf.addN(counts)) as tf.Scalar;
  });
}

/**
 * `[count mod split, floor(count / split)]` (int32 scalars), to carry a count above float32's 2^24
 * in two float32 slots. On a float16 backend `[count, 0]`: float16 cannot hold a split such as 2^24
 * (it is NaN there, and so would both parts be), nor a count above 65504 anyway.
 */
export function splitCount(count: tf.Scalar, split: number): [tf.Scalar, tf.Scalar] {
  return tf.tidy(() => {
    if (isFloat16Backend()) return [count.clone(), tf.zerosLike(count)] as [tf.Scalar, tf.Scalar];
    const s = tf.scalar(split, 'int32');
    return [tf.mod(count, s), tf.floorDiv(count, s)] as [tf.Scalar, tf.Scalar];
  });
}

/** The inverse of {@link splitCount}: `lo + hi * split` (int32); `lo` on a float16 backend. */
export function joinCount(lo: tf.Scalar, hi: tf.Scalar, split: number): tf.Scalar {
  return tf.tidy(() => (isFloat16Backend() ? lo.clone() : (tf.add(lo, tf.mul(hi, tf.scalar(split, 'int32'))) as tf.Scalar)));
}
