/** `tf.clip_by_value` for TF.js, NaN-correct on every backend, with TF's broadcasting bounds. */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatValue, received } from '../errors.js';

/** A bound of {@link clipByValue}: a number, a tensor, or a TensorLike (nested number arrays, typed arrays). */
export type ClipBound = number | tf.Tensor | tf.TensorLike;

type BoundName = 'clipValueMin' | 'clipValueMax';

/** A bound whose values are on the host (a number or a TensorLike), row-major. */
interface HostBound {
  readonly values: ArrayLike<number>;
  readonly shape: number[];
}

/** A validated bound: on the host, or the caller's tensor. */
type Bound = { host: HostBound; tensor: null; num: number | null } | { host: null; tensor: tf.Tensor; num: null };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Clamps `t` to `[clipValueMin, clipValueMax]` as TensorFlow's `tf.clip_by_value` computes it:
 * `maximum(minimum(t, clipValueMax), clipValueMin)`, the bounds broadcast against `t`. Unlike
 * `tf.clipByValue`, the bounds may be tensors, and NaN stays NaN on every backend (tfjs-wasm's
 * ClipByValue kernel maps NaN to the lower bound).
 *
 * Bounds (TF): a number, or a tensor / TensorLike (nested number array, typed array) that
 * broadcasts to the shape of `t` **without changing it**: aligned from the right, each of its
 * dimensions is 1 or `t`'s, and it has at most `t`'s rank (TF checks
 * `values.shape.assert_is_compatible_with(t.shape)` after `minimum` and `maximum`). The result
 * always has `t`'s shape and dtype.
 *
 * dtype (TF): `t` is float32 or int32. Numbers and TensorLikes are converted to `t`'s dtype; for
 * an int32 `t` they must be int32 integers (TF raises a TypeError for `-3.1` or `inf`). A tensor
 * bound must already have `t`'s dtype (TF's `Minimum` rejects mixed dtypes).
 *
 * Checks gradclip adds (TF only notes that min "needs to be smaller or equal to max for correct
 * results"; with min > max it returns min there, and a NaN bound makes the entry NaN through
 * Eigen's PropagateNaN): `clipValueMin <= clipValueMax` element-wise after broadcasting, and no NaN
 * in either bound. Numbers and TensorLikes are checked on the host for free. A `tf.Tensor` bound
 * is checked on its device and costs one read of one boolean (a `dataSync`, i.e. a GPU sync on
 * webgl/webgpu); pass numbers or arrays where that matters.
 *
 * NaN/Inf policy (TF): NaN in `t` stays NaN; ±inf clamp to the bounds; bounds may be ±Infinity
 * (float32 `t`).
 *
 * @param t The tensor (float32 or int32).
 * @param clipValueMin Lower bound: a number, a tensor or a TensorLike broadcasting to `t`.
 * @param clipValueMax Upper bound, >= `clipValueMin` element-wise; same forms.
 * @returns A new tensor with `t`'s shape and dtype. The bounds are not disposed.
 * @throws ValueError for a non-tensor `t` or a dtype other than float32/int32; a bound that is not
 *   a number, tensor or numeric TensorLike, is ragged, has another dtype (tensor) or a non-integer
 *   value (int32 `t`), contains NaN, does not broadcast to `t`'s shape, or exceeds the other bound.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipByValue } from 'gradclip';
 * clipByValue(tf.tensor([-5, 2, NaN, 6]), -4.4, 4.4).print();
 * //=> [-4.4, 2, NaN, 4.4]
 * // A lower bound per row (a column vector) and an upper bound per column (a tensor):
 * clipByValue(tf.tensor([[-5, 2, NaN], [6, -1, 0.5]]), [[-4.4], [0]], tf.tensor([4.4, 1, 3])).print();
 * //=> [[-4.4, 1, NaN], [4.4, 0, 0.5]]
 * ```
 */
export function clipByValue<T extends tf.Tensor>(t: T, clipValueMin: ClipBound, clipValueMax: ClipBound): T {
  if (!(t instanceof tf.Tensor)) {
    throw new ValueError(`\`t\` must be a tf.Tensor in clipByValue. Received: t=${formatValue(t)}`);
  }
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new ValueError(`\`t\` must be a float32 or int32 tf.Tensor in clipByValue. Received: t.dtype=${t.dtype}`);
  }
  const lo = readBound('clipValueMin', clipValueMin, t);
  const hi = readBound('clipValueMax', clipValueMax, t);
  if (lo.num != null && hi.num != null) {
    if (lo.num > hi.num) {
      throw new ValueError(`\`clipValueMin\` must be <= \`clipValueMax\` in clipByValue. ${received({ clipValueMin: lo.num, clipValueMax: hi.num })}`);
    }
  } else if (lo.tensor == null && hi.tensor == null) {
    checkOrder(lo.host, hi.host, t.shape);
  } else {
    checkOnDevice(lo, hi, t);
  }
  // t (possibly NaN) stays the first operand: tfjs-wasm's min/max propagate NaN only from there.
  return tf.tidy(() => tf.maximum(tf.minimum(t, operand(hi, t.dtype)), operand(lo, t.dtype)) as T);
}

