/** fast-check generators for gradient lists, and float64 reference maths to check against. */
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';

/** A gradient as plain data: float32-representable values and a shape. */
export interface GradData {
  shape: number[];
  values: number[];
}

const f32 = (min: number, max: number) =>
  fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true });

/** 1–4 gradients of rank 1–3 with finite entries in [-scale, scale]. */
export function gradList(scale = 100): fc.Arbitrary<GradData[]> {
  const shape = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
  const grad = shape.chain((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    return fc.array(f32(-scale, scale), { minLength: n, maxLength: n }).map((values) => ({ shape: s, values }));
  });
  return fc.array(grad, { minLength: 1, maxLength: 4 });
}

export function toTensors(gs: GradData[]): tf.Tensor[] {
  return gs.map((g) => tf.tensor(g.values, g.shape, 'float32'));
}

/** The float64 global L2 norm of the data. */
export function norm64(gs: GradData[]): number {
  let s = 0;
  for (const g of gs) for (const v of g.values) s += v * v;
  return Math.sqrt(s);
}

/** Reads tensors back as float64 arrays. */
export async function read(ts: (tf.Tensor | null | undefined)[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => (t == null ? [] : Array.from(await t.data()))));
}

/** Norm of already-read values. */
export function normOf(vs: number[][]): number {
  let s = 0;
  for (const v of vs) for (const x of v) s += x * x;
  return Math.sqrt(s);
}
