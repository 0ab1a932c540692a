/**
 * Float16 awareness: whether the active tfjs backend stores tensors as float16, what that breaks,
 * and a once-per-message warning that names the backend flag and the optimizer hyper-parameters at
 * risk.
 *
 * tfjs-webgl renders to float16 textures when `WEBGL_RENDER_FLOAT32_ENABLED` is false: when
 * `WEBGL_FORCE_F16_TEXTURES` is set, or on devices that cannot render to float32 textures (many
 * phones). Every value a GPU op writes is then a float16 (measured in headless Chromium,
 * test/browser):
 *
 * - 11 significant bits (unit roundoff 2^-11 ≈ 4.9e-4): results agree with float32 to ~3 digits;
 * - nothing above 65504: a larger value, **and ±Infinity, become NaN** (not Inf), including
 *   constants (a `tf.scalar(1e6)` or `tf.scalar(Infinity)` is NaN once a GPU op reads it);
 * - below 2^-14 ≈ 6.1e-5 values are subnormal (fewer bits), below 2^-24 ≈ 6e-8 they are 0;
 * - int32 tensors live in the same textures: integers above 2048 are rounded, above 65504 NaN.
 *
 * gradclip's norms use a scaled formulation there (see `l2Norm` in exact-ops.ts) so that a norm
 * up to 65504 is computed even when Σx² is not representable; non-finite gradients are still
 * detected (they are NaN).
 */
import * as tf from '@tensorflow/tfjs';

/** Largest finite float16. */
export const FLOAT16_MAX = 65504;
/** Smallest normal float16, 2^-14. */
export const FLOAT16_MIN_NORMAL = 2 ** -14;
/** Smallest positive (subnormal) float16, 2^-24. */
export const FLOAT16_MIN_SUBNORMAL = 2 ** -24;
/** tfjs-webgl's own epsilon on float16 (`tf.backend().epsilon()`), safe for the optimizers. */
export const FLOAT16_SAFE_EPSILON = 1e-4;

/** The flag gradclip reads, and the one users set. */
const RENDER_FLAG = 'WEBGL_RENDER_FLOAT32_ENABLED';
const FORCE_FLAG = 'WEBGL_FORCE_F16_TEXTURES';

/**
 * True when the active backend stores tensors as float16: `webgl` with
 * `WEBGL_RENDER_FLOAT32_ENABLED` false. (Not `tf.backend().floatPrecision()`: in tfjs 4.x it
 * reports 16 for float32 textures too, and it reads a tensor synchronously.)
 */
export function isFloat16Backend(): boolean {
  if (tf.getBackend() !== 'webgl') return false;
  try {
    return !tf.env().getBool(RENDER_FLAG);
  } catch {
    return false;
  }
}

/** `x` rounded to the nearest float16 (ties to even), as a float16 texture would store it (NaN above 65504, as tfjs-webgl does). */
export function toFloat16(x: number): number {
  if (Number.isNaN(x) || !Number.isFinite(x)) return NaN;
  const a = Math.abs(x);
  if (a === 0) return x;
  // The spacing of float16 values around a: 2^-24 below the normal range, 2^(e-10) above.
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  const ulp = 2 ** (e - 10);
  let q = a / ulp;
  const f = Math.floor(q);
  const d = q - f;
  q = d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  const r = q * ulp;
  if (r > FLOAT16_MAX) return NaN;
  return x < 0 ? -r : r;
}

/** One optimizer hyper-parameter that float16 cannot hold well enough. */
export interface Float16Risk {
  /** The optimizer's config key (`epsilon`, `beta2`, `learningRate`, …). */
  name: string;
  value: number;
  /** What goes wrong, and what to use instead. */
  why: string;
}

/** Config keys holding a decay rate in (0, 1) that enters as `1 - rate`. */
const RATES = ['beta1', 'beta2', 'rho', 'decay', 'momentum'];

/**
 * The hyper-parameters of an optimizer config (`optimizer.getConfig()`) that float16 storage
 * breaks or degrades:
 *
 * - `epsilon` below float16's smallest normal (6.1e-5): it is stored with a few bits or as 0, so
 *   `√v + ε` can be 0 where Adam-type second moments underflow (g² < 6e-8), and the update is
 *   Inf/NaN. Use `epsilon >= 1e-4` (tfjs's own webgl default).
 * - `learningRate` (or `initialAccumulatorValue`) below 6.1e-5: a subnormal float16 with a relative
 *   precision worse than 0.1% (0 below 6e-8).
 * - `beta1`/`beta2`/`rho`/`decay`/`momentum` so close to 1 that float16 rounds them to 1
 *   (1 - rate <= 2^-12): a bias correction `1 - β^t` is then 0 and the update Inf/NaN.
 * - Adam's `beta2` (an optimizer with `beta2` and `epsilon` but no `decay`, i.e. not Adamax):
 *   `(1 - beta2)·g²` underflows float16 for `|g| < sqrt(2^-24 / (1 - beta2))` (7.7e-3 at 0.999,
 *   the size of most entries of a clipped gradient); the second moment stays 0 there and the step
 *   is `m / epsilon`, up to `1/epsilon` times the float32 step. Flagged when that bound exceeds 1e-3.
 * - any value above 65504 (NaN on the device).
 */
