/** Number formatting shared by the table and report renderers (internal). */

/**
 * Formats a loss or norm for a table: 4 significant digits, exponent notation outside [1e-3, 1e6),
 * `NaN` for null (non-finite values are stored as null).
 *
 * @example
 * ```ts
 * formatNumber(31.14159); //=> '31.14'
 * formatNumber(3.04e9);   //=> '3.040e+9'
 * formatNumber(null);     //=> 'NaN'
 * ```
 */
export function formatNumber(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return 'NaN';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}

/** `12.3%`. */
export function formatPercent(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

/** Seconds with one decimal. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}`;
}

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
