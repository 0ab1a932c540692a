/**
 * Runs TensorFlow.js's own optimizer unit tests (tfjs-core 4.22.0, ported beside this folder) once
 * per backend (cpu, wasm) and once per {@link VARIANTS variant}: the bare tfjs optimizer, and
 * `withClipping` wrappers around it that never change a gradient. Every variant must pass tfjs's
 * assertions as written — its expected values with tfjs's tolerance, and its exact
 * `tf.memory().numTensors` counts — and every wrapped variant must give the bare optimizer's
 * numbers bit for bit (each array a test checks is recorded and compared).
 *
 * What replaces tfjs's jasmine helpers (tfjs-core src/jasmine_util.ts and src/test_util.ts):
 * - `describeWithFlags(name, ALL_ENVS, …)`: {@link describeTfjsOptimizerTests}, each test inside
 *   `tf.engine().startScope()` / `endScope()` as tfjs's `beforeEach` / `afterEach` do;
 * - `expectArraysClose(actual, expected, epsilon?)`: {@link TfjsTestContext.expectArraysClose}, the
 *   same rule (`|a − e| <= epsilon`, default 1e-3 on float32 backends; two non-finite values match);
 * - `expect(a).toBe(b)` / `toEqual(b)`: {@link TfjsTestContext.expectEqual} (deep, strict);
 * - `expect(f).toThrowError(re?)`: {@link TfjsTestContext.expectThrows}.
 * Each ported test builds its optimizers through {@link TfjsTestContext.wrap} and rebuilds them
 * from a config through {@link TfjsTestContext.fromConfig}, which is all that differs between variants.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends, type BackendName } from '@gradclip/testing/backends';
import { ClippedOptimizer, withClipping } from '../../clipped-optimizer.js';

/** One way of running a test: how each optimizer it makes is wrapped. */
export interface Variant {
  readonly name: string;
  /** False for the bare tfjs optimizer (the reference). */
  readonly wrapped: boolean;
  /** Returns the optimizer the test uses in place of `opt`. */
  readonly wrap: (opt: tf.Optimizer) => tf.Optimizer;
}

/** A threshold no gradient of these tests comes near: the clip never fires. */
const NEVER = 1e30;

/** The bare optimizer first (the reference), then wrappers that must change nothing. */
export const VARIANTS: readonly Variant[] = [
  { name: 'bare tfjs optimizer', wrapped: false, wrap: (o) => o },
  { name: 'withClipping(opt, {})', wrapped: true, wrap: (o) => withClipping(o, {}) },
  { name: 'withClipping(opt, { globalClipnorm: 1e30 })', wrapped: true, wrap: (o) => withClipping(o, { globalClipnorm: NEVER }) },
  { name: 'withClipping(opt, { clipnorm: 1e30 })', wrapped: true, wrap: (o) => withClipping(o, { clipnorm: NEVER }) },
  { name: 'withClipping(opt, { clipvalue: 1e30 })', wrapped: true, wrap: (o) => withClipping(o, { clipvalue: NEVER }) },
  { name: "withClipping(opt, { nonFinite: 'skip' })", wrapped: true, wrap: (o) => withClipping(o, { nonFinite: 'skip' }) },
];

/** tfjs-core test_util.ts `TEST_EPSILON_FLOAT32` / `TEST_EPSILON_FLOAT16`. */
const TEST_EPSILON_FLOAT32 = 1e-3;
const TEST_EPSILON_FLOAT16 = 1e-1;

/** What a ported test gets in place of tfjs's jasmine helpers. */
export interface TfjsTestContext {
  /** The backend the test runs on. */
  readonly backend: BackendName;
  /** The variant the test runs as. */
  readonly variant: Variant;
  /** The optimizer the test uses: `opt` itself for the bare variant, else a wrapper around it. */
  wrap(opt: tf.Optimizer): tf.Optimizer;
  /**
   * `cls.fromConfig(cls, config)` for the bare variant; for a wrapper, `ClippedOptimizer.fromConfig`
   * (checking that the inner optimizer it rebuilds is exactly a `cls`).
   */
  fromConfig(cls: tf.serialization.SerializableConstructor<tf.Optimizer>, config: tf.serialization.ConfigDict): tf.Optimizer;
  /** tfjs's `expectArraysClose`; also records `actual` for the bit-for-bit comparison. */
  expectArraysClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, epsilon?: number): void;
  /** jasmine's `toBe` / `toEqual`: deep strict equality. */
  expectEqual(actual: unknown, expected: unknown, message?: string): void;
  /** jasmine's `toThrowError(pattern?)`. */
  expectThrows(f: () => unknown, pattern?: RegExp): void;
}

/** A ported tfjs test body. */
export type TfjsTest = (t: TfjsTestContext) => void | Promise<void>;

/** What one run of a test recorded: the float32 bits of every array it checked, in order. */
export type Recorded = number[][];

/** tfjs-core test_util.ts `testEpsilon()`. */
function testEpsilon(): number {
  return tf.backend().floatPrecision() === 32 ? TEST_EPSILON_FLOAT32 : TEST_EPSILON_FLOAT16;
}

