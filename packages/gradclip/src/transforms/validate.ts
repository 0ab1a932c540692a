/** Internal: argument checks shared by the transform factories (errors name argument, rule, value). */
import { check } from '../errors.js';

/** A number >= 0; `Infinity` allowed, `NaN` not. */
export function checkNonNegativeOrInf(name: string, value: unknown): asserts value is number {
  check(typeof value === 'number' && value >= 0, name, 'a number >= 0 (Infinity allowed)', value);
}

/** A finite number in the open/closed interval given. */
export function checkInRange(name: string, value: unknown, lo: number, hi: number, loOpen: boolean, hiOpen: boolean): asserts value is number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && (loOpen ? value > lo : value >= lo) && (hiOpen ? value < hi : value <= hi);
  check(ok, name, `a number in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`, value);
}

/** A plain options object (or undefined). */
export function checkOptions(fn: string, options: unknown): void {
  check(options == null || (typeof options === 'object' && !Array.isArray(options)), `options`, `an object in ${fn}`, options);
}

/** The one options-key checker of the library (errors.ts), re-exported for the transform factories. */
export { checkKnownKeys } from '../errors.js';
