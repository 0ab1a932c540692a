/**
 * Per-call time of the four public clipping functions (`clipGradNorm`, `clipGradValue` and their
 * in-place twins) on (a) 1M floats in 10 tensors and (b) 10M in 100, on cpu and wasm: 10 warm-up
 * calls, then 60 (a) / 20 (b) timed ones; prints one JSON line of { min, med } ms per case. Meant
 * for A/B runs of two builds in alternating processes (bench/README.md, "The fast-path seam").
 *
 *   npx tsx bench/clip-calls.ts
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { clipGradNorm, clipGradNorm_, clipGradValue, clipGradValue_ } from 'gradclip';
tf.env().set('PROD', true);
const sizes: Record<string, [number, number]> = { a: [1_000_000, 10], b: [10_000_000, 100] };
const out: Record<string, { min: number; med: number }> = {};
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  for (const [key, [n, k]] of Object.entries(sizes)) {
    const grads = Array.from({ length: k }, (_, i) => tf.randomNormal([n / k], 0, 1, 'float32', i + 1));
    const own = grads.map((g) => g.clone().add(0));
    const cases: [string, () => void][] = [
      [
        'clipGradNorm',
        () => {
          const r = clipGradNorm(grads, 1);
          tf.dispose([...r.grads, r.totalNorm]);
        },
      ],
      ['clipGradValue', () => tf.dispose(clipGradValue(grads, 0.5))],
      ['clipGradNorm_', () => clipGradNorm_(own, 1).dispose()],
      ['clipGradValue_', () => clipGradValue_(own, 0.5)],
    ];
    for (const [name, f] of cases) {
      for (let i = 0; i < 10; ++i) f();
      const t: number[] = [];
      const reps = key === 'a' ? 60 : 20;
      for (let i = 0; i < reps; ++i) {
        const t0 = performance.now();
        f();
        t.push(performance.now() - t0);
      }
      t.sort((x, y) => x - y);
      out[`${key} ${backend} ${name}`] = { min: t[0], med: t[t.length >> 1] };
    }
    tf.dispose([...grads, ...own]);
  }
}
console.log(JSON.stringify(out));
