/**
 * skipOnSpike checked against an independent re-implementation of Levanter's `SkipStepConfig`
 * (circular buffers of window+1 NaN-filled slots, nanmean/nanstd, std floor) on a recorded
 * sequence of losses and gradient norms with spikes and a NaN.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { skipOnSpike } from './skip-on-spike.js';

class RefSkipStep {
  losses: number[];
  norms: number[];
  idx = 0;
  count = 0;
  constructor(
    readonly window: number,
    readonly sigma: number,
  ) {
    this.losses = new Array(window + 1).fill(NaN);
    this.norms = new Array(window + 1).fill(NaN);
  }
  private static stats(buf: number[], count: number): [number, number] {
    const xs = buf.filter((x, i) => i < count && !Number.isNaN(x));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    return [Number.isNaN(mean) ? 0 : mean, Number.isNaN(std) ? 1e-6 : Math.max(std, 1e-6)];
  }
  step(loss: number, norm: number): boolean {
    const can = this.count >= Math.max(2, Math.floor(this.window / 2));
    const [lm, ls] = RefSkipStep.stats(this.losses, this.count);
    const [gm, gs] = RefSkipStep.stats(this.norms, this.count);
    const skip = can && !(loss <= lm + this.sigma * ls && norm <= gm + this.sigma * gs);
    this.losses[this.idx] = loss;
    this.norms[this.idx] = norm;
    this.idx = (this.idx + 1) % (this.window + 1);
    this.count = Math.min(this.count + 1, this.window + 1);
    return skip;
  }
}

function recorded(): [number, number][] {
  let s = 5;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const out: [number, number][] = Array.from({ length: 160 }, (_, k) => [Math.fround(3 - k * 0.005 + 0.05 * r()), Math.fround(1 + 0.2 * r())]);
  out[40][0] = 9; // loss spike
  out[55][1] = 30; // norm spike
  out[56][1] = 25; // and another
  out[90][0] = NaN; // NaN loss
  out[120] = [50, 40];
  out[10][1] = 100; // before warmup: applied
  return out;
}

describeBackends('skipOnSpike', () => {
  const EXPECTED: Record<string, number[]> = {
    '16/6': [10, 40, 55, 90, 120], // 56 passes: the 30 at step 55 is in the history (std grew)
    '32/3': [40, 55, 56, 90, 120], // step 10 is before warmup (16)
    '128/6': [90, 120], // warmup 64: the early spikes are applied; NaN loss and the 50/40 spike are skipped
  };
  for (const [window, sigma] of [[16, 6], [32, 3], [128, 6]] as const) {
    it(`skips exactly where Levanter's rule does (window ${window}, sigma ${sigma})`, async () => {
      const ref = new RefSkipStep(window, sigma);
      const t = skipOnSpike({ window, sigma });
      let state = t.init();
      const skipped: number[] = [];
      for (const [k, [loss, norm]] of recorded().entries()) {
        const g = tf.tensor([norm]);
        const r = t.update([g], state, null, { loss: k % 3 === 0 ? loss : tf.scalar(loss) });
        const want = ref.step(loss, norm);
        assert.equal(r.skip, want, `step ${k}`);
        if (r.skip) {
          skipped.push(k);
          assert.deepEqual(Array.from(await r.grads[0]!.data()), [0], 'zeros on a skip');
        } else {
          assert.deepEqual(Array.from(await r.grads[0]!.data()), [norm], 'unchanged otherwise');
        }
        tf.dispose([g, r.grads[0]!]);
        state = r.state;
      }
      const warmup = Math.max(2, Math.floor(window / 2));
      assert.ok(skipped.every((k) => k >= warmup), 'nothing is skipped before warmup');
      assert.deepEqual(skipped, EXPECTED[`${window}/${sigma}`]);
      assert.equal(state.totalSkipped, skipped.length);
      assert.equal(state.losses.length, Math.min(160, window + 1));
    });
  }
});
