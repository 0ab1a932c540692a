/** Percentile with numpy's default ("linear") interpolation, on the host. */

/**
 * The `q`-th percentile of `values`, as `np.percentile(values, q)` (method `'linear'`): sort,
 * then interpolate between the two nearest ranks at position `(n - 1) * q / 100`.
 *
 * @param values Numbers (not modified). NaN values make the result NaN, as in numpy.
 * @param q The percentile, in [0, 100].
 * @returns The percentile, or NaN for an empty list.
 *
 * @example
 * ```ts
 * import { transforms } from 'gradclip';
 * transforms.percentile([1, 2, 3, 4], 10); //=> 1.3
 * ```
 */
export function percentile(values: readonly number[], q: number): number {
  const n = values.length;
  if (n === 0 || values.some(Number.isNaN)) return NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (n - 1) * (q / 100);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  // numpy's _lerp: a + (b - a) * t, switched to b - (b - a) * (1 - t) when t >= 0.5.
  const diff = b - a;
  return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
}
