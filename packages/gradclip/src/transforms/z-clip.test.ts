/**
 * ZClip checked against an independent float64 re-implementation of the reference `ZClip` class
 * (bluorion-com/ZClip zclip/zclip.py), written here from its formulas, on a recorded sequence of
 * gradient norms with spikes.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { zClip, type ZClipOptions, type ZClipState } from './z-clip.js';

/** The reference class, step by step (Python floats are float64; torch's clip coefficient is float32). */
class RefZClip {
  buffer: number[] = [];
  initialized = false;
  mean = 0;
  var = 0;
  constructor(
    readonly alpha: number,
    readonly zThresh: number,
    readonly maxGradNorm: number | null,
    readonly eps: number,
    readonly warmupSteps: number,
    readonly mode: string,
    readonly clipOption: string,
    readonly clipFactor: number,
    readonly skipUpdateOnSpike: boolean,
  ) {}

  /** Returns the factor the gradients are multiplied by (float32, as torch applies it). */
  step(g: number): number {
    if (!this.initialized) {
      this.buffer.push(g);
      if (this.buffer.length >= this.warmupSteps) {
        let s = 0;
        for (const x of this.buffer) s += x;
        this.mean = s / this.buffer.length;
        let v = 0;
        for (const x of this.buffer) v += (x - this.mean) * (x - this.mean);
        this.var = v / this.buffer.length;
        this.initialized = true;
        this.buffer = [];
      }
      if (this.maxGradNorm == null) return 1;
      // torch.nn.utils.clip_grad_norm_: float32 coefficient clamped to 1.
      const f = Math.fround;
      return Math.min(f(f(this.maxGradNorm) / f(f(g) + f(1e-6))), 1);
    }
    const std = Math.sqrt(this.var);
    let clipVal: number | null = null;
    if (this.mode === 'percentile') {
      const thr = this.mean + this.zThresh * std;
      if (g > thr) clipVal = thr;
    } else {
      const z = (g - this.mean) / (std + this.eps);
      if (z > this.zThresh) clipVal = this.clipOption === 'mean' ? this.mean : (this.mean + (this.zThresh * std) / (z / this.zThresh)) * this.clipFactor;
    }
    const adaptive = clipVal ?? g;
    const eff = this.maxGradNorm == null ? adaptive : Math.min(adaptive, this.maxGradNorm);
    const coef = g > eff ? eff / (g + 1e-6) : 1;
    if (!(clipVal != null && this.skipUpdateOnSpike)) {
      const v = clipVal ?? g;
      this.mean = this.alpha * this.mean + (1 - this.alpha) * v;
      this.var = this.alpha * this.var + (1 - this.alpha) * (v - this.mean) ** 2;
    }
    return coef;
  }
}

/** A recorded norm sequence: noisy around `base`, with spikes. */
function norms(base: number): number[] {
  let s = 7;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const out = Array.from({ length: 90 }, () => Math.fround(base * (0.8 + 0.4 * r())));
  for (const [k, m] of [[30, 5], [45, 20], [46, 8], [60, 1.6], [70, 50], [71, 3]]) out[k] = Math.fround(out[k] * m);
  return out;
}

const CONFIGS: ZClipOptions[] = [
  {},
  { maxGradNorm: null },
  { maxGradNorm: null, clipOption: 'mean' },
  { maxGradNorm: null, clipOption: 'adaptive_scaling', clipFactor: 0.7, alpha: 0.9, zThresh: 2 },
  { maxGradNorm: null, mode: 'percentile', zThresh: 2 },
  { maxGradNorm: 3, skipUpdateOnSpike: true, warmupSteps: 10 },
  { maxGradNorm: 5, warmupSteps: 1, eps: 1e-3 },
];