/** Validates one bound: form, dtype, values (NaN, int32) and shape against `t`. */
function readBound(name: BoundName, v: unknown, t: tf.Tensor): Bound {
  const int = t.dtype === 'int32';
  if (typeof v === 'number') {
    checkValue(name, v, int, '');
    return { host: { values: [v], shape: [] }, tensor: null, num: v };
  }
  if (v instanceof tf.Tensor) {
    if (v.dtype !== t.dtype) {
      throw new ValueError(`\`${name}\` must have the dtype of \`t\` (${t.dtype}) in clipByValue. Received: ${name}.dtype=${v.dtype}`);
    }
    checkShape(name, v.shape, t.shape);
    return { host: null, tensor: v, num: null };
  }
  if (Array.isArray(v) || isTypedArray(v)) {
    const host = parseTensorLike(name, v);
    for (let i = 0; i < host.values.length; ++i) checkValue(name, host.values[i], int, indexText(i, host.shape));
    checkShape(name, host.shape, t.shape);
    return { host, tensor: null, num: null };
  }
  throw new ValueError(`\`${name}\` ${FORMS} in clipByValue. ${received({ [name]: v })}`);
}

const FORMS = 'must be a number, a tf.Tensor or a TensorLike (a nested number array or a typed array)';

function isTypedArray(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** A bound value: not NaN; an int32 integer when `t` is int32. */
function checkValue(name: BoundName, x: number, int: boolean, index: string): void {
  if (Number.isNaN(x)) {
    throw new ValueError(`\`${name}\` must not be NaN in clipByValue (TF would make the clipped entries NaN). Received: ${name}${index}=NaN`);
  }
  if (int && !(Number.isInteger(x) && x >= INT32_MIN && x <= INT32_MAX)) {
    throw new ValueError(`\`${name}\` must be an int32 integer in clipByValue when \`t\` is int32. Received: ${name}${index}=${formatValue(x)}`);
  }
}

/** TF's rule: the bound broadcasts to `t`'s shape and the result keeps that shape. */
function checkShape(name: BoundName, shape: number[], tShape: number[]): void {
  const offset = tShape.length - shape.length;
  const ok = offset >= 0 && shape.every((d, k) => d === 1 || d === tShape[offset + k]);
  if (!ok) {
    throw new ValueError(
      `\`${name}\` must broadcast to the shape of \`t\` without changing it in clipByValue (aligned from the right, each of its ` +
        `dimensions must be 1 or t's, and its rank at most t's). Received: ${name}.shape=[${shape}], t.shape=[${tShape}]`,
    );
  }
}

/** Shape and row-major values of a nested number array / typed array (rejecting ragged arrays and non-numbers). */
function parseTensorLike(name: BoundName, v: ArrayLike<unknown>): HostBound {
  const shape: number[] = [];
  for (let x: unknown = v; Array.isArray(x) || isTypedArray(x); x = (x as ArrayLike<unknown>)[0]) {
    shape.push((x as ArrayLike<unknown>).length);
    if ((x as ArrayLike<unknown>).length === 0) break;
  }
  const values: number[] = [];
  const walk = (x: unknown, depth: number, path: number[]): void => {
    const where = (p: number[]) => `${name}${p.map((i) => `[${i}]`).join('')}`;
    if (depth === shape.length) {
      if (typeof x !== 'number') {
        const why = Array.isArray(x) || isTypedArray(x) ? ` (not ragged)` : '';
        throw new ValueError(`\`${name}\` ${FORMS}${why} in clipByValue. Received: ${where(path)}=${formatValue(x)}`);
      }
      values.push(x);
      return;
    }
    if (!(Array.isArray(x) || isTypedArray(x)) || x.length !== shape[depth]) {
      const got = Array.isArray(x) || isTypedArray(x) ? `${where(path)} has ${x.length} elements` : `${where(path)}=${formatValue(x)}`;
      const first = where([...path.slice(0, -1), 0]);
      throw new ValueError(`\`${name}\` ${FORMS} (not ragged) in clipByValue. Received: ${got}, ${first} has ${shape[depth]}`);
    }
    for (let i = 0; i < x.length; ++i) walk((x as ArrayLike<unknown>)[i], depth + 1, [...path, i]);
  };
  walk(v, 0, []);
  return { values, shape };
}

/** `[i,j]` for flat index `i` of `shape` (empty for a scalar). */
function indexText(flat: number, shape: number[]): string {
  if (shape.length === 0) return '';
  const idx: number[] = new Array(shape.length);
  for (let k = shape.length - 1; k >= 0; --k) {
    idx[k] = flat % shape[k];
    flat = Math.floor(flat / shape[k]);
  }
  return `[${idx}]`;
}

/** Throws when some `lo > hi` after broadcasting the two bounds (both on the host). */
function checkOrder(lo: HostBound, hi: HostBound, tShape: number[]): void {
  // Both broadcast to t without changing it, so their joint broadcast shape is a suffix of t's.
  const rank = Math.max(lo.shape.length, hi.shape.length);
  const dims = Array.from({ length: rank }, (_, k) => {
    const a = lo.shape[k - (rank - lo.shape.length)] ?? 1;
    const b = hi.shape[k - (rank - hi.shape.length)] ?? 1;
    return a === 1 ? b : a;
  });
  const strides = (shape: number[]) => {
    const s = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let k = shape.length - 1; k >= 0; --k) {
      if (shape[k] !== 1) s[k + rank - shape.length] = acc;
      acc *= shape[k];
    }
    return s;
  };
  const [sl, sh] = [strides(lo.shape), strides(hi.shape)];
  const n = dims.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; ++i) {
    let [fl, fh] = [0, 0];
    for (let k = 0; k < rank; ++k) {
      fl += idx[k] * sl[k];
      fh += idx[k] * sh[k];
    }
    if (lo.values[fl] > hi.values[fh]) {
      throw new ValueError(
        `\`clipValueMin\` must be <= \`clipValueMax\` in clipByValue, element-wise after broadcasting to the shape of \`t\` [${tShape}]. ` +
          `Received: clipValueMin${indexText(fl, lo.shape)}=${formatValue(lo.values[fl])}, clipValueMax${indexText(fh, hi.shape)}=${formatValue(hi.values[fh])}`,
      );
    }
    for (let k = rank - 1; k >= 0; --k) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
}

