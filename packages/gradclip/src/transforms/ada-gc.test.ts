/**
 * AdaGC checked against an independent float64 model of the official code's rules
 * (test/fixtures/adaptive2-SPEC.md §1.2, written here from the spec, not from ada-gc.ts), on
 * seeded gradient sequences with spikes, zero tensors, holes and decaying scales; plus the
 * options' validation, the NaN/Inf policy, the state contract and the monitoring fields. The
 * reference trajectories themselves are in ada-gc-vectors.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { ValueError } from '../errors.js';
import type { MaybeTensor } from '../core/grad-forms.js';
import { adaGC, type AdaGCOptions, type AdaGCState } from './ada-gc.js';
import { fromSpec } from './from-spec.js';
import { deserializeState, serializeState } from './serialize-state.js';

/** The official clipper in float64 (SPEC §1.2): returns each present tensor's coefficient. */
class RefAdaGC {
  steps = 0;
  gamma: (number | undefined)[] = [];
  constructor(
    readonly maxNorm: number,
    readonly ratio: number,
    readonly beta: number,
    readonly eps: number,
    readonly startClipSteps: number,
  ) {}

  /** `norms[i]` is ‖g_i‖ (null for a missing gradient); returns the factor g_i is multiplied by. */
  step(norms: (number | null)[]): { coefs: (number | null)[]; warmup: boolean; clipped: number } {
    this.steps += 1;
    const total = Math.sqrt(norms.reduce((s: number, n) => s + (n == null ? 0 : n * n), 0));
    const coefs: (number | null)[] = norms.map((n) => (n == null ? null : 1));
    let clipped = 0;
    if (this.steps <= this.startClipSteps) {
      const c = this.maxNorm / (total + this.eps);
      norms.forEach((n, i) => {
        if (n == null) return;
        if (c < 1) {
          coefs[i] = c;
          clipped += 1;
        }
        const after = c < 1 ? n * c : n;
        const g = this.gamma[i];
        if (g === undefined || after < g) this.gamma[i] = after;
      });
      return { coefs, warmup: true, clipped };
    }
    norms.forEach((n0, i) => {
      if (n0 == null) return;
      let n = n0;
      const g = this.gamma[i] ?? n;
      if (n > this.ratio * g) {
        coefs[i] = (this.ratio * g) / (n + this.eps);
        n = this.ratio * g;
        clipped += 1;
      }
      this.gamma[i] = g * this.beta + n * (1 - this.beta);
    });
    return { coefs, warmup: false, clipped };
  }
}

/** Seeded uniform numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

const SHAPES = [[3, 4], [4], [2, 2, 2], [5]];

/**
 * Step `k`'s gradients: noise of scale `decay^k`, a 100x spike of one tensor every 7 steps, a zero
 * tensor now and then, and tensor 3 missing on every 5th step.
 */
function gradsAt(k: number, seed: number, decay: number): (number[] | null)[] {
  const r = rng(seed * 1000 + k + 1);
  return SHAPES.map((shape, i) => {
    if (i === 3 && k % 5 === 4) return null;
    const n = shape.reduce((a, b) => a * b, 1);
    if ((k + i) % 11 === 10) return new Array(n).fill(0);
    const scale = decay ** k * (i + 1) * (k % 7 === 6 && i === k % 3 ? 100 : 1);
    return Array.from({ length: n }, () => Math.fround((r() * 2 - 1) * scale));
  });
}

const norm = (xs: number[]): number => Math.sqrt(xs.reduce((s, x) => s + x * x, 0));

const CONFIGS: AdaGCOptions[] = [
  { warmupSteps: 3 },
  { warmupSteps: 0 },
  { warmupSteps: 1, clipRatio: 1.2, beta: 0.9 },
  { warmupSteps: 5, maxNorm: 2, clipRatio: 1.05, beta: 0.98, eps: 1e-3 },
  { warmupSteps: 40, maxNorm: 0.5 },
];

