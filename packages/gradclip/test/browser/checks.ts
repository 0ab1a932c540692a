/**
 * The page's tiny test framework: named checks run in order, each passes, fails (with its message)
 * or is skipped (with its reason, only where a check does not apply). Assertions throw
 * `CheckFailure`s; there is no way to mark a failing check as expected.
 */
import * as tf from '@tensorflow/tfjs';
import { PROGRESS_PREFIX, type CheckResult } from './protocol.js';

/** `tf.memory().numTensors`, without initialising a backend (the first check sets it). */
function liveTensors(): number {
  return tf.engine().state.numTensors;
}

export type CheckFn = () => void | Promise<void>;

export class CheckFailure extends Error {}

export class Checks {
  readonly results: CheckResult[] = [];
  current: string | null = null;
  /** Runs after every check; may turn its result into a failure (e.g. the GPU device was lost during it). */
  afterEach: ((r: CheckResult) => Promise<void>) | null = null;
  private readonly names = new Set<string>();

  constructor(private readonly only: string[]) {}

  /**
   * Runs `fn` as the check `name`, inside a tfjs scope unless `scope: false` (tensors it leaves
   * behind are released). `always`: run it even when GRADCLIP_BROWSER_ONLY selects other checks.
   * Each start and result is also logged (console.debug, {@link PROGRESS_PREFIX}) so that the
   * runner knows how far a page got when it crashes or times out.
   */
  async run(name: string, fn: CheckFn, options: { scope?: boolean; always?: boolean } = {}): Promise<void> {
    if (!this.claim(name, options.always === true)) return;
    const t0 = performance.now();
    const n0 = liveTensors();
    this.current = name;
    console.debug(PROGRESS_PREFIX + JSON.stringify({ start: name }));
    const scope = options.scope ?? true;
    if (scope) tf.engine().startScope();
    let result: CheckResult;
    try {
      await fn();
      result = { name, status: 'pass', ms: 0 };
    } catch (e) {
      result = { name, status: 'fail', message: describe(e), ms: 0 };
    } finally {
      try {
        if (scope) tf.engine().endScope();
      } catch {
        // a lost GPU device: afterEach reports it
      }
    }
    if (this.afterEach) await this.afterEach(result);
    result.ms = Math.round(performance.now() - t0);
    result.tensorsLeft = liveTensors() - n0;
    this.record(result);
  }

  /** Records a skipped check (with its reason) without running anything. */
  skip(name: string, reason: string): void {
    if (this.claim(name, false)) this.record({ name, status: 'skip', message: reason, ms: 0 });
  }

  /** Records a failure that happened outside any check (the harness itself). */
  fail(name: string, message: string): void {
    this.record({ name, status: 'fail', message, ms: 0 });
  }

  private claim(name: string, always: boolean): boolean {
    if (this.names.has(name)) throw new Error(`duplicate check name: ${name}`);
    this.names.add(name);
    return always || this.only.length === 0 || this.only.some((s) => name.includes(s));
  }

  private record(r: CheckResult): void {
    this.results.push(r);
    this.current = null;
    console.debug(PROGRESS_PREFIX + JSON.stringify({ result: r }));
  }
}

function describe(e: unknown): string {
  if (e instanceof CheckFailure) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `thrown: ${String(e)}`;
}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

export function ok(cond: unknown, message: string): asserts cond {
  if (!cond) fail(message);
}

export function equal<T>(got: T, expected: T, label: string): void {
  if (!Object.is(got, expected)) fail(`${label}: got ${show(got)}, expected ${show(expected)}`);
}

/** Formats numbers so that -0, NaN and ±Infinity are visible. */
export function show(x: unknown): string {
  if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x);
  if (Array.isArray(x) || ArrayBuffer.isView(x)) return `[${Array.from(x as ArrayLike<unknown>, show).join(', ')}]`;
  if (x != null && typeof x === 'object') {
    try {
      return JSON.stringify(x);
    } catch {
      return String(x);
    }
  }
  return String(x);
}

/** Elementwise `Object.is` (NaN == NaN, -0 != 0), as node:assert's deepStrictEqual compares numbers. */
export function sameNumbers(got: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  const same = got.length === expected.length && Array.from(expected).every((e, i) => Object.is(got[i], e));
  if (!same) fail(`${label}: got ${show(got)}, expected ${show(expected)}`);
}