/**
 * The checks of a `tf.Tensor` bound, on its device: one boolean "NaN in a tensor bound, or min >
 * max somewhere" read back. Only when it is set are the bounds read to name the element.
 */
function checkOnDevice(lo: Bound, hi: Bound, t: tf.Tensor): void {
  const flag = tf.tidy(() => {
    const a = operand(lo, t.dtype, true);
    const b = operand(hi, t.dtype, true);
    let bad = tf.greater(a, b);
    if (t.dtype === 'float32') {
      for (const [bound, x] of [[lo, a], [hi, b]] as const) if (bound.tensor != null) bad = tf.logicalOr(bad, tf.isNaN(x));
    }
    return tf.any(bad);
  });
  const isBad = flag.dataSync()[0] !== 0;
  flag.dispose();
  if (!isBad) return;
  const host = (name: BoundName, b: Bound): HostBound => {
    if (b.host != null) return b.host;
    const h = { values: b.tensor.dataSync(), shape: b.tensor.shape };
    for (let i = 0; i < h.values.length; ++i) checkValue(name, h.values[i], false, indexText(i, h.shape));
    return h;
  };
  checkOrder(host('clipValueMin', lo), host('clipValueMax', hi), t.shape);
  throw new ValueError('`clipValueMin` must be <= `clipValueMax` and free of NaN in clipByValue (the device check failed).');
}

/** The bound as an operand of `t`'s dtype: the caller's tensor, a number (float32) or a new tensor. */
function operand(b: Bound, dtype: tf.DataType, asTensor = false): tf.Tensor | number {
  if (b.tensor != null) return b.tensor;
  if (b.num != null && dtype === 'float32' && !asTensor) return b.num;
  return tf.tensor(b.host.values as number[], b.host.shape, dtype);
}
