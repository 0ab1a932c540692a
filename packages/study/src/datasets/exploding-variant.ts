/**
 * The article's "exploding" regression data: inputs and targets raised to a power, so that
 * unscaled features and targets span many orders of magnitude and gradients blow up without
 * clipping (or scaling).
 */
import { check } from 'gradclip/errors';

/** Options of {@link explodingVariant}. */
export interface ExplodingVariantOptions {
  /** The exponent p, a finite number > 0. Default 2. */
  power?: number;
  /**
   * Use `sign(v) * |v|^p` (default true) rather than plain `v^p`. Plain even powers map v and -v to
   * the same value, destroying the sign and so the (monotone) relationship between X and y:
   * `y ∝ x` becomes "y² vs x²", which no longer says which way y moves. Plain non-integer powers
   * of negatives are NaN. The sign-preserving power keeps the ordering and still makes the
   * magnitudes explode. Set false to reproduce a literal `X ** p`.
   */
  signPreserving?: boolean;
}

function pow(v: number, p: number, signPreserving: boolean): number {
  return signPreserving ? Math.sign(v) * Math.abs(v) ** p : v ** p;
}

function mapValues<T extends number[] | number[][]>(a: T, f: (v: number) => number): T {
  return a.map((r) => (Array.isArray(r) ? r.map(f) : f(r))) as T;
}

/**
 * Raises every value of X and y to a power (new arrays; the inputs are unchanged).
 *
 * NaN policy: NaN stays NaN; with `signPreserving: false`, negative values to a non-integer power
 * give NaN (as `Math.pow` does).
 *
 * @param X - rows of features.
 * @param y - targets, flat or one row per sample.
 * @param options - `power` (default 2), `signPreserving` (default true).
 * @returns `{ X, y }` transformed.
 * @throws ValueError when `power` is not a finite number > 0.
 * @example
 * ```ts
 * explodingVariant([[-3, 2]], [-10], { power: 2 });
 * //=> { X: [[-9, 4]], y: [-100] }
 * explodingVariant([[-3, 2]], [-10], { power: 2, signPreserving: false });
 * //=> { X: [[9, 4]], y: [100] }
 * ```
 */
export function explodingVariant<Y extends number[] | number[][]>(
  X: number[][],
  y: Y,
  options: ExplodingVariantOptions = {},
): { X: number[][]; y: Y } {
  const { power = 2, signPreserving = true } = options;
  check(Number.isFinite(power) && power > 0, 'power', 'a finite number > 0', power);
  check(typeof signPreserving === 'boolean', 'signPreserving', 'a boolean', signPreserving);
  check(Array.isArray(X) && Array.isArray(y), 'X, y', 'arrays', 'non-array');
  check(X.length === y.length, 'y.length', `equal to X.length (${X.length})`, y.length);
  const f = (v: number): number => pow(v, power, signPreserving);
  return { X: mapValues(X, f), y: mapValues(y, f) };
}
