/**
 * The reference vectors' encoding and comparison, with no Node built-ins (the Node tests and the
 * browser suite both use it): tensors are `{dtype, shape, data}` with non-finite values as the
 * strings 'NaN'/'Infinity'/'-Infinity', and a result matches when |got - exp| <= atol + rtol*|exp|,
 * NaN == NaN.
 */
import * as tf from '@tensorflow/tfjs';

export interface EncodedTensor {
  dtype: string;
  shape: number[];
  data: unknown;
}
export interface Vector {
  name: string;
  fn: string;
  anchor: string;
  args: Record<string, any>;
  expected: Record<string, any>;
  tolerance: { rtol: number; atol: number };
}

/** Decodes a JSON number that may be the strings 'NaN', 'Infinity', '-Infinity'. */
export function num(x: unknown): number {
  if (x === 'NaN') return NaN;
  if (x === 'Infinity' || x === 'inf') return Infinity;
  if (x === '-Infinity' || x === '-inf') return -Infinity;
  if (typeof x !== 'number') throw new Error(`not a number: ${JSON.stringify(x)}`);
  return x;
}

/** The numbers of a (nested) encoded data array, decoded, in row-major order. */
export function flatten(data: unknown): number[] {
  if (Array.isArray(data)) return data.flatMap(flatten);
  return [num(data)];
}

export function toTensor(e: EncodedTensor | null): tf.Tensor | null {
  if (e == null) return null;
  return tf.tensor(flatten(e.data), e.shape, 'float32');
}

export function toTensors(list: (EncodedTensor | null)[]): (tf.Tensor | null)[] {
  return list.map(toTensor);
}

/** Throws with a readable message unless `got` matches `expected` within tolerance. */
export function assertClose(got: ArrayLike<number>, expected: number[], tol: { rtol: number; atol: number }, label: string): void {
  if (got.length !== expected.length) throw new Error(`${label}: length ${got.length} != expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const g = got[i];
    const e = expected[i];
    const ok = Number.isNaN(e) ? Number.isNaN(g) : g === e || Math.abs(g - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      throw new Error(`${label}[${i}]: got ${g}, expected ${e} (rtol=${tol.rtol}, atol=${tol.atol}); got=[${Array.from(got)}] expected=[${expected}]`);
    }
  }
}

export async function assertTensorClose(got: tf.Tensor | null | undefined, exp: EncodedTensor | null, tol: { rtol: number; atol: number }, label: string): Promise<void> {
  if (exp == null) {
    if (got != null) throw new Error(`${label}: expected a hole (null), got a tensor`);
    return;
  }
  if (got == null) throw new Error(`${label}: expected a tensor, got ${got}`);
  if (JSON.stringify(got.shape) !== JSON.stringify(exp.shape)) throw new Error(`${label}: shape ${got.shape} != ${exp.shape}`);
  assertClose(await got.data(), flatten(exp.data), tol, label);
}
