/**
 * Transforms described as plain data (`{ name, args }`), so that an optimizer wrapper holding one
 * can be saved with `model.save(…, { includeOptimizer: true })` and rebuilt on load.
 */
import { ValueError, formatValue } from '../errors.js';
import type { GradientTransformation } from './types.js';
import { chain } from './chain.js';
import { clipByValue } from './clip-by-value.js';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { clipByBlockRms } from './clip-by-block-rms.js';
import { adaptiveGradClip } from './adaptive-grad-clip.js';
import { autoClip } from './auto-clip.js';
import { zClip } from './z-clip.js';
import { adaGC } from './ada-gc.js';
import { zeroNans } from './zero-nans.js';
import { applyIfFinite } from './apply-if-finite.js';
import { skipOnSpike } from './skip-on-spike.js';

/**
 * A transform as data: the factory's name and its arguments. Nested transforms (`chain`'s
 * arguments, `applyIfFinite`'s first argument) are specs too. Options holding functions (AGC's
 * `exclude` or `axes` as a function) cannot be written as data; use AGC's `excludeNames` (and
 * `axes` as a record) instead, e.g. `{ name: 'adaptiveGradClip', args: [0.01, { excludeNames: ['head/'] }] }`.
 */
export interface TransformSpec {
  name: TransformName;
  args?: unknown[];
}

const FACTORIES = {
  clipByValue: (a: unknown[]) => clipByValue(a[0] as number),
  clipByGlobalNorm: (a: unknown[]) => clipByGlobalNorm(a[0] as number),
  clipByBlockRms: (a: unknown[]) => clipByBlockRms(a[0] as number),
  adaptiveGradClip: (a: unknown[]) => adaptiveGradClip(a[0] as number, (a[1] ?? {}) as never),
  autoClip: (a: unknown[]) => autoClip((a[0] ?? {}) as never),
  zClip: (a: unknown[]) => zClip((a[0] ?? {}) as never),
  adaGC: (a: unknown[]) => adaGC((a[0] ?? {}) as never),
  zeroNans: () => zeroNans(),
  applyIfFinite: (a: unknown[]) => applyIfFinite(fromSpec(a[0] as TransformSpec), (a[1] ?? {}) as never),
  skipOnSpike: (a: unknown[]) => skipOnSpike((a[0] ?? {}) as never),
  chain: (a: unknown[]) => chain(...a.map((s) => fromSpec(s as TransformSpec))),
} as const;

/** The names a {@link TransformSpec} may use. */
export type TransformName = keyof typeof FACTORIES;

/** True when `x` looks like a {@link TransformSpec}. */
export function isTransformSpec(x: unknown): x is TransformSpec {
  return x != null && typeof x === 'object' && typeof (x as TransformSpec).name === 'string' && !('update' in x);
}

/**
 * Builds a transform from its spec. Arguments are validated by the factory, as if called directly.
 *
 * @example
 * ```ts
 * import { transforms } from 'gradclip';
 * const t = transforms.fromSpec({ name: 'chain', args: [{ name: 'zeroNans' }, { name: 'clipByGlobalNorm', args: [1] }] });
 * ```
 * @throws ValueError for an unknown name or bad arguments.
 */
export function fromSpec(spec: TransformSpec): GradientTransformation<any> {
  if (!isTransformSpec(spec)) {
    throw new ValueError(`\`spec\` must be an object { name, args? } naming a transform. Received: spec=${formatValue(spec)}`);
  }
  const make = (FACTORIES as Record<string, (a: unknown[]) => GradientTransformation<any>>)[spec.name];
  if (make == null) {
    throw new ValueError(`Unknown transform \`${spec.name}\` in spec. Known transforms: ${Object.keys(FACTORIES).join(', ')}.`);
  }
  const args = spec.args ?? [];
  if (!Array.isArray(args)) {
    throw new ValueError(`\`spec.args\` must be an array. Received: args=${formatValue(args)}`);
  }
  return make(args);
}
