/**
 * The reference vectors in the page: the same two groups the Node tests run (TF, Keras 3, PyTorch
 * as test/reference-vectors.test.ts; optax, through the transforms, as
 * src/transforms/optax-vectors.test.ts), by the same runners (test/helpers/clipping-vector-cases.ts:
 * dispatched on each vector's `fn`, the same skip reasons, the same comparison) through the public
 * API of the bundled dist. An `fn` with no runner fails its check.
 *
 * Float16 textures (webgl-f16) cannot hold ±Infinity or |x| > 65504: the device stores such an
 * input entry as NaN. A vector with one has an explicit float16 expectation instead of the anchor's
 * output: the anchor's semantics for NaN in those places — the same call with those entries (and
 * a `use_norm`/`total_norm` scalar) replaced by NaN, run on the page's `cpu` backend, where
 * gradclip's NaN results are the anchors' (the Node suite checks the NaN vectors bit for bit).
 * Its check is named `… (float16: ±Inf and |x| > 65504 are NaN)`.
 */
import * as tf from '@tensorflow/tfjs';
import * as gradclip from 'gradclip';
import { isOptax, runOptax, runReference, skipReason, type ClippingApi, type RunOptions, type Sink, type Tol } from '../helpers/clipping-vector-cases.js';
import { assertClose, num, type EncodedTensor, type Vector } from '../helpers/vector-compare.js';
import { type Checks, ok } from './checks.js';
import type { TfBackend } from './protocol.js';

/** Records every result (in order) instead of comparing it. */
function recording(into: (number[] | null)[]): Sink {
  return {
    tensor: async (got) => void into.push(got == null ? null : Array.from(await got.data())),
    close: (got) => void into.push(Array.from(got)),
  };
}

/** Compares every result with the recorded one at the same position. */
function replaying(from: (number[] | null)[]): Sink {
  let i = 0;
  const next = (label: string): number[] | null => {
    if (i >= from.length) throw new Error(`${label}: more results than the float16 expectation has (${from.length})`);
    return from[i++];
  };
  return {
    tensor: async (got, _exp, tol, label) => {
      const want = next(label);
      if (want == null || got == null) {
        if ((want == null) !== (got == null)) throw new Error(`${label}: got ${got == null ? 'a hole' : 'a tensor'}, the float16 expectation has ${want == null ? 'a hole' : 'a tensor'}`);
        return;
      }
      assertClose(await got.data(), want, tol, `${label} (float16 expectation)`);
    },
    close: (got, _exp, tol, label) => assertClose(got, next(label) ?? [], tol, `${label} (float16 expectation)`),
  };
}

/** An entry a float16 texture cannot hold (it is NaN on the device). */
function notFloat16(x: number): boolean {
  return !Number.isNaN(x) && !(Math.abs(x) <= 65504);
}

/** Scalar arguments that become tensors (so float16 stores them too). */
const TENSOR_SCALARS = ['use_norm', 'total_norm'];

/** The vector with every entry float16 cannot hold replaced by NaN, or null when it has none. */
function asFloat16(v: Vector): Vector | null {
  let changed = false;
  const nan = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(nan);
    const n = typeof x === 'number' || typeof x === 'string' ? safeNum(x) : null;
    if (n != null && notFloat16(n)) {
      changed = true;
      return 'NaN';
    }
    return x;
  };
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x != null && typeof x === 'object') {
      if ('data' in x && 'shape' in x) return { ...(x as EncodedTensor), data: nan((x as EncodedTensor).data) };
      return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, TENSOR_SCALARS.includes(k) ? nan(y) : walk(y)]));
    }
    return x;
  };
  const args = walk(v.args) as Vector['args'];
  return changed ? { ...v, args } : null;
}

function safeNum(x: unknown): number | null {
  try {
    return num(x);
  } catch {
    return null;
  }
}

/** Runs `f` on the `cpu` backend, then switches back to `back`. */
async function onCpu(back: TfBackend, f: () => Promise<void>): Promise<void> {
  await tf.setBackend('cpu');
  try {
    await f();
  } finally {
    await tf.setBackend(back);
  }
}

/** gradclip's API for the runners: the bundled dist. */
const API: ClippingApi = gradclip;

/**
 * Registers one check per reference vector: `vectors/<name>` (TF, Keras, PyTorch) and
 * `optax/<name>`. `float16`: the backend when it stores float16 (see the file comment), else null.
 */
export async function vectorChecks(checks: Checks, vectors: Vector[], widen: (tol: Tol) => Tol, float16: TfBackend | null = null): Promise<void> {
  await checks.run('vectors: the reference set has TF, Keras 3, PyTorch and optax vectors', () => {
    for (const prefix of ['tf.', 'keras.', 'torch.', 'optax.']) ok(vectors.some((v) => v.fn.startsWith(prefix)), `no '${prefix}*' vector in the reference set`);
  });
  const check = async (name: string, v: Vector, run: (v: Vector, o: RunOptions) => Promise<void>): Promise<void> => {
    const back = float16;
    const f16 = back == null ? null : asFloat16(v);
    if (back == null || f16 == null) return checks.run(name, () => run(v, { tol: widen(v.tolerance) }));
    await checks.run(`${name} (float16: ±Inf and |x| > 65504 are NaN)`, async () => {
      const expected: (number[] | null)[] = [];
      await onCpu(back, () => run(f16, { tol: v.tolerance, sink: recording(expected) }));
      await run(v, { tol: widen(v.tolerance), sink: replaying(expected) });
    });
  };
  for (const v of vectors) {
    if (isOptax(v)) {
      await check(`optax/${v.name}`, v, (x, o) => runOptax(API, x, o));
      continue;
    }
    const reason = skipReason(v);
    if (reason != null) {
      checks.skip(`vectors/${v.name}`, reason);
      continue;
    }
    await check(`vectors/${v.name}`, v, (x, o) => runReference(API, x, o));
  }
}
