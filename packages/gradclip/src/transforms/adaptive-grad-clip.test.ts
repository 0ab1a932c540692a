/**
 * AGC: the bound as a property (fast-check), TF.js kernel layouts (Dense, Conv2D, Conv3D and
 * Conv2DTranspose through per-variable axes, on real tf.layers weights), exclusion by name.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { describeBackends } from '@gradclip/testing/backends';
import { ValueError } from '../errors.js';
import { adaptiveGradClip } from './adaptive-grad-clip.js';
import { fromSpec } from './from-spec.js';
import { unitwiseAxes, unitwiseNorm } from './unitwise-norm.js';

const f32 = (m: number) => fc.float({ min: Math.fround(-m), max: Math.fround(m), noNaN: true, noDefaultInfinity: true });

/** Column norms of an [in, out] matrix given row-major. */
function colNorms(v: ArrayLike<number>, rows: number, cols: number): number[] {
  return Array.from({ length: cols }, (_, j) => Math.sqrt(Array.from({ length: rows }, (_, i) => v[i * cols + j] ** 2).reduce((a, b) => a + b, 0)));
}

describeBackends('adaptiveGradClip', () => {
  it('bounds every unit norm by clipping·max(param unit norm, eps) and keeps units under it (property)', async () => {
    const arb = fc
      .record({ rows: fc.integer({ min: 1, max: 5 }), cols: fc.integer({ min: 2, max: 5 }) })
      .chain(({ rows, cols }) =>
        fc.record({
          rows: fc.constant(rows),
          cols: fc.constant(cols),
          g: fc.array(f32(50), { minLength: rows * cols, maxLength: rows * cols }),
          p: fc.array(f32(2), { minLength: rows * cols, maxLength: rows * cols }),
          clipping: fc.double({ min: 0.001, max: 2, noNaN: true }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(arb, async ({ rows, cols, g, p, clipping }) => {
        const gt = tf.tensor(g, [rows, cols]);
        const pt = tf.tensor(p, [rows, cols]);
        const agc = adaptiveGradClip(clipping);
        const r = agc.update([gt], {}, [pt]);
        const out = await r.grads[0]!.data();
        // [1, n] squeezes to rank 1: one whole-tensor unit (optax), else one unit per column.
        const whole = rows === 1;
        const gn = whole ? [Math.hypot(...g)] : colNorms(g, rows, cols);
        const pn = whole ? [Math.hypot(...p)] : colNorms(p, rows, cols);
        const on = whole ? [Math.hypot(...out)] : colNorms(out, rows, cols);
        on.forEach((n, j) => {
          const max = clipping * Math.max(pn[j], 1e-3);
          assert.ok(n <= max * (1 + 1e-5) + 1e-7, `unit ${j}: ${n} > ${max}`);
          if (gn[j] < max * (1 - 1e-5)) {
            for (let i = 0; i < rows; i++) {
              const k = whole ? i * cols : i * cols + j;
              assert.equal(out[k], Math.fround(g[k]), 'a unit under the bound is unchanged');
            }
          }
        });
        tf.dispose([gt, pt, r.grads[0]!]);
      }),
      { numRuns: 40 },
    );
  });

  it('uses the TF.js layouts: Dense [in,out] → axis 0, Conv HWIO → 0..2, Conv3D → 0..3, vectors and [1,n] → whole', () => {
    assert.deepEqual(unitwiseAxes([3, 4], null), [0]);
    assert.deepEqual(unitwiseAxes([2, 3, 4], null), [0]);
    assert.deepEqual(unitwiseAxes([3, 3, 2, 8], null), [0, 1, 2]);
    assert.deepEqual(unitwiseAxes([2, 3, 3, 2, 8], null), [0, 1, 2, 3]);
    assert.deepEqual(unitwiseAxes([5], null), [0]);
    assert.deepEqual(unitwiseAxes([1, 4], null), [0, 1]);
    assert.deepEqual(unitwiseAxes([4, 1], null), [0, 1]);
    assert.deepEqual(unitwiseAxes([3, 3, 2, 8], [-1, 0]), [0, 3]);
    assert.throws(() => unitwiseAxes([1, 2, 2, 2, 2, 2], null), (e: Error) => e instanceof ValueError && /rank 1 to 5.*Received: shape=\[1,2,2,2,2,2\]/.test(e.message));
    assert.throws(() => unitwiseAxes([3, 4], [2]), /`axis` must hold integers in \[-2, 2\).*Received: axis=\[2\]/);
  });

  it('clips Conv2DTranspose kernels per output filter with per-variable axes, by layer weight name', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2dTranspose({ filters: 3, kernelSize: 2, inputShape: [4, 4, 5] }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const kernelVar = model.layers[0].getWeights()[0];
    assert.deepEqual(kernelVar.shape, [2, 2, 3, 5], 'TF.js Conv2DTranspose kernel is [h, w, out, in]');
    // What fit hands the optimizer: the tf.Variable behind each layer weight, by its name.
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const names = vars.map((v) => v.name);
    const tname = names.find((n) => /conv2d_transpose.*kernel/i.test(n))!;
    const params: tf.NamedTensorMap = Object.fromEntries(vars.map((v) => [v.name, v as tf.Tensor]));
    const grads = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, tf.randomNormal(p.shape, 0, 5, 'float32', 7)]));
    const byFn = adaptiveGradClip(0.01, { axes: (name) => (/conv2d_transpose.*kernel/i.test(name) ? [0, 1, 3] : null) });
    const byRecord = adaptiveGradClip(0.01, { axes: { [tname]: [0, 1, 3] } });
    const a = byFn.update(grads, {}, params);
    const b = byRecord.update(grads, {}, params);
    // Same as the default rule on the kernel transposed to HWIO ([h, w, in, out]), transposed back.
    const hwio = (x: tf.Tensor) => tf.transpose(x, [0, 1, 3, 2]);
    const viaDefault = adaptiveGradClip(0.01).update([hwio(grads[tname])], {}, [hwio(params[tname])]);
    const want = await hwio(viaDefault.grads[0]!).data();
    assert.deepEqual(Array.from(await a.grads[tname].data()), Array.from(want));
    assert.deepEqual(Array.from(await b.grads[tname].data()), Array.from(want));
    // Each output filter (axis 2) is bounded by 0.01·its parameter norm.
    const gn = await unitwiseNorm(a.grads[tname], [0, 1, 3]).data();
    const pn = await unitwiseNorm(params[tname], [0, 1, 3]).data();
    gn.forEach((n, i) => assert.ok(n <= 0.01 * Math.max(pn[i], 1e-3) * (1 + 1e-5)));
    tf.dispose([...Object.values(grads), ...Object.values(a.grads), ...Object.values(b.grads), ...(viaDefault.grads as tf.Tensor[])]);
    model.dispose();
  });

  it('leaves excluded variables (e.g. the final layer, as NFNets) unchanged', async () => {
    const agc = adaptiveGradClip(0.01, { exclude: (name) => name.startsWith('head/') });
    const grads = { 'body/kernel': tf.fill([3, 2], 10), 'head/kernel': tf.fill([2, 2], 10) };
    const params = { 'body/kernel': tf.ones([3, 2]), 'head/kernel': tf.ones([2, 2]) };
    const r = agc.update(grads, {}, params);
    assert.deepEqual(Array.from(await r.grads['head/kernel'].data()), [10, 10, 10, 10]);
    const body = await r.grads['body/kernel'].data();
    colNorms(body, 3, 2).forEach((n) => assert.ok(Math.abs(n - 0.01 * Math.sqrt(3)) < 1e-6));
    tf.dispose([...Object.values(grads), ...Object.values(params), ...Object.values(r.grads)]);
  });

  it('excludeNames (data, so a spec can carry it) leaves variables whose name contains an entry unchanged', async () => {
    // tf.layers names a layer's variables `head/kernel`, `head/bias`, and `head/kernel_1`, … in later models.
    const names = ['body/kernel', 'body/bias', 'head/kernel_1', 'head/bias_1', 'other/kernel'];
    const shapes: Record<string, number[]> = { 'body/kernel': [3, 2], 'body/bias': [2], 'head/kernel_1': [2, 2], 'head/bias_1': [2], 'other/kernel': [2, 2] };
    const grads = Object.fromEntries(names.map((n) => [n, tf.fill(shapes[n], 10)]));
    const params = Object.fromEntries(names.map((n) => [n, tf.ones(shapes[n])]));
    const viaSpec = fromSpec({ name: 'adaptiveGradClip', args: [0.01, { excludeNames: ['head/', 'other/kernel'] }] });
    const direct = adaptiveGradClip(0.01, { excludeNames: ['head/'], exclude: (name) => name === 'other/kernel' });
    for (const agc of [viaSpec, direct]) {
      const r = agc.update(grads, agc.init(), params);
      for (const n of ['head/kernel_1', 'head/bias_1', 'other/kernel']) {
        assert.ok((await r.grads[n].data()).every((v) => v === 10), `${n} is excluded`);
      }
      colNorms(await r.grads['body/kernel'].data(), 3, 2).forEach((n) => assert.ok(Math.abs(n - 0.01 * Math.sqrt(3)) < 1e-6));
      assert.ok(Math.abs(Math.hypot(...(await r.grads['body/bias'].data())) - 0.01 * Math.sqrt(2)) < 1e-6);
      tf.dispose(Object.values(r.grads));
    }
    // Excluding nothing clips every variable.
    const none = adaptiveGradClip(0.01, { excludeNames: [] }).update(grads, {}, params);
    assert.ok((await none.grads['head/bias_1'].data()).every((v) => v < 1));
    tf.dispose([...Object.values(grads), ...Object.values(params), ...Object.values(none.grads)]);
  });

  it('rejects excludeNames that is not an array of non-empty strings, with the value received', () => {
    assert.throws(() => adaptiveGradClip(0.01, { excludeNames: 'head/' as never }), /`excludeNames` must be an array of non-empty strings. Received: excludeNames="head\/"/);
    assert.throws(() => adaptiveGradClip(0.01, { excludeNames: [''] }), /`excludeNames` must be an array of non-empty strings/);
    assert.throws(() => fromSpec({ name: 'adaptiveGradClip', args: [0.01, { excludeNames: [1] }] }), /`excludeNames` must be an array of non-empty strings. Received: excludeNames=\[1\]/);
  });

  it('eps lets zero-initialised parameters move by clipping·eps', async () => {
    const r = adaptiveGradClip(0.5).update([tf.tensor([3, 4])], {}, [tf.zeros([2])]);
    const out = await r.grads[0]!.data();
    assert.ok(Math.abs(Math.hypot(...out) - 0.5 * 1e-3) < 1e-9);
    tf.dispose(r.grads as tf.Tensor[]);
  });

  it('throws at update for a rank-6 tensor without axes, naming the variable', () => {
    const g = { big: tf.ones([1, 2, 2, 2, 2, 2]) };
    assert.throws(() => adaptiveGradClip(0.1).update(g, {}, g), /for gradient "big".*Received: shape=\[1,2,2,2,2,2\]/);
    const r = adaptiveGradClip(0.1, { axes: { big: [0, 1, 2, 3, 4] } }).update(g, {}, g);
    assert.deepEqual(r.grads.big.shape, [1, 2, 2, 2, 2, 2]);
    tf.dispose([g.big, r.grads.big]);
  });
});