export function float16Risks(config: Record<string, unknown> | null | undefined): Float16Risk[] {
  const risks: Float16Risk[] = [];
  if (config == null) return risks;
  const adamLike = typeof config.beta2 === 'number' && 'epsilon' in config && !('decay' in config);
  for (const [name, value] of Object.entries(config)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const a = Math.abs(value);
    if (a > FLOAT16_MAX) {
      risks.push({ name, value, why: `above float16's largest value 65504: it is NaN on the device` });
    } else if (name === 'epsilon' && a < FLOAT16_MIN_NORMAL) {
      risks.push({
        name,
        value,
        why: `below float16's smallest normal 6.1e-5 (stored as ${toFloat16(value)}): √v + ε can round to 0 and the update become Inf/NaN; use epsilon >= ${FLOAT16_SAFE_EPSILON}`,
      });
    } else if ((name === 'learningRate' || name === 'initialAccumulatorValue') && a > 0 && a < FLOAT16_MIN_NORMAL) {
      risks.push({ name, value, why: `below float16's smallest normal 6.1e-5: stored as the subnormal ${toFloat16(value)} (precision worse than 0.1%, 0 below 6e-8)` });
    } else if (RATES.includes(name) && value > 0 && value < 1 && toFloat16(value) === 1) {
      risks.push({ name, value, why: `rounds to 1 in float16 (1 - ${name} <= 2^-12): a bias correction 1 - ${name}^t is 0 and the update Inf/NaN` });
    } else if (name === 'beta2' && adamLike && value > 0 && value < 1 && Math.sqrt(FLOAT16_MIN_SUBNORMAL / (1 - value)) > 1e-3) {
      const g = Math.sqrt(FLOAT16_MIN_SUBNORMAL / (1 - value));
      risks.push({
        name,
        value,
        why: `(1 - beta2)·g² underflows float16 for |g| < ${g.toPrecision(2)}, so the second moment stays 0 there and the step is m/epsilon (up to 1/epsilon times the float32 step): expect Adam to leave the float32 trajectory on small (clipped) gradients (Adamax, SGD and momentum do not)`,
      });
    }
  }
  return risks;
}

/** The optimizer's config, or null when it has none (a plain object is taken as the config). */
function configOf(optimizer: unknown): Record<string, unknown> | null {
  if (optimizer == null || typeof optimizer !== 'object') return null;
  const get = (optimizer as { getConfig?: () => unknown }).getConfig;
  if (typeof get !== 'function') return optimizer as Record<string, unknown>;
  try {
    const c = get.call(optimizer);
    return c != null && typeof c === 'object' ? (c as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const warned = new Set<string>();

/** Options of {@link warnIfFloat16}: mainly for tests. */
export interface Float16WarnOptions {
  /** Decide as if the backend were (or were not) float16 instead of asking tfjs. */
  float16?: boolean;
  /** Where the warnings go (default `console.warn`). */
  warn?: (message: string) => void;
  /** Warn again even if this exact message was already given (default false: once per message). */
  repeat?: boolean;
}

/** The backend part of the float16 warning (see {@link warnIfFloat16}). */
export function float16BackendWarning(): string {
  return (
    `gradclip: the '${tf.getBackend()}' backend stores tensors as float16 (${RENDER_FLAG} is false: ${FORCE_FLAG} is set, or this device cannot render to float32 textures). ` +
    'In float16, ±Infinity and every value above 65504 become NaN, values below 6.1e-5 lose precision, and about 3 significant digits are kept. ' +
    "gradclip scales its norms so that norms up to 65504 are computed and still detects non-finite gradients (as NaN); the optimizer's own arithmetic is float16 too. " +
    `Where the device can render to float32 textures, set ${FORCE_FLAG}=false (the default) to compute in float32. See "In the browser" in gradclip's README.`
  );
}

/** The hyper-parameter part of the float16 warning for `optimizer`, or null when none is at risk. */
export function float16OptimizerWarning(optimizer: unknown): string | null {
  const risks = float16Risks(configOf(optimizer));
  if (risks.length === 0) return null;
  const ctor = (optimizer as { constructor?: { className?: string; name?: string } } | null)?.constructor;
  const label = ctor?.className ?? ctor?.name ?? 'the optimizer';
  const list = risks.map((r) => `${r.name}=${r.value}: ${r.why}`).join('; ');
  return `gradclip: hyper-parameters of ${label} at risk on this float16 backend (${RENDER_FLAG} is false): ${list}.`;
}

/**
 * Warns when the active backend computes in float16: once the backend warning (flag, what float16
 * does to ±Infinity, large and small values), and, given `optimizer` (a tf.Optimizer or its
 * config), once per distinct list of its hyper-parameters at risk ({@link float16Risks}).
 * Returns whether the backend is float16. Cheap when it is not: one backend-name test.
 *
 * gradclip's norm functions call it without an optimizer; the optimizer wrapper can call it with
 * its inner optimizer before its first step.
 */
export function warnIfFloat16(optimizer?: unknown, options: Float16WarnOptions = {}): boolean {
  const f16 = options.float16 ?? isFloat16Backend();
  if (!f16) return false;
  const warn = options.warn ?? ((m: string) => console.warn(m));
  for (const message of [float16BackendWarning(), optimizer == null ? null : float16OptimizerWarning(optimizer)]) {
    if (message == null || (options.repeat !== true && warned.has(message))) continue;
    warned.add(message);
    warn(message);
  }
  return true;
}
