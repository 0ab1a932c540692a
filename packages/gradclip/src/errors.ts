/**
 * Error classes and message helpers shared by every gradclip module.
 *
 * Messages follow Keras's house style: they name the argument, the rule and the value received,
 * e.g. "`clipnorm` must be a finite number > 0. Received: clipnorm=-1".
 */

/** Base class of every error gradclip throws on purpose. */
export class GradclipError extends Error {
  override name = 'GradclipError';
}

/** An argument broke a documented rule. Thrown when an object is built or a function is called. */
export class ValueError extends GradclipError {
  override name = 'ValueError';
}

/** A gradient norm was NaN or infinite and the caller asked for an error (`errorIfNonfinite`, `nonFinite: 'error'`). */
export class NonFiniteError extends GradclipError {
  override name = 'NonFiniteError';
}

/** Formats a received value for an error message: numbers as JS prints them, strings quoted, objects as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'object' && 'shape' in (value as object)) {
    return `Tensor(shape=[${String((value as { shape: number[] }).shape)}])`;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** `"Received: name=value"` (or several, comma-separated). */
export function received(values: Record<string, unknown>): string {
  return `Received: ${Object.entries(values)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(', ')}`;
}

/** Throws a ValueError "`name` must be RULE. Received: name=value" unless `ok`. */
export function check(ok: boolean, name: string, rule: string, value: unknown): void {
  if (!ok) throw new ValueError(`\`${name}\` must be ${rule}. ${received({ [name]: value })}`);
}

/** True for a finite JS number. */
export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Validates a finite number > 0. */
export function checkPositive(name: string, value: unknown): asserts value is number {
  check(isFiniteNumber(value) && value > 0, name, 'a finite number > 0', value);
}

/** Validates a finite number >= 0. */
export function checkNonNegative(name: string, value: unknown): asserts value is number {
  check(isFiniteNumber(value) && value >= 0, name, 'a finite number >= 0', value);
}

/** Validates an integer >= min. */
export function checkInteger(name: string, value: unknown, min = 0): asserts value is number {
  check(Number.isInteger(value) && (value as number) >= min, name, `an integer >= ${min}`, value);
}

/** Validates one of a fixed set of strings. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  check(
    typeof value === 'string' && (allowed as readonly string[]).includes(value),
    name,
    `one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
    value,
  );
}

/**
 * Rejects the keys of an options object that `fn` does not know (a typo would otherwise be silently
 * ignored): "`options.sigmaFactr` must be one of the options of lossSpikeDetector (on, window, …).
 * Received: options.sigmaFactr=3".
 */
export function checkKnownKeys(fn: string, options: object | null | undefined, known: readonly string[]): void {
  if (options == null) return;
  for (const k of Object.keys(options)) {
    check(known.includes(k), `options.${k}`, `one of the options of ${fn} (${known.join(', ')})`, (options as Record<string, unknown>)[k]);
  }
}