/** tfjs-core test_util.ts `areClose`. */
function areClose(a: number, e: number, epsilon: number): boolean {
  if (!Number.isFinite(a) && !Number.isFinite(e)) return true;
  return !(Number.isNaN(a) || Number.isNaN(e) || Math.abs(a - e) > epsilon);
}

function flat(x: ArrayLike<number> | number): number[] {
  return typeof x === 'number' ? [x] : Array.from(x);
}

/** The float32 bits of some numbers (NaN payloads and the sign of zero included). */
export function float32Bits(xs: readonly number[]): number[] {
  return Array.from(new Uint32Array(Float32Array.from(xs).buffer));
}

/**
 * A test context for `variant` on `backend` that records into `record`.
 *
 * @example
 * ```ts
 * const rec: Recorded = [];
 * const t = makeContext('cpu', VARIANTS[1], rec);
 * t.expectArraysClose([1.0004, 2], [1, 2]); // within tfjs's 1e-3: passes
 * rec; //=> [float32Bits([1.0004, 2])]
 * t.expectArraysClose([1.01], [1]); // throws: Arrays differ: actual[0] = 1.01, expected[0] = 1 (epsilon 0.001).
 * ```
 */
export function makeContext(backend: BackendName, variant: Variant, record: Recorded): TfjsTestContext {
  return {
    backend,
    variant,
    wrap: (opt) => variant.wrap(opt),
    fromConfig(cls, config) {
      if (!variant.wrapped) return (cls as unknown as typeof tf.Optimizer).fromConfig(cls, config) as tf.Optimizer;
      const rebuilt = ClippedOptimizer.fromConfig(ClippedOptimizer, config) as ClippedOptimizer;
      assert.equal(rebuilt.inner.constructor, cls, `the rebuilt inner optimizer is a ${cls.name}`);
      return rebuilt;
    },
    expectArraysClose(actual, expected, epsilon = testEpsilon()) {
      const a = flat(actual);
      const e = flat(expected);
      assert.equal(a.length, e.length, `Arrays have different lengths actual: ${a.length} vs expected: ${e.length}.\nActual:   ${a}.\nExpected: ${e}.`);
      for (let i = 0; i < e.length; ++i) {
        if (!areClose(a[i], e[i], epsilon)) {
          assert.fail(`Arrays differ: actual[${i}] = ${a[i]}, expected[${i}] = ${e[i]} (epsilon ${epsilon}).\nActual:   ${a}.\nExpected: ${e}.`);
        }
      }
      record.push(float32Bits(a));
    },
    expectEqual(actual, expected, message) {
      assert.deepStrictEqual(actual, expected, message);
    },
    expectThrows(f, pattern) {
      assert.throws(f, pattern ?? Error);
    },
  };
}

/**
 * Runs `test` as tfjs's jasmine environment would (inside an engine scope, so that tensors it
 * leaves are disposed afterwards) and returns what it recorded. Throws what the test throws.
 */
export async function runTfjsTest(test: TfjsTest, backend: BackendName, variant: Variant): Promise<Recorded> {
  const record: Recorded = [];
  const engine = tf.engine();
  engine.startScope();
  try {
    await test(makeContext(backend, variant, record));
  } finally {
    engine.endScope();
  }
  return record;
}

/**
 * Compares a wrapped run's recorded arrays with the bare run's, bit for bit; returns how many
 * arrays it compared.
 *
 * @throws AssertionError naming the first array and entry that differ.
 */
export function assertSameBits(wrapped: Recorded, bare: Recorded, label: string): number {
  assert.equal(wrapped.length, bare.length, `${label}: checked ${wrapped.length} arrays, the bare optimizer ${bare.length}`);
  wrapped.forEach((w, i) => assert.deepEqual(w, bare[i], `${label}: checked array #${i + 1} differs from the bare optimizer's in its float32 bits`));
  return bare.length;
}

/**
 * `describeWithFlags(name, ALL_ENVS, …)` for ported tfjs tests: per backend, one `it` per test and
 * variant. The bare variant (the first) runs first; each wrapped variant then runs the same test
 * and compares the arrays it checked with the bare run's, bit for bit.
 */
export function describeTfjsOptimizerTests(name: string, tests: Record<string, TfjsTest>, variants: readonly Variant[] = VARIANTS): void {
  describeBackends(name, (backend) => {
    for (const [title, test] of Object.entries(tests)) {
      let reference: Recorded | null = null;
      for (const variant of variants) {
        it(`${title} — ${variant.name}`, async (ctx) => {
          const got = await runTfjsTest(test, backend, variant);
          if (!variant.wrapped) {
            reference = got;
            ctx.diagnostic(`checked ${got.length} arrays`);
            return;
          }
          assert.ok(reference != null, `the bare tfjs run of '${title}' failed: nothing to compare with`);
          const n = assertSameBits(got, reference, `${title} [${backend}] ${variant.name}`);
          ctx.diagnostic(`${n} of ${n} checked arrays bit-identical to the bare optimizer's`);
        });
      }
    }
  });
}
