/** Saving and restoring transform states (plain data that may hold NaN and ±Infinity). */
import { ValueError, formatValue } from '../errors.js';

const TAG = '$float';

/**
 * Turns a transform state into a JSON string. States are plain data (numbers, booleans, strings,
 * null, arrays, plain objects); `NaN`, `Infinity` and `-Infinity`, which JSON cannot hold, are
 * written as `{"$float": "NaN"}` etc. so they survive the round trip.
 *
 * @param state A state returned by `init` or `update`.
 * @returns A JSON string; {@link deserializeState} restores the state.
 * @throws ValueError when the state holds something that is not plain data (a tensor, a function…).
 *
 * @example
 * ```ts
 * import { transforms } from 'gradclip';
 * const s = transforms.serializeState({ mean: NaN, buffer: [1, Infinity] });
 * s; //=> '{"mean":{"$float":"NaN"},"buffer":[1,{"$float":"Infinity"}]}'
 * transforms.deserializeState(s); //=> { mean: NaN, buffer: [1, Infinity] }
 * ```
 */
export function serializeState(state: unknown): string {
  const check = (v: unknown, path: string): void => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => check(x, `${path}[${i}]`));
      return;
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const [k, x] of Object.entries(v as object)) check(x, `${path}.${k}`);
      return;
    }
    throw new ValueError(`\`state\` must be plain data (numbers, booleans, strings, null, arrays, objects). Received: ${path}=${formatValue(v)}`);
  };
  check(state, 'state');
  return JSON.stringify(state, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { [TAG]: String(v) } : v));
}

/**
 * Restores a state written by {@link serializeState}.
 *
 * @param json The JSON string.
 * @returns The state, equal to the one serialised (including `NaN` and `±Infinity`).
 * @throws SyntaxError for invalid JSON.
 */
export function deserializeState<S = unknown>(json: string): S {
  return JSON.parse(json, (_k, v) => {
    if (v != null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === TAG) return Number(v[TAG]);
    }
    return v;
  }) as S;
}