describeBackends('transforms.adaGC', () => {
  for (const cfg of CONFIGS) {
    for (const decay of [1, 0.9]) {
      it(`follows the official rules step by step: ${JSON.stringify(cfg)}, gradient scale ${decay}^t`, () => {
        const t = adaGC(cfg);
        const ref = new RefAdaGC(cfg.maxNorm ?? 1, cfg.clipRatio ?? 1.04, cfg.beta ?? 0.99, cfg.eps ?? 1e-6, cfg.warmupSteps ?? 100);
        let state = t.init();
        let sawClip = 0;
        let sawPass = 0;
        for (let k = 0; k < 45; ++k) {
          const raw = gradsAt(k, 7, decay);
          const grads: MaybeTensor[] = raw.map((g, i) => (g == null ? null : tf.tensor(g, SHAPES[i])));
          const r = t.update(grads, state);
          const exp = ref.step(raw.map((g) => (g == null ? null : norm(g))));
          const label = `step ${k + 1}`;
          raw.forEach((g, i) => {
            if (g == null) {
              assert.equal(r.grads[i], null, `${label}: hole ${i} kept`);
              return;
            }
            const got = (r.grads[i] as tf.Tensor).dataSync();
            const c = exp.coefs[i] as number;
            g.forEach((x, j) => assert.ok(Math.abs(got[j] - x * c) <= 1e-5 * Math.abs(x * c) + 1e-12, `${label} tensor ${i}[${j}]: ${got[j]} vs ${x * c}`));
            if (c < 1) sawClip += 1;
            else sawPass += 1;
          });
          ref.gamma.forEach((g, i) => {
            if (g === undefined) assert.equal(r.state.gamma[i] ?? null, null, `${label}: γ ${i} absent`);
            else assert.ok(Math.abs((r.state.gamma[i] as number) - g) <= 1e-5 * g + 1e-12, `${label}: γ ${i} ${r.state.gamma[i]} vs ${g}`);
          });
          assert.equal(r.state.step, k + 1);
          assert.equal(r.state.lastPhase, exp.warmup ? 'warmup' : 'adaptive', label);
          assert.equal(r.state.lastClipped, exp.clipped, label);
          assert.equal(r.state.lastClippedFraction, exp.clipped / raw.filter((g) => g != null).length, label);
          assert.equal(r.skip, false);
          state = r.state;
          tf.dispose([...grads, ...r.grads] as tf.Tensor[]);
        }
        assert.ok(sawClip > 0 && sawPass > 0, `both branches taken (${sawClip} clipped, ${sawPass} not)`);
      });
    }
  }

  it('uses the official defaults: maxNorm 1, clipRatio 1.04, beta 0.99, eps 1e-6, warmupSteps 100', () => {
    const t = adaGC();
    const ref = new RefAdaGC(1, 1.04, 0.99, 1e-6, 100);
    let state = t.init();
    for (let k = 0; k < 110; ++k) {
      const raw = [Array.from({ length: 4 }, (_, j) => Math.fround(Math.sin(k * 4 + j) * (k === 105 ? 50 : 1)))];
      const g = [tf.tensor(raw[0])];
      const r = t.update(g, state);
      const exp = ref.step([norm(raw[0])]);
      const got = (r.grads[0] as tf.Tensor).dataSync();
      raw[0].forEach((x, j) => assert.ok(Math.abs(got[j] - x * (exp.coefs[0] as number)) <= 1e-5 * Math.abs(x) + 1e-12, `step ${k + 1}`));
      assert.equal(r.state.lastPhase, k < 100 ? 'warmup' : 'adaptive', `step ${k + 1}`);
      state = r.state;
      tf.dispose([...g, ...r.grads] as tf.Tensor[]);
    }
    assert.ok(Math.abs((state.gamma[0] as number) - (ref.gamma[0] as number)) <= 1e-5 * (ref.gamma[0] as number));
  });

  it('warm-up is inclusive (t <= warmupSteps) and the adaptive comparison strict (n > clipRatio·γ)', () => {
    const t = adaGC({ warmupSteps: 2, maxNorm: 100 });
    let s = t.init();
    const step = (x: number[]) => {
      const g = [tf.tensor(x)];
      const r = t.update(g, s);
      s = r.state;
      const out = Array.from((r.grads[0] as tf.Tensor).dataSync());
      tf.dispose([...g, ...r.grads] as tf.Tensor[]);
      return out;
    };
    step([3, 4]); // γ = 5
    assert.deepEqual(step([30, 40]), [30, 40], 'step 2 is still warm-up: no per-tensor clip (global norm 50 < 100)');
    assert.equal(s.lastPhase, 'warmup');
    assert.equal(s.gamma[0], 5, 'running minimum');
    // Step 3, adaptive: a norm of exactly f32(1.04·5) is not clipped (strict >).
    const thr = Math.fround(Math.fround(1.04) * 5);
    const out = step([thr, 0]);
    assert.deepEqual(out, [thr, 0]);
    assert.equal(s.lastPhase, 'adaptive');
    assert.equal(s.lastClipped, 0);
  });

  it('a tensor that is exactly zero on a warm-up step is frozen afterwards (γ = 0), as in the official code', () => {
    const t = adaGC({ warmupSteps: 2 });
    let s = t.init();
    const outs: number[][] = [];
    for (const x of [[0.3, 0.4], [0, 0], [1, 2], [0.01, 0]]) {
      const g = [tf.tensor(x)];
      const r = t.update(g, s);
      s = r.state;
      outs.push(Array.from((r.grads[0] as tf.Tensor).dataSync()));
      tf.dispose([...g, ...r.grads] as tf.Tensor[]);
    }
    assert.equal(s.gamma[0], 0);
    assert.deepEqual(outs.slice(2), [[0, 0], [0, 0]]);
  });

  it('NaN/Inf: a non-finite norm never changes γ; the gradients follow the reference rule', () => {
    const run = (warmupSteps: number, bad: number[]) => {
      const t = adaGC({ warmupSteps });
      const first = [tf.tensor([0.3, 0.4]), tf.tensor([0.1])];
      const r0 = t.update(first, t.init());
      const g = [tf.tensor(bad), tf.tensor([0.1])];
      const r = t.update(g, r0.state);
      const out = r.grads.map((x) => Array.from((x as tf.Tensor).dataSync()));
      tf.dispose([...first, ...r0.grads, ...g, ...r.grads] as tf.Tensor[]);
      return { before: r0.state.gamma, after: r.state.gamma, out };
    };
    // Warm-up, NaN: c = NaN is not < 1: nothing is scaled; γ unchanged.
    let r = run(5, [NaN, 1]);
    assert.deepEqual(r.after, r.before);
    assert.ok(Number.isNaN(r.out[0][0]) && r.out[0][1] === 1 && Math.abs(r.out[1][0] - 0.1) < 1e-7);
    // Warm-up, inf: c = 0: finite entries 0, inf entries NaN; γ unchanged.
    r = run(5, [Infinity, 1]);
    assert.deepEqual(r.after, r.before);
    assert.ok(Number.isNaN(r.out[0][0]) && r.out[0][1] === 0 && r.out[1][0] === 0, JSON.stringify(r.out));
    // Adaptive, inf in tensor 0: its coefficient is 0; tensor 1 is handled on its own; γ_0 unchanged.
    r = run(1, [Infinity, 1]);
    assert.equal(r.after[0], r.before[0]);
    assert.ok(Number.isNaN(r.out[0][0]) && r.out[0][1] === 0);
    assert.ok(Math.abs(r.out[1][0] - 0.1) < 1e-7 && r.after[1] !== null);
    // Adaptive, NaN: not clipped (NaN > x is false), γ unchanged.
    r = run(1, [NaN, 1]);
    assert.equal(r.after[0], r.before[0]);
    assert.ok(Number.isNaN(r.out[0][0]) && r.out[0][1] === 1);
  });

  it('keeps the form, names and holes; γ is per position and grows with the list', () => {
    const t = adaGC({ warmupSteps: 1 });
    const a = { w: tf.tensor([3, 4]), b: tf.tensor([1]) };
    const r = t.update(a, t.init());
    assert.deepEqual(Object.keys(r.grads), ['w', 'b']);
    // Warm-up: global norm sqrt(26) > 1, so γ = each norm times 1 / (sqrt(26) + 1e-6).
    [5, 1].forEach((n, i) => assert.ok(Math.abs((r.state.gamma[i] as number) - n / (Math.sqrt(26) + 1e-6)) < 1e-6, `γ ${i}`));
    const l = [null, tf.tensor([1, 1]), tf.tensor([2])];
    const r2 = t.update(l, r.state);
    assert.equal(r2.grads[0], null);
    assert.equal(r2.state.gamma.length, 3);
    assert.equal(r2.state.gamma[0], r.state.gamma[0], 'γ of a missing gradient is kept');
    tf.dispose([...Object.values(a), ...Object.values(r.grads), ...(l.filter((x) => x != null) as tf.Tensor[]), ...(r2.grads.filter((x) => x != null) as tf.Tensor[])]);
  });

  it('is pure: the input state is not mutated, the state round-trips through serializeState, and nothing leaks', async () => {
    const t = fromSpec({ name: 'adaGC', args: [{ warmupSteps: 2 }] });
    let s = t.init() as AdaGCState;
    const steps = [1, 1, 1, 40, 1].map((m) => [tf.tensor([1 * m, 2, 3]), tf.tensor([[0.5 * m]])]);
    await expectNoLeak(() => {
      for (const g of steps) {
        const frozen = JSON.stringify(s);
        const r = t.update(g, s);
        assert.equal(JSON.stringify(s), frozen);
        assert.ok(r.grads.every((x, i) => x !== g[i]), 'new tensors');
        s = deserializeState<AdaGCState>(serializeState(r.state));
        assert.deepEqual(s, r.state);
        tf.dispose(r.grads as tf.Tensor[]);
      }
    }, 'adaGC.update');
    assert.equal(s.step, 5);
    tf.dispose(steps.flat());
  });

  it('validates every option at construction, naming the option, the rule and the value', () => {
    const bad: [AdaGCOptions, RegExp][] = [
      [{ maxNorm: 0 }, /`maxNorm` must be a finite number > 0\. Received: maxNorm=0/],
      [{ maxNorm: -1 }, /`maxNorm` must be a finite number > 0\. Received: maxNorm=-1/],
      [{ maxNorm: Infinity }, /`maxNorm` must be a finite number > 0\. Received: maxNorm=Infinity/],
      [{ maxNorm: '1' as never }, /`maxNorm` must be a finite number > 0\. Received: maxNorm="1"/],
      [{ clipRatio: -0.5 }, /`clipRatio` must be a finite number >= 0\. Received: clipRatio=-0.5/],
      [{ clipRatio: NaN }, /`clipRatio` must be a finite number >= 0\. Received: clipRatio=NaN/],
      [{ beta: 1 }, /`beta` must be a number in \[0, 1\)\. Received: beta=1/],
      [{ beta: -0.1 }, /`beta` must be a number in \[0, 1\)\. Received: beta=-0.1/],
      [{ beta: NaN }, /`beta` must be a number in \[0, 1\)\. Received: beta=NaN/],
      [{ eps: 0 }, /`eps` must be a finite number > 0\. Received: eps=0/],
      [{ eps: -1e-6 }, /`eps` must be a finite number > 0\. Received: eps=-0.000001/],
      [{ warmupSteps: -1 }, /`warmupSteps` must be an integer >= 0\. Received: warmupSteps=-1/],
      [{ warmupSteps: 2.5 }, /`warmupSteps` must be an integer >= 0\. Received: warmupSteps=2.5/],
      [{ warmupSteps: Infinity }, /`warmupSteps` must be an integer >= 0\. Received: warmupSteps=Infinity/],
      [{ warmup: 3 } as never, /`options\.warmup` must be one of the options of adaGC \(maxNorm, clipRatio, beta, eps, warmupSteps\)\. Received: options\.warmup=3/],
    ];
    for (const [o, re] of bad) assert.throws(() => adaGC(o), (e: Error) => e instanceof ValueError && re.test(e.message), JSON.stringify(o));
    assert.throws(() => adaGC(5 as never), (e: Error) => e instanceof ValueError && /`options` must be an object in adaGC\. Received: options=5/.test(e.message));
    assert.throws(() => fromSpec({ name: 'adaGC', args: [{ beta: 2 }] }), /`beta` must be a number in \[0, 1\)\. Received: beta=2/);
    // The edges the official code accepts.
    for (const o of [{ clipRatio: 0 }, { beta: 0 }, { warmupSteps: 0 }, { eps: 1e-12 }]) assert.doesNotThrow(() => adaGC(o), JSON.stringify(o));
  });
});