describeBackends('zClip', () => {
  for (const cfg of CONFIGS) {
    for (const base of [0.5, 2]) {
      it(`matches the reference formulas step by step (${JSON.stringify(cfg)}, norms ~${base})`, async () => {
        const d = { alpha: 0.97, zThresh: 2.5, maxGradNorm: 1.0 as number | null, eps: 1e-6, warmupSteps: 25, mode: 'zscore', clipOption: 'adaptive_scaling', clipFactor: 1, skipUpdateOnSpike: false, ...cfg };
        const ref = new RefZClip(d.alpha, d.zThresh, d.maxGradNorm, d.eps, d.warmupSteps, d.mode, d.clipOption === 'mean' ? 'mean' : 'adaptive_scaling', d.clipFactor, d.skipUpdateOnSpike);
        const t = zClip(cfg);
        let state = t.init();
        let clipped = 0;
        for (const [k, n] of norms(base).entries()) {
          const g = tf.tensor([n]);
          const r = t.update([g], state);
          const got = (await r.grads[0]!.data())[0];
          const coef = ref.step(n);
          const want = Math.fround(n * Math.fround(coef));
          assert.ok(Math.abs(got - want) <= 1e-6 * want, `step ${k}: got ${got}, want ${want}`);
          if (coef < 1) clipped++;
          assert.equal(r.state.lastNorm, n);
          assert.equal(r.state.initialized, ref.initialized, `step ${k} initialized`);
          if (ref.initialized) {
            assert.ok(Math.abs(r.state.mean! - ref.mean) <= 1e-12 * ref.mean, `step ${k} mean ${r.state.mean} vs ${ref.mean}`);
            assert.ok(Math.abs(r.state.var! - ref.var) <= 1e-12 * ref.var + 1e-300, `step ${k} var ${r.state.var} vs ${ref.var}`);
          } else {
            assert.deepEqual(r.state.buffer, ref.buffer);
          }
          tf.dispose([g, r.grads[0]!]);
          state = r.state;
        }
        assert.ok(clipped > 0, 'some steps were clipped');
      });
    }
  }

  it("reproduces the reference's own unit tests (explicit state: mean 1, var 0.25)", async () => {
    const state: ZClipState = { buffer: [], initialized: true, mean: 1, var: 0.25, lastNorm: null, lastClip: null };
    const cases: [ZClipOptions, number][] = [
      [{ zThresh: 2, maxGradNorm: null }, 1.5], // adaptive: 1 + (2·0.5)/(4/2)
      [{ clipOption: 'mean', maxGradNorm: null }, 1.0],
      [{ mode: 'percentile', zThresh: 2, maxGradNorm: null }, 2.0], // mean + 2·std
    ];
    for (const [cfg, clip] of cases) {
      const t = zClip(cfg);
      const g = tf.tensor([3]);
      const r = t.update([g], state);
      assert.ok(Math.abs(r.state.lastClip! - clip) < 1e-5, `${JSON.stringify(cfg)}: ${r.state.lastClip}`);
      assert.ok(Math.abs((await r.grads[0]!.data())[0] - (3 * clip) / (3 + 1e-6)) < 1e-6);
      // EMA updated with the clipped value (the 'mean' option feeds the mean back, so it stays 1).
      assert.equal(r.state.mean, 0.97 * 1 + (1 - 0.97) * r.state.lastClip!);
      tf.dispose([g, r.grads[0]!]);
    }
    const skip = zClip({ zThresh: 2, skipUpdateOnSpike: true, maxGradNorm: null });
    const g = tf.tensor([3]);
    const r = skip.update([g], state);
    assert.equal(r.state.mean, 1, 'skipUpdateOnSpike keeps the mean');
    assert.equal(r.skip, false, 'zClip never skips the optimizer step');
    tf.dispose([g, r.grads[0]!]);
  });

  it('a non-finite norm leaves the statistics unchanged (documented deviation)', async () => {
    const t = zClip({ warmupSteps: 2 });
    let state = t.init();
    for (const n of [1, 2]) {
      const g = tf.tensor([n]);
      const r = t.update([g], state);
      tf.dispose([g, r.grads[0]!]);
      state = r.state;
    }
    const g = tf.tensor([NaN, 1]);
    const r = t.update([g], state);
    assert.deepEqual({ ...r.state, lastNorm: 0, lastClip: 0 }, { ...state, lastNorm: 0, lastClip: 0 });
    assert.ok(Number.isNaN(r.state.lastNorm));
    assert.ok(Array.from(await r.grads[0]!.data()).every(Number.isNaN), 'PyTorch policy: NaN norm → all NaN');
    tf.dispose([g, r.grads[0]!]);
  });
});
