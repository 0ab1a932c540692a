/**
 * AutoClip checked against an independent float64 computation of the paper's Algorithm 1 (written
 * here, not calling gradclip), and its percentile against numpy through /usr/bin/python3 when
 * numpy is installed there.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { autoClip } from './auto-clip.js';
import { percentile } from './percentile.js';

/** np.percentile(xs, p), method 'linear', written from its definition: rank h = (n-1)·p/100. */
function refPercentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

function recordedNorms(): number[] {
  let s = 11;
  const r = () => ((s = (s * 48271) % 2147483647) / 2147483647);
  const out = Array.from({ length: 70 }, (_, k) => Math.fround(Math.exp(r() * 2 - 1) * (k < 10 ? 5 : 1)));
  for (const k of [20, 35, 36, 50]) out[k] = Math.fround(out[k] * 40);
  return out;
}

const numpy = existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describeBackends('autoClip', () => {
  for (const [p, historySize] of [[10, Infinity], [0, Infinity], [50, 20], [90, 7], [100, 10000]] as const) {
    it(`clips to the ${p}th percentile of the norm history (historySize ${historySize}), as Algorithm 1`, async () => {
      const t = autoClip({ percentile: p, historySize });
      let state = t.init();
      const hist: number[] = [];
      for (const [k, n] of recordedNorms().entries()) {
        hist.push(n);
        const window = Number.isFinite(historySize) ? hist.slice(-historySize) : hist;
        const eta = refPercentile(window, p);
        const f = Math.fround;
        const coef = Math.min(f(f(eta) / f(n + f(1e-6))), 1); // torch clip_grad_norm_, float32
        const g = tf.tensor([n]);
        const r = t.update([g], state);
        assert.ok(Math.abs(r.state.lastThreshold! - eta) <= 1e-12 * eta, `step ${k}: threshold ${r.state.lastThreshold} vs ${eta}`);
        assert.deepEqual(r.state.history, window);
        const got = (await r.grads[0]!.data())[0];
        const want = f(n * coef);
        assert.ok(Math.abs(got - want) <= 1e-6 * want, `step ${k}: got ${got}, want ${want}`);
        tf.dispose([g, r.grads[0]!]);
        state = r.state;
      }
    });
  }

  it('percentile matches numpy (np.percentile, linear) on random lists', { skip: numpy ? false : 'numpy not available at /usr/bin/python3' }, () => {
    let s = 3;
    const r = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const lists = Array.from({ length: 30 }, (_, i) => Array.from({ length: 1 + (i % 13) * 7 }, () => Math.exp(r() * 6 - 3)));
    const qs = [0, 1, 10, 25, 33.3, 50, 90, 99, 100];
    const py = spawnSync(
      '/usr/bin/python3',
      ['-c', 'import json,sys,numpy as np\nd=json.load(sys.stdin)\nprint(json.dumps([[float(np.percentile(np.array(l,dtype=np.float64),q)) for q in d["qs"]] for l in d["lists"]]))'],
      { input: JSON.stringify({ lists, qs }), encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
    const want = JSON.parse(py.stdout) as number[][];
    lists.forEach((l, i) => qs.forEach((q, j) => assert.equal(percentile(l, q), want[i][j], `list ${i} q ${q}`)));
  });

  it('a non-finite norm is not recorded (documented deviation) and the first step passes through', async () => {
    const t = autoClip();
    const g0 = tf.tensor([Infinity, 1]);
    const r0 = t.update([g0], t.init());
    assert.deepEqual(r0.state.history, []);
    assert.equal(r0.state.lastThreshold, null);
    assert.deepEqual(Array.from(await r0.grads[0]!.data()), [Infinity, 1]);
    const g1 = tf.tensor([3, 4]);
    const r1 = t.update([g1], r0.state);
    assert.deepEqual(r1.state.history, [5]);
    tf.dispose([g0, g1, r0.grads[0]!, r1.grads[0]!]);
  });
});
