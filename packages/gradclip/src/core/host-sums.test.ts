/**
 * The host sums replay the fused kernels bit for bit: the wasm order against the SIMD module itself
 * (on a memory of its own), the cpu order against an independent exact sum, and both through the
 * public functions with the fast path on and off.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { sumOfSquaresBlocked, sumOfSquaresF64 } from './host-sums.js';
import { clipWasmFor } from './fast/wasm-clip-module.js';
import { sumsOfSquares, totalSumOfSquares } from './sum-of-squares.js';
import { setFastPath } from '../internals/fast-path-switch.js';

function random(n: number, seed: number, spread: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    // Magnitudes over many binades, so that float32 partial sums round.
    out[i] = (u - 0.5) * Math.pow(2, Math.floor(u * spread) - spread / 2);
  }
  return out;
}

const SIZES = [0, 1, 3, 31, 32, 511, 512, 513, 1023, 1024, 1536 + 7, 5000, 20000];

it('sumOfSquaresBlocked equals the SIMD kernel sumsq bit for bit (block and tail boundaries, spread magnitudes, inf/NaN)', () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const ex = clipWasmFor(memory);
  assert.ok(ex != null, 'the SIMD module loads in Node');
  const heap = new Float32Array(memory.buffer);
  let differsFromCpuOrder = 0;
  for (const n of SIZES) {
    for (const spread of [2, 24]) {
      const x = random(n, n * 7 + spread, spread);
      heap.set(x);
      const kernel = ex.sumsq(0, n);
      assert.ok(Object.is(sumOfSquaresBlocked(x), kernel), `n=${n} spread=${spread}: ${sumOfSquaresBlocked(x)} vs kernel ${kernel}`);
      if (sumOfSquaresF64(x) !== kernel) differsFromCpuOrder += 1;
    }
  }
  // The test can fail: the two orders really differ on these inputs (float32 partial sums).
  assert.ok(differsFromCpuOrder > 5, `the wasm order differs from the cpu order on ${differsFromCpuOrder} inputs`);
  for (const special of [Infinity, -Infinity, NaN]) {
    const x = random(1100, 3, 8);
    x[700] = special;
    heap.set(x);
    const want = ex.sumsq(0, x.length);
    assert.ok(Object.is(sumOfSquaresBlocked(x), want), `${special}: ${sumOfSquaresBlocked(x)} vs ${want}`);
  }
  // Crafted so that the association of the final float64 fold matters: lane sums 2^54 (lane 0),
  // 1 (lane 1), 2 (lane 2), 1 (lane 3); the kernel adds (l0 + l2) + (l1 + l3) = 2^54 (ties to even),
  // another association gives 2^54 + 4.
  const crafted = new Float32Array(512);
  crafted[0] = 2 ** 27;
  crafted[1] = 1;
  crafted[2] = 1;
  crafted[34] = 1;
  crafted[3] = 1;
  heap.set(crafted);
  assert.equal(ex.sumsq(0, 512), 2 ** 54);
  assert.equal(sumOfSquaresBlocked(crafted), 2 ** 54);
  const x = Float32Array.of(3e38, 3e38); // float32 overflow only after rounding the total
  heap.set(x);
  assert.equal(sumOfSquaresBlocked(x), ex.sumsq(0, 2));
});

it('sumOfSquaresF64 is the float64 sum of exact squares (an independent BigInt-free check on integers)', () => {
  const x = Float32Array.from({ length: 1001 }, (_, i) => (i % 7) - 3 + (i % 2 ? 4096 : 0));
  let want = 0;
  for (const v of x) want += v * v; // integers below 2^53: exact in any order
  assert.equal(sumOfSquaresF64(x), want);
});

describeBackends('sums of squares with the fast path off', (backend) => {
  it(`${backend}: totalSumOfSquares and sumsOfSquares give the fused kernels' bits without them`, () => {
    const xs = [tf.tensor1d(random(20000, 11, 24)), tf.tensor2d(random(6, 2, 4), [2, 3]), tf.tensor1d(random(777, 5, 30))];
    const before = tf.memory().numTensors;
    const fast = { total: totalSumOfSquares(xs), each: sumsOfSquares(xs) };
    const wasOn = setFastPath(false);
    let plain;
    try {
      plain = { total: totalSumOfSquares(xs), each: sumsOfSquares(xs) };
    } finally {
      setFastPath(wasOn);
    }
    assert.deepEqual(Array.from(plain.total.dataSync()), Array.from(fast.total.dataSync()));
    assert.deepEqual(Array.from(plain.each.dataSync()), Array.from(fast.each.dataSync()));
    // ... and not the float32 composition's (which the test would otherwise not tell apart).
    const composed = tf.tidy(() => tf.addN(xs.map((x) => tf.sum(tf.square(x)))));
    assert.notEqual(composed.dataSync()[0], fast.total.dataSync()[0]);
    tf.dispose([fast.total, fast.each, plain.total, plain.each, composed]);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(xs);
  });
});
