/**
 * `clipByValue` against `tf.clip_by_value` (tensorflow/python/ops/clip_ops.py): scalar or tensor
 * bounds that broadcast to `t` without changing its shape, checked against a plain JS element-wise
 * min/max reference with explicit broadcasting.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { ValueError } from '../errors.js';
import { clipByValue } from './clip-by-value.js';

interface Data {
  shape: number[];
  values: number[];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The value of bound `b` at index `idx` of `t` (numpy broadcasting: shapes aligned from the right, size-1 dims repeat). */
function at(b: Data, idx: number[]): number {
  let flat = 0;
  for (let k = 0; k < b.shape.length; ++k) {
    const i = b.shape[k] === 1 ? 0 : idx[idx.length - b.shape.length + k];
    flat = flat * b.shape[k] + i;
  }
  return b.values[flat];
}

/** `maximum(minimum(x, hi), lo)` entry by entry, in float32, NaN in `t` kept (TF's PropagateNaN). */
function reference(t: Data, lo: Data, hi: Data): number[] {
  const out: number[] = [];
  for (let i = 0; i < t.values.length; ++i) {
    const idx: number[] = [];
    let r = i;
    for (let k = t.shape.length - 1; k >= 0; --k) {
      idx.unshift(r % t.shape[k]);
      r = Math.floor(r / t.shape[k]);
    }
    const x = Math.fround(t.values[i]);
    const l = Math.fround(at(lo, idx));
    const h = Math.fround(at(hi, idx));
    out.push(Number.isNaN(x) ? NaN : Math.max(Math.min(x, h), l));
  }
  return out;
}

const T23: Data = { shape: [2, 3], values: [-10, -1, 0.25, 0, 2, 10] };

/** Asserts `ValueError` with a message matching `re`, and that the failed call leaks nothing. */
async function rejects(f: () => unknown, re: RegExp): Promise<void> {
  await expectNoLeak(() => {
    assert.throws(f, (e: unknown) => e instanceof ValueError && re.test((e as Error).message), String(re));
  });
}