/**
 * {@link sameNumbers}, except that with `rounding` a finite non-zero expected value may differ by
 * `rounding.rtol·|e|` (float16 storage); NaN, ±Infinity and ±0 must still match exactly.
 */
export function sameValues(got: ArrayLike<number>, expected: ArrayLike<number>, label: string, rounding: { rtol: number } | null = null): void {
  const same = (g: number, e: number): boolean => Object.is(g, e) || (rounding != null && Number.isFinite(e) && e !== 0 && Math.abs(g - e) <= rounding.rtol * Math.abs(e));
  const ok = got.length === expected.length && Array.from(expected).every((e, i) => same(got[i], e));
  if (!ok) fail(`${label}: got ${show(got)}, expected ${show(expected)}${rounding ? ` (finite values within rtol=${rounding.rtol})` : ''}`);
}

/** Same as {@link sameNumbers} (or {@link sameValues} with `rounding`) for lists of arrays. */
export function sameLists(got: ArrayLike<number>[], expected: ArrayLike<number>[], label: string, rounding: { rtol: number } | null = null): void {
  equal(got.length, expected.length, `${label}: number of arrays`);
  got.forEach((g, i) => sameValues(g, expected[i], `${label}[${i}]`, rounding));
}

/** Deep equality of JSON-like values (numbers by `Object.is`). */
export function deepEqual(got: unknown, expected: unknown, label: string): void {
  if (!deepSame(got, expected)) fail(`${label}: got ${show(got)}, expected ${show(expected)}`);
}

/** {@link deepEqual}, except that numbers may differ by `tol` (|a - b| <= atol + rtol·|b|). */
export function deepClose(got: unknown, expected: unknown, tol: { rtol: number; atol: number }, label: string): void {
  if (!deepSame(got, expected, tol)) fail(`${label}: got ${show(got)}, expected ${show(expected)} (numbers within rtol=${tol.rtol}, atol=${tol.atol})`);
}

function deepSame(a: unknown, b: unknown, tol: { rtol: number; atol: number } | null = null): boolean {
  if (tol != null && typeof a === 'number' && typeof b === 'number' && Number.isFinite(b) && Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b)) return true;
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a == null || b == null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepSame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol));
}

/** Elementwise |got - exp| <= atol + rtol*|exp| (NaN == NaN, ±inf must match exactly). */
export function close(got: ArrayLike<number>, expected: ArrayLike<number>, tol: { rtol: number; atol: number }, label: string): void {
  equal(got.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const g = got[i];
    const e = expected[i];
    const same = Number.isNaN(e) ? Number.isNaN(g) : g === e || Math.abs(g - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!same) fail(`${label}[${i}]: got ${show(g)}, expected ${show(e)} (rtol=${tol.rtol}, atol=${tol.atol})`);
  }
}

/** `f` throws an error of class `type` whose message matches `re`. */
export function throws(f: () => unknown, type: abstract new (...a: any[]) => Error, re: RegExp, label: string): void {
  let thrown: unknown = undefined;
  let threw = false;
  try {
    f();
  } catch (e) {
    thrown = e;
    threw = true;
  }
  checkThrown(threw, thrown, type, re, label);
}

/** `p` rejects with an error of class `type` whose message matches `re`. */
export async function rejects(p: Promise<unknown>, type: abstract new (...a: any[]) => Error, re: RegExp, label: string): Promise<void> {
  let thrown: unknown = undefined;
  let threw = false;
  try {
    await p;
  } catch (e) {
    thrown = e;
    threw = true;
  }
  checkThrown(threw, thrown, type, re, label);
}

function checkThrown(threw: boolean, thrown: unknown, type: abstract new (...a: any[]) => Error, re: RegExp, label: string): void {
  if (!threw) fail(`${label}: expected ${type.name} matching ${re}, nothing was thrown`);
  if (!(thrown instanceof type)) fail(`${label}: expected ${type.name} matching ${re}, got ${describe(thrown)}`);
  if (!re.test(thrown.message)) fail(`${label}: ${type.name} message ${JSON.stringify(thrown.message)} does not match ${re}`);
}

/** The values of each tensor (null for a hole). */
export async function values(ts: readonly (tf.Tensor | null | undefined)[]): Promise<(number[] | null)[]> {
  return Promise.all(ts.map(async (t) => (t == null ? null : Array.from(await t.data()))));
}
