import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { NonFiniteError, ValueError } from '../errors.js';
import { clipGradNorm } from './clip-grad-norm.js';
import { clipGradValue } from './clip-grad-value.js';
import { clipGradNorm_, clipGradValue_ } from './clip-in-place.js';
import { inPlaceWrites, setFastPathEnabled } from './fast/fast-path.js';
import { setFastPath } from '../internals/fast-path-switch.js';

/** Deterministic pseudo-random float32 values in [-scale, scale]. */
function values(n: number, seed: number, scale = 3): Float32Array {
  let s = seed * 2654435761 + 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Float32 bit patterns, every NaN canonical. */
const bits = (t: tf.Tensor): number[] =>
  Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array, (v) => (Number.isNaN(v) ? NaN : v)).buffer));

/** Fresh tensors of the same data (each made from its own array copy). */
function make(data: Float32Array[], shapes?: number[][]): tf.Tensor[] {
  return data.map((d, i) => tf.tensor(d.slice(), shapes?.[i] ?? [d.length]));
}

const SIZES = [0, 1, 5, 17, 513, 4099, 70000];
const special = Float32Array.of(NaN, Infinity, -Infinity, -0, 0, 1e-40, 0.25, -7);

after(() => setFastPathEnabled(true));

describeBackends('clipGradNorm_ / clipGradValue_ (in place)', () => {
  it('clipGradNorm_ overwrites the tensors with clipGradNorm’s values, bit for bit, and returns the same norm', () => {
    for (const normType of [2, 1, Infinity, 3]) {
      for (const maxNorm of [0, 0.5, 1e6]) {
        const data = SIZES.map((n, i) => values(n, i + 1));
        const copies = make(data, SIZES.map((n) => (n === 70000 ? [70, 1000] : [n])));
        const targets = make(data, SIZES.map((n) => (n === 70000 ? [70, 1000] : [n])));
        const ref = clipGradNorm(copies, maxNorm, { normType });
        const before = inPlaceWrites.tensors;
        const norm = clipGradNorm_(targets, maxNorm, { normType });
        assert.equal(inPlaceWrites.tensors - before, targets.length);
        assert.deepEqual(bits(norm), bits(ref.totalNorm), `norm p=${normType}`);
        targets.forEach((t, i) => {
          assert.deepEqual(t.shape, ref.grads[i].shape);
          assert.deepEqual(bits(t), bits(ref.grads[i]), `p=${normType} maxNorm=${maxNorm} tensor ${i}`);
        });
        if (maxNorm === 0.5) assert.notDeepEqual(bits(targets[3]), Array.from(new Uint32Array(data[3].buffer)), 'data changed');
        tf.dispose([...copies, ...targets, ...ref.grads, ref.totalNorm, norm]);
      }
    }
  });

  it('clipGradValue_ overwrites the tensors with clipGradValue’s values (NaN, ±inf, -0 included)', () => {
    const data = [...SIZES.map((n, i) => values(n, i + 7)), special];
    for (const c of [0, 0.5, 2, 100]) {
      const copies = make(data);
      const targets = make(data);
      const ref = clipGradValue(copies, c);
      const r = clipGradValue_(targets, c);
      assert.equal(r, undefined);
      targets.forEach((t, i) => assert.deepEqual(bits(t), bits(ref[i]), `c=${c} tensor ${i}`));
      tf.dispose([...copies, ...targets, ...ref]);
    }
    const g = tf.tensor([-3, 0.5, NaN, Infinity]);
    clipGradValue_([g], 1);
    const v = Array.from(g.dataSync());
    assert.deepEqual([v[0], v[1], v[3]], [-1, 0.5, 1]);
    assert.ok(Number.isNaN(v[2]));
    g.dispose();
  });

  it('accepts every gradient form, holes skipped', () => {
    const a = tf.tensor([30, 40]);
    const b = tf.tensor([[3], [4]]);
    const n = clipGradNorm_([a, null, b], 5);
    assert.ok(Math.abs(n.dataSync()[0] - Math.sqrt(2525)) < 1e-3);
    n.dispose();
    const m = { w: tf.tensor([3, -4]), skip: null as unknown as tf.Tensor };
    clipGradValue_(m as tf.NamedTensorMap, 1);
    assert.deepEqual(Array.from(m.w.dataSync()), [1, -1]);
    const named = [{ name: 'k', tensor: tf.tensor([10, 0]) }];
    clipGradNorm_(named, 1).dispose();
    assert.ok(Math.abs(named[0].tensor.dataSync()[0] - 1) < 1e-5);
    const single = tf.tensor([2, -2]);
    clipGradValue_(single, 1);
    assert.deepEqual(Array.from(single.dataSync()), [1, -1]);
    tf.dispose([a, b, m.w, named[0].tensor, single]);
  });

  it('leaks no tensor', async () => {
    const gs = [tf.tensor(values(1000, 3)), tf.tensor(values(10, 4))];
    await expectNoLeak(() => clipGradNorm_(gs, 1).dispose(), 'clipGradNorm_');
    await expectNoLeak(() => clipGradNorm_(gs, 1, { normType: Infinity }).dispose(), 'clipGradNorm_ inf');
    await expectNoLeak(() => clipGradValue_(gs, 0.1), 'clipGradValue_');
    await expectNoLeak(() => assert.throws(() => clipGradValue_([gs[0], gs[0]], 1), ValueError), 'rejected call');
    tf.dispose(gs);
  });

  /** Asserts that `f` throws a ValueError matching `re` and leaves `watched` unchanged. */
  function rejects(watched: tf.Tensor[], f: () => unknown, re: RegExp): void {
    const before = watched.map(bits);
    assert.throws(f, (e: unknown) => e instanceof ValueError && re.test((e as Error).message));
    watched.forEach((t, i) => assert.deepEqual(bits(t), before[i], 'nothing was modified'));
  }

  it('rejects shared data (a clone on cpu, a reshape), naming the entry, and modifies nothing', () => {
    const ok = tf.tensor([5, -5]);
    const g = tf.tensor([10, 20, 30, 40]);
    const c = tf.clone(g); // cpu: shares g's data; wasm: a copy
    if (tf.getBackend() === 'cpu') {
      rejects([ok, g, c], () => clipGradValue_([ok, g], 1), /clipGradValue_ cannot modify grads\[1\] in place: its data is shared with 1 other tensor/);
      rejects([ok, g, c], () => clipGradNorm_([ok, null, c], 1), /grads\[2\] in place: .*reference count 2/);
    } else {
      clipGradValue_([c], 1);
      assert.deepEqual(Array.from(g.dataSync()), [10, 20, 30, 40], 'a wasm clone is a copy');
    }
    const r = g.reshape([2, 2]);
    const r2 = r.reshape([4]);
    rejects([ok, g], () => clipGradNorm_({ a: ok, b: r }, 1), /grads\["b"\] in place: its data is shared with \d other/);
    rejects([ok, g], () => clipGradValue_([ok, g], 1), /grads\[1\] in place: its data is shared/);
    tf.dispose([c, r, r2]);
    clipGradValue_([ok, g], 1); // exclusive again
    assert.deepEqual(Array.from(g.dataSync()), [1, 1, 1, 1]);
    tf.dispose([ok, g]);
  });

  it('rejects variables, a variable’s value, the same tensor twice, int32 and disposed tensors', () => {
    const v = tf.variable(tf.tensor([3, 4]), true, 'inplace_test_v');
    rejects([v], () => clipGradNorm_([v], 1), /grads\[0\] in place: it is a tf.Variable/);
    const src = tf.tensor([7, 8]);
    const w = tf.variable(src, true, 'inplace_test_w'); // shares src's data
    rejects([src, w], () => clipGradValue_([src], 1), /shared with 1 other tensor/);
    const g = tf.tensor([9, 9]);
    rejects([g], () => clipGradValue_([g, g], 1), /grads\[1\] in place: it is the same tensor as \(or shares its data with\) grads\[0\]/);
    const i = tf.tensor([1, 2], undefined, 'int32');
    rejects([i], () => clipGradValue_([i], 1), /dtype is int32/);
    const d = tf.tensor([1]);
    d.dispose();
    assert.throws(() => clipGradValue_([g, d], 1), /grads\[1\] in place: it is disposed/);
    tf.dispose([v, w, src, g, i]);
  });

  it('rejects when the fast path is off or a gradient tape records', () => {
    const g = tf.tensor([5, 6]);
    const before = setFastPathEnabled(false);
    try {
      rejects([g], () => clipGradValue_([g], 1), /fast path is disabled/);
    } finally {
      setFastPathEnabled(before);
    }
    tf.grad((x: tf.Tensor) => {
      assert.throws(() => clipGradValue_([g], 1), /gradient tape is recording/);
      return tf.sum(x);
    })(tf.ones([1]));
    g.dispose();
  });

  it('a matMul after clipping its weights in place uses the clipped weights (wasm: the packed-weight cache is dropped)', () => {
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const w = tf.tensor2d([[1, -2], [3, 4], [-5, 6]]);
    const before = tf.matMul(x, w); // tfjs-wasm packs w for XNNPACK here, keyed by its data id
    clipGradValue_([w], 1);
    const clipped = tf.tensor2d([[1, -1], [1, 1], [-1, 1]]);
    tf.tidy(() => assert.deepEqual(bits(tf.matMul(x, w)), bits(tf.matMul(x, clipped)), 'after clipGradValue_'));
    clipGradNorm_([w], 1).dispose();
    tf.tidy(() => {
      const expected = tf.matMul(x, clipGradNorm([clipped], 1).grads[0]);
      assert.deepEqual(bits(tf.fused.matMul({ a: x, b: w })), bits(expected), 'after clipGradNorm_');
    });
    tf.dispose([x, w, before, clipped]);
  });

  it('throws NonFiniteError before modifying anything when errorIfNonfinite is set', () => {
    const g = tf.tensor([1, Infinity]);
    const h = tf.tensor([2, 3]);
    assert.throws(() => clipGradNorm_([h, g], 1, { errorIfNonfinite: true }), NonFiniteError);
    assert.deepEqual(Array.from(h.dataSync()), [2, 3]);
    tf.dispose([g, h]);
  });
});