describeBackends('clipByValue', () => {
  it("reproduces tf.clip_by_value's docstring examples (scalar bounds; a [[2], [1]] lower bound)", async () => {
    const t = tf.tensor([[-10, -1, 0], [0, 2, 10]]);
    const t2 = clipByValue(t, -1, 1);
    assert.deepEqual(await t2.array(), [[-1, -1, 0], [0, 1, 1]]);
    const t3 = tf.tensor([[-1, 0, 10], [-1, 0, 10]]);
    const t4 = clipByValue(t3, [[2], [1]], 100);
    assert.deepEqual(await t4.array(), [[2, 2, 10], [1, 1, 10]]);
    tf.dispose([t, t2, t3, t4]);
  });

  it('runs the doc comment example', async () => {
    const [t, hi] = [tf.tensor([[-5, 2, NaN], [6, -1, 0.5]]), tf.tensor([4.4, 1, 3])];
    const out = clipByValue(t, [[-4.4], [0]], hi);
    assert.deepEqual(out.shape, [2, 3]);
    assert.deepEqual(Array.from(await out.data()), [Math.fround(-4.4), 1, NaN, Math.fround(4.4), 0, 0.5]);
    tf.dispose([t, hi, out]);
  });

  const cases: [string, Data, Data][] = [
    ['scalar tensors', { shape: [], values: [-1] }, { shape: [], values: [2] }],
    ['row vectors [3]', { shape: [3], values: [-1, 0, 5] }, { shape: [3], values: [0, 1, 5] }],
    ['row vectors [1, 3]', { shape: [1, 3], values: [-3, 0.5, -20] }, { shape: [1, 3], values: [-2, 1, 20] }],
    ['column vectors [2, 1]', { shape: [2, 1], values: [0, -5] }, { shape: [2, 1], values: [1, -2] }],
    ['full shape [2, 3]', { shape: [2, 3], values: [-9, 0, 0, 1, 3, 9] }, { shape: [2, 3], values: [-8, 0, 1, 1, 4, 9] }],
    ['row lower, column upper', { shape: [3], values: [-1, 0, 0.25] }, { shape: [2, 1], values: [0.5, 5] }],
    ['scalar lower, full upper', { shape: [], values: [-0.5] }, { shape: [2, 3], values: [0, 0, 0, 1, 1, 1] }],
    ['infinite bounds', { shape: [3], values: [-Infinity, 0, -Infinity] }, { shape: [2, 1], values: [Infinity, 1] }],
    ['[1, 1] bounds', { shape: [1, 1], values: [-1] }, { shape: [1, 1], values: [1] }],
  ];
  for (const [label, lo, hi] of cases) {
    it(`broadcasts tensor and TensorLike bounds: ${label}`, async () => {
      const expected = reference(T23, lo, hi);
      const t = tf.tensor(T23.values, T23.shape);
      const loT = tf.tensor(lo.values, lo.shape);
      const hiT = tf.tensor(hi.values, hi.shape);
      const nested = (d: Data) => (d.shape.length === 0 ? d.values[0] : tf.tensor(d.values, d.shape).arraySync());
      const variants: [string, unknown, unknown][] = [
        ['tensor, tensor', loT, hiT],
        ['array, array', nested(lo), nested(hi)],
        ['tensor, array', loT, nested(hi)],
        ['array, tensor', nested(lo), hiT],
      ];
      if (lo.shape.length === 1) variants.push(['Float32Array, tensor', Float32Array.from(lo.values), hiT]);
      for (const [v, a, b] of variants) {
        await expectNoLeak(async () => {
          const out = clipByValue(t, a as tf.Tensor, b as tf.Tensor);
          assert.deepEqual(out.shape, T23.shape, v);
          assert.equal(out.dtype, 'float32', v);
          assert.deepEqual(Array.from(await out.data()), expected, `${label} (${v})`);
          out.dispose();
        }, v);
      }
      assert.ok(!loT.isDisposed && !hiT.isDisposed, "the caller's bound tensors are not disposed");
      tf.dispose([t, loT, hiT]);
    });
  }

  it('random shapes and bounds: equals the element-wise reference, NaN and ±inf in t included (property)', async () => {
    const entry = fc.oneof(
      { weight: 8, arbitrary: fc.float({ min: -50, max: 50, noNaN: true, noDefaultInfinity: true }) },
      { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0) },
    );
    const problem = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 }).chain((shape) => {
      // A bound shape: a suffix of t's shape with some dims set to 1.
      const boundShape = fc
        .tuple(fc.integer({ min: 0, max: shape.length }), fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }))
        .map(([drop, ones]) => shape.slice(drop).map((d, k) => (ones[k + drop] ? 1 : d)));
      return fc.tuple(fc.constant(shape), boundShape, boundShape).chain(([s, ls, hs]) =>
        fc.tuple(
          fc.array(entry, { minLength: size(s), maxLength: size(s) }),
          fc.array(fc.float({ min: -20, max: 0, noNaN: true }), { minLength: size(ls), maxLength: size(ls) }),
          fc.array(fc.float({ min: 0, max: 20, noNaN: true }), { minLength: size(hs), maxLength: size(hs) }),
          fc.boolean(),
        ).map(([tv, lv, hv, asArrays]) => ({ t: { shape: s, values: tv }, lo: { shape: ls, values: lv }, hi: { shape: hs, values: hv }, asArrays })),
      );
    });
    await fc.assert(
      fc.asyncProperty(problem, async ({ t, lo, hi, asArrays }) => {
        const tt = tf.tensor(t.values, t.shape);
        const bound = (d: Data) => (asArrays ? (d.shape.length === 0 ? d.values[0] : tf.tidy(() => tf.tensor(d.values, d.shape).arraySync())) : tf.tensor(d.values, d.shape));
        const [l, h] = [bound(lo), bound(hi)];
        const out = clipByValue(tt, l as tf.Tensor, h as tf.Tensor);
        assert.deepEqual(out.shape, t.shape);
        assert.deepEqual(Array.from(await out.data()), reference(t, lo, hi));
        tf.dispose([tt, out, ...[l, h].filter((x): x is tf.Tensor => x instanceof tf.Tensor)]);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps NaN in t with every kind of bound (tfjs-wasm min/max keep NaN only from their first operand)', async () => {
    const t = tf.tensor([[NaN, 5, -5], [0.5, NaN, NaN]]);
    const bounds: [unknown, unknown][] = [
      [-1, 1],
      [tf.scalar(-1), tf.scalar(1)],
      [tf.tensor([-1, -2, -3]), tf.tensor([[1], [2]])],
      [[[-1], [-2]], [1, 2, 3]],
      [tf.fill([2, 3], -1), tf.fill([2, 3], 1)],
    ];
    for (const [lo, hi] of bounds) {
      const out = await clipByValue(t, lo as tf.Tensor, hi as tf.Tensor).data();
      assert.ok(Number.isNaN(out[0]) && Number.isNaN(out[4]) && Number.isNaN(out[5]), `NaN kept: ${Array.from(out)}`);
      assert.equal(out[3], 0.5);
    }
    tf.dispose([t, ...bounds.flat().filter((x): x is tf.Tensor => x instanceof tf.Tensor)]);
  });

  it('min == max: every non-NaN entry becomes the bound', async () => {
    const [t, lo] = [tf.tensor([-3, NaN, 7]), tf.tensor([2, 2, 2])];
    const out = clipByValue(t, lo, [2, 2, 2]);
    assert.deepEqual(Array.from(await out.data()), [2, NaN, 2]);
    tf.dispose([t, lo, out]);
  });

  it('rejects bounds that do not broadcast to t, or would enlarge it (TF: assert_is_compatible_with)', async () => {
    const [t, col, s] = [tf.ones([2, 3]), tf.ones([3, 1]), tf.scalar(1)];
    const [b2, b123, b33, b3] = [tf.ones([2]), tf.zeros([1, 2, 3]), tf.ones([3, 3]), tf.zeros([3])];
    await rejects(() => clipByValue(t, [[[2, 1]]], 100), /^`clipValueMin` must broadcast to the shape of `t` without changing it in clipByValue.*Received: clipValueMin\.shape=\[1,1,2\], t\.shape=\[2,3\]$/);
    await rejects(() => clipByValue(t, 0, b2), /`clipValueMax` must broadcast.*Received: clipValueMax\.shape=\[2\], t\.shape=\[2,3\]/);
    await rejects(() => clipByValue(t, b123, 1), /`clipValueMin` must broadcast.*Received: clipValueMin\.shape=\[1,2,3\], t\.shape=\[2,3\]/);
    await rejects(() => clipByValue(t, 0, b33), /`clipValueMax` must broadcast.*clipValueMax\.shape=\[3,3\]/);
    await rejects(() => clipByValue(col, b3, 1), /`clipValueMin` must broadcast.*Received: clipValueMin\.shape=\[3\], t\.shape=\[3,1\]/);
    await rejects(() => clipByValue(s, [0], 2), /`clipValueMin` must broadcast.*Received: clipValueMin\.shape=\[1\], t\.shape=\[\]/);
    tf.dispose([t, col, s, b2, b123, b33, b3]);
  });

  it('accepts empty tensors with broadcasting bounds', async () => {
    const [t, hi] = [tf.zeros([0, 3]), tf.ones([1, 3])];
    const out = clipByValue(t, [0, 0, 0], hi);
    assert.deepEqual(out.shape, [0, 3]);
    tf.dispose([t, hi, out]);
  });

  it('rejects NaN bounds, naming the element (a tensor bound is checked on the host)', async () => {
    const t = tf.ones([2, 3]);
    await rejects(() => clipByValue(t, NaN, 1), /^`clipValueMin` must not be NaN in clipByValue.*Received: clipValueMin=NaN$/);
    const lo = tf.tensor([[0], [NaN]]);
    await rejects(() => clipByValue(t, lo, 1), /^`clipValueMin` must not be NaN in clipByValue.*Received: clipValueMin\[1,0\]=NaN$/);
    const hi = tf.tensor([1, 2, NaN]);
    await rejects(() => clipByValue(t, -1, hi), /`clipValueMax` must not be NaN.*Received: clipValueMax\[2\]=NaN$/);
    await rejects(() => clipByValue(t, [[0, NaN, 0]], 1), /`clipValueMin` must not be NaN.*Received: clipValueMin\[0,1\]=NaN$/);
    await rejects(() => clipByValue(t, 0, Float32Array.from([1, NaN, 1])), /`clipValueMax` must not be NaN.*Received: clipValueMax\[1\]=NaN$/);
    tf.dispose([t, lo, hi]);
  });

  it('rejects min > max, element-wise after broadcasting, naming both elements', async () => {
    const t = tf.ones([2, 3]);
    await rejects(() => clipByValue(t, 2, 1), /^`clipValueMin` must be <= `clipValueMax` in clipByValue\. Received: clipValueMin=2, clipValueMax=1$/);
    const lo = tf.tensor([[0], [3]]);
    const hi = tf.tensor([5, 2.5, 5]);
    await rejects(
      () => clipByValue(t, lo, hi),
      /^`clipValueMin` must be <= `clipValueMax` in clipByValue, element-wise after broadcasting to the shape of `t` \[2,3\]\. Received: clipValueMin\[1,0\]=3, clipValueMax\[1\]=2\.5$/,
    );
    await rejects(() => clipByValue(t, [[0], [3]], [5, 2.5, 5]), /Received: clipValueMin\[1,0\]=3, clipValueMax\[1\]=2\.5$/);
    const hi3 = tf.tensor([5, 5, 2.5]);
    for (const upper of [[5, 5, 2.5], hi3]) {
      await rejects(() => clipByValue(t, [[0], [3]], upper), /Received: clipValueMin\[1,0\]=3, clipValueMax\[2\]=2\.5$/);
    }
    hi3.dispose();
    const hi2 = tf.tensor([1, 0.5, 2]);
    await rejects(() => clipByValue(t, 1, hi2), /Received: clipValueMin=1, clipValueMax\[1\]=0\.5$/);
    await rejects(() => clipByValue(t, [-1, 3, -1], 2), /Received: clipValueMin\[1\]=3, clipValueMax=2$/);
    tf.dispose([t, lo, hi, hi2]);
  });

  it('reads the device only for tf.Tensor bounds (one small read), never for numbers or arrays', async () => {
    const t = tf.ones([2, 3]);
    const proto = tf.Tensor.prototype as unknown as { dataSync: () => unknown; data: () => unknown };
    const [dataSync, data] = [proto.dataSync, proto.data];
    let reads = 0;
    proto.dataSync = function (this: tf.Tensor) {
      reads += 1;
      return dataSync.call(this);
    };
    proto.data = function (this: tf.Tensor) {
      reads += 1;
      return data.call(this);
    };
    try {
      tf.dispose([clipByValue(t, -1, 1), clipByValue(t, [[-1], [0]], Float32Array.from([1, 2, 3]))]);
      assert.equal(reads, 0, 'numbers and TensorLike bounds are checked on the host');
      const lo = tf.fill([2, 3], -1);
      tf.dispose([clipByValue(t, lo, 1), lo]);
      assert.equal(reads, 1, 'a tensor bound costs one read of one boolean');
    } finally {
      proto.dataSync = dataSync;
      proto.data = data;
    }
    t.dispose();
  });

  it("keeps t's dtype: int32 t with integer bounds gives int32; bounds of another dtype are rejected (TF: TypeError)", async () => {
    const ti = tf.tensor([[-5, 0, 7], [3, -2, 9]], undefined, 'int32');
    const a = clipByValue(ti, -3, 4);
    assert.equal(a.dtype, 'int32');
    assert.deepEqual(await a.array(), [[-3, 0, 4], [3, -2, 4]]);
    const b = clipByValue(ti, [[0], [-1]], tf.tensor([1, 2, 8], undefined, 'int32'));
    assert.equal(b.dtype, 'int32');
    assert.deepEqual(await b.array(), [[0, 0, 7], [1, -1, 8]]);
    await rejects(() => clipByValue(ti, -3.1, 3), /^`clipValueMin` must be an int32 integer in clipByValue when `t` is int32\. Received: clipValueMin=-3\.1$/);
    await rejects(() => clipByValue(ti, 0, -Infinity), /`clipValueMax` must be an int32 integer.*Received: clipValueMax=-Infinity$/);
    await rejects(() => clipByValue(ti, 0, [1, 2.5, 3]), /`clipValueMax` must be an int32 integer.*Received: clipValueMax\[1\]=2\.5$/);
    const f = tf.tensor([1, 2, 3]);
    await rejects(() => clipByValue(ti, f, 9), /^`clipValueMin` must have the dtype of `t` \(int32\) in clipByValue\. Received: clipValueMin\.dtype=float32$/);
    const i = tf.tensor([1, 2, 3], undefined, 'int32');
    await rejects(() => clipByValue(f, i, 9), /`clipValueMin` must have the dtype of `t` \(float32\).*Received: clipValueMin\.dtype=int32$/);
    const bool = tf.tensor([true, false], undefined, 'bool');
    await rejects(() => clipByValue(bool, 0, 1), /^`t` must be a float32 or int32 tf\.Tensor in clipByValue\. Received: t\.dtype=bool$/);
    const c = clipByValue(f, Int32Array.from([2, 2, 2]), 2.5);
    assert.equal(c.dtype, 'float32');
    assert.deepEqual(Array.from(await c.data()), [2, 2, 2.5]);
    tf.dispose([ti, f, i, bool]);
  });

  it('rejects bounds that are not numbers, tensors or numeric TensorLikes, and ragged arrays', async () => {
    const t = tf.ones([2, 3]);
    await rejects(() => clipByValue(t, '1' as unknown as number, 2), /^`clipValueMin` must be a number, a tf\.Tensor or a TensorLike.*in clipByValue\. Received: clipValueMin="1"$/);
    await rejects(() => clipByValue(t, 0, null as unknown as number), /`clipValueMax` must be a number, a tf\.Tensor or a TensorLike.*Received: clipValueMax=null$/);
    await rejects(() => clipByValue(t, [true, 0, 0] as unknown as number[], 2), /`clipValueMin` must be a number, a tf\.Tensor or a TensorLike.*Received: clipValueMin\[0\]=true$/);
    await rejects(() => clipByValue(t, [[0, 0, 0], [0, 0]], 2), /`clipValueMin` must be a number, a tf\.Tensor or a TensorLike.*not ragged.*Received: clipValueMin\[1\] has 2 elements, clipValueMin\[0\] has 3$/);
    const one = tf.ones([1, 1]);
    await rejects(() => clipByValue(one, [[0], 0] as unknown as number[][], 2), /not ragged.*Received: clipValueMin\[1\]=0, clipValueMin\[0\] has 1$/);
    await rejects(() => clipByValue([1, 2] as unknown as tf.Tensor, 0, 1), /^`t` must be a tf\.Tensor in clipByValue\. Received: t=\[1, 2\]$/);
    tf.dispose([t, one]);
  });
});
