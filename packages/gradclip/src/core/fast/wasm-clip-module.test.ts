/**
 * The SIMD module links against both kinds of tfjs-backend-wasm memory: the plain one (tfjs-wasm
 * without threads, as in Node) and the shared one of the threaded build (cross-origin-isolated
 * pages), and computes the same bits on both.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { clipWasmFor, isSharedMemory } from './wasm-clip-module.js';

function run(memory: WebAssembly.Memory): { sumsq: number; scaled: number[]; clamped: number[] } {
  const ex = clipWasmFor(memory);
  assert.ok(ex != null, `the module links against a ${isSharedMemory(memory) ? 'shared' : 'plain'} memory`);
  const values = [1.5, -2, 3.25, NaN, Infinity, -0, 1e-40, 7];
  const f = new Float32Array(memory.buffer, 0, 3 * values.length);
  f.set(values);
  const n = values.length;
  ex.scale(0, 4 * n, n, 0.3);
  ex.clamp(0, 8 * n, n, 2);
  return { sumsq: ex.sumsq(0, 3), scaled: Array.from(f.subarray(n, 2 * n)), clamped: Array.from(f.subarray(2 * n, 3 * n)) };
}

it('links against a plain and a shared memory (threaded tfjs-wasm) and gives the same bits', () => {
  const plain = new WebAssembly.Memory({ initial: 1 });
  const shared = new WebAssembly.Memory({ initial: 1, maximum: 16384, shared: true });
  assert.equal(isSharedMemory(plain), false);
  assert.equal(isSharedMemory(shared), true);
  const a = run(plain);
  const b = run(shared);
  assert.equal(a.sumsq, 1.5 * 1.5 + 4 + 3.25 * 3.25);
  assert.deepEqual(b, a);
  assert.deepEqual(a.clamped.map(String), ['1.5', '-2', '2', 'NaN', '2', '0', String(Math.fround(1e-40)), '2']);
});