describeBackends('clipGradNorm_ / clipGradValue_ views', (backend) => {
  it('on cpu rejects a slice view and the parent of a live view; on wasm slices are copies', () => {
    // Sets the fast path up on the active backend now (an earlier setFastPath(false) removed the
    // cpu hooks): the tensors below are made while the hooks count every array.
    setFastPath(true);
    const parent = tf.tensor(values(64, 9));
    const view = tf.slice(parent, [8], [16]);
    if (backend === 'cpu') {
      rejects2([parent, view], () => clipGradValue_([view], 0.1), /view of, or is viewed by/);
      rejects2([parent, view], () => clipGradValue_([parent], 0.1), /view of, or is viewed by/);
      view.dispose();
      clipGradValue_([parent], 0.1); // no live view any more
      assert.ok(Math.max(...Array.from(parent.dataSync(), Math.abs)) <= 0.1 + 1e-7);
    } else {
      const v0 = bits(view);
      clipGradValue_([parent], 0.1);
      assert.deepEqual(bits(view), v0, 'the slice is a copy on wasm');
      clipGradValue_([view], 0.1);
      view.dispose();
    }
    parent.dispose();
  });

  it('on cpu, the parent of a view made before the hooks gets a new array (the view keeps its values); the view is rejected', () => {
    if (backend !== 'cpu') return;
    setFastPath(false); // nothing hooked while the tensors are made
    const parent = tf.tensor(values(64, 19));
    const view = tf.slice(parent, [8], [16]);
    const viewBefore = bits(view);
    setFastPath(true); // hooks the backend, which already holds both arrays
    rejects2([parent, view], () => clipGradValue_([view], 0.1), /view of, or is viewed by/);
    const expected = tf.tidy(() => Array.from(clipGradValue([tf.tensor(values(64, 19))], 0.1)[0].dataSync()));
    clipGradValue_([parent], 0.1);
    assert.deepEqual(Array.from(parent.dataSync()), expected, 'the parent is clipped');
    assert.deepEqual(bits(view), viewBefore, 'the older view still sees the old values');
    tf.dispose([parent, view]);
  });

  function rejects2(watched: tf.Tensor[], f: () => unknown, re: RegExp): void {
    const before = watched.map(bits);
    assert.throws(f, (e: unknown) => e instanceof ValueError && re.test((e as Error).message));
    watched.forEach((t, i) => assert.deepEqual(bits(t), before[i], 'nothing was modified'));
  }
});
