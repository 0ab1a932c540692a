/**
 * The anchors' optax reference vectors through the transforms, on every backend. Each vector is
 * dispatched on its `fn` alone (never its name), so a held-back half of the same file with other
 * values runs through the same code.
 *
 * Deliberate deviation (as in test/reference-vectors.test.ts): a negative threshold, which optax
 * silently accepts, throws a ValueError naming the argument; such vectors assert that error.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { assertClose, assertTensorClose, loadVectors, num, toTensor, toTensors, type Vector } from '../../test/helpers/vectors.js';
import { ValueError } from '../errors.js';
import { globalNorm } from '../core/global-norm.js';
import * as T from './index.js';

const vectors = loadVectors().filter((v) => v.fn.startsWith('optax.'));

/** optax snake_case argument → gradclip camelCase name, for the thresholds that must be >= 0. */
const THRESHOLD_ARGS: Record<string, string> = {
  max_delta: 'maxDelta',
  threshold: 'threshold',
  max_norm: 'maxNorm',
  clipping: 'clipping',
  eps: 'eps',
  l2_norm_clip: 'l2NormClip',
};

function axisArg(a: unknown): number | number[] | null {
  if (a == null) return null;
  return a as number | number[];
}

/** Builds the transform a vector names, from its (numeric) arguments. */
function buildTransform(fn: string, a: Record<string, any>): T.GradientTransformation<any> {
  switch (fn) {
    case 'identity':
    case 'optax.identity':
      return T.chain();
    case 'optax.clip':
      return T.clipByValue(num(a.max_delta));
    case 'optax.clip_by_block_rms':
      return T.clipByBlockRms(num(a.threshold));
    case 'optax.clip_by_global_norm':
      return T.clipByGlobalNorm(num(a.max_norm));
    case 'optax.adaptive_grad_clip':
      return T.adaptiveGradClip(num(a.clipping), { eps: a.eps == null ? undefined : num(a.eps), axis: axisArg(a.axis) });
    case 'optax.zero_nans':
      return T.zeroNans();
    case 'optax.apply_if_finite': {
      const inner = typeof a.inner === 'string' ? buildTransform(a.inner.startsWith('optax.') || a.inner === 'identity' ? a.inner : `optax.${a.inner}`, {}) : buildTransform(a.inner.fn, a.inner.args ?? {});
      return T.applyIfFinite(inner, { maxConsecutiveErrors: num(a.max_consecutive_errors) });
    }
    default:
      throw new Error(`no transform for fn '${fn}' — add one`);
  }
}

async function run(v: Vector): Promise<void> {
  const a = v.args;
  const e = v.expected;
  const tol = v.tolerance;
  const bad = Object.entries(THRESHOLD_ARGS).find(([k]) => a[k] != null && num(a[k]) < 0);
  if (bad) {
    const build = v.fn === 'optax.per_example_global_norm_clip' ? () => T.perExampleGlobalNormClip(toTensors(a.grads), num(a.l2_norm_clip)) : () => buildTransform(v.fn, a);
    assert.throws(build, (err: Error) => err instanceof ValueError && new RegExp(`\`${bad[1]}\` must be a number >= 0.*Received: ${bad[1]}=-`).test(err.message), v.name);
    return;
  }
  switch (v.fn) {
    case 'optax.per_example_global_norm_clip': {
      const [sum, n] = T.perExampleGlobalNormClip(toTensors(a.grads), num(a.l2_norm_clip));
      for (let i = 0; i < e.clipped_sum.length; i++) await assertTensorClose(sum[i], e.clipped_sum[i], tol, `${v.name} clipped_sum[${i}]`);
      assert.equal((await n.data())[0], num(e.num_clipped), `${v.name} num_clipped`);
      return;
    }
    case 'optax.apply_if_finite': {
      const t = buildTransform(v.fn, a);
      const first = toTensor(a.steps[0]);
      let state = t.init(first == null ? [] : [first]);
      for (let s = 0; s < a.steps.length; s++) {
        const g = toTensor(a.steps[s]);
        const r = t.update([g], state);
        const x = e.steps[s];
        const label = `${v.name} step ${s}`;
        assert.equal(!r.skip, x.applied, `${label} applied`);
        await assertTensorClose(r.grads[0], x.update_out, tol, `${label} update_out`);
        assert.equal(r.state.notfiniteCount, num(x.notfinite_count), `${label} notfinite_count`);
        assert.equal(r.state.lastFinite, x.last_finite, `${label} last_finite`);
        assert.equal(r.state.totalNotfinite, num(x.total_notfinite), `${label} total_notfinite`);
        state = r.state;
      }
      return;
    }
    default: {
      // Every other optax vector is a one-step transform: args.updates (+ params) → expected.updates.
      const t = buildTransform(v.fn, a);
      const updates = toTensors(a.updates);
      const params = a.params == null ? null : toTensors(a.params);
      const r = t.update(updates, t.init(params), params);
      assert.equal(r.skip, false, `${v.name} skip`);
      for (let i = 0; i < e.updates.length; i++) await assertTensorClose(r.grads[i], e.updates[i], tol, `${v.name} updates[${i}]`);
      if ('found_nan' in e) assert.deepEqual(r.state.foundNan, e.found_nan, `${v.name} found_nan`);
      if ('global_norm_internal' in e) assertClose(await globalNorm(updates).data(), [num(e.global_norm_internal)], tol, `${v.name} global norm`);
      const axis = axisArg(a.axis);
      for (const [key, src] of [['unitwise_grad_norm', updates], ['unitwise_param_norm', params]] as const) {
        if (!(key in e)) continue;
        for (let i = 0; i < e[key].length; i++) await assertTensorClose(src![i] == null ? null : T.unitwiseNorm(src![i]!, axis), e[key][i], tol, `${v.name} ${key}[${i}]`);
      }
    }
  }
}

describeBackends('optax reference vectors through transforms', () => {
  it('has optax vectors to run', () => assert.ok(vectors.length > 0));
  for (const v of vectors) {
    it(v.name, async () => {
      tf.engine().startScope();
      try {
        await run(v);
      } finally {
        tf.engine().endScope();
      }
    });
  }
});
