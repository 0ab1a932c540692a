/** Options of the optimizer wrapper, and their validation (at construction, never mid-training). */
import { ValueError, checkOneOf, isFiniteNumber, received } from '../errors.js';
import type { KerasClipOptions } from '../core/keras-clip-gradients.js';
import type { GradientTransformation } from '../transforms/types.js';
import { fromSpec, isTransformSpec, type TransformSpec } from '../transforms/from-spec.js';

/** What to do with a step whose gradient norm is NaN or infinite. */
export type NonFinitePolicy = 'propagate' | 'error' | 'skip';

/** The policies, in documentation order. */
export const NON_FINITE_POLICIES: readonly NonFinitePolicy[] = ['propagate', 'error', 'skip'];

/** Options of {@link withClipping}. With no clipping option the wrapper applies the inner optimizer's steps unchanged (and records statistics on request). */
export interface ClippingOptions extends KerasClipOptions {
  /**
   * - `'propagate'` (default, Keras/TF): apply the step as computed (NaN/inf reach the weights).
   * - `'error'`: throw a `NonFiniteError`; weights and optimizer state stay as they were.
   * - `'skip'`: do not apply the step; weights, slots and `iterations` stay as they were, and
   *   `skippedSteps` counts it.
   *
   * `'error'` and `'skip'` read one scalar per step on the host.
   */
  nonFinite?: NonFinitePolicy;
  /**
   * A gradient transformation (from `transforms`, e.g. `transforms.zClip()` or a `chain`) applied
   * instead of the Keras options, with the variables' current values as `params`. Give it as a
   * spec (`{ name: 'zClip', args: [{ zThresh: 2.5 }] }`) to make the wrapper saveable with
   * `includeOptimizer`.
   */
  transform?: GradientTransformation<any> | TransformSpec | null;
  /**
   * Decoupled weight decay (Keras 3's `weight_decay`, with PyTorch `AdamW`'s formula): before the
   * inner optimizer's update, every variable that has a gradient is multiplied by
   * `1 − learningRate·weightDecay`, with the inner optimizer's current `learningRate` (the field all
   * seven `tf.train` optimizers keep; Adamax's `decay` schedule does not enter it). It comes after
   * clipping or the transform, and a skipped step (`nonFinite: 'skip'`, a step gate, a transform's
   * skip) does not decay. A finite number >= 0; default 0 (`null` too): none. Example:
   * `withClipping(tf.train.adam(1e-3), { transform: transforms.adaGC(), weightDecay: 0.1 })` is
   * AdaGC + AdamW.
   */
  weightDecay?: number | null;
}

/** Validated, normalised options. */
export interface ResolvedClippingOptions {
  clipnorm: number | null;
  clipvalue: number | null;
  globalClipnorm: number | null;
  nonFinite: NonFinitePolicy;
  /** The transform to apply (built from `transformSpec` when one was given). */
  transform: GradientTransformation<any> | null;
  /** The spec the transform was built from, or null (then the wrapper cannot be saved with it). */
  transformSpec: TransformSpec | null;
  /** Decoupled weight decay; 0 for none. */
  weightDecay: number;
}

const KNOWN = new Set(['clipnorm', 'clipvalue', 'globalClipnorm', 'nonFinite', 'transform', 'weightDecay']);

function isTransform(x: unknown): x is GradientTransformation<any> {
  return x != null && typeof x === 'object' && typeof (x as GradientTransformation).init === 'function' && typeof (x as GradientTransformation).update === 'function';
}

/**
 * Validates clipping options with Keras's rules: at most one of `clipnorm`, `clipvalue`,
 * `globalClipnorm` (a `null`/`undefined` value counts as unset), each a finite number > 0
 * (Keras silently disables clipping for 0 or negative values; gradclip throws); `weightDecay` a
 * finite number >= 0 (it combines with any of them).
 */
export function resolveClippingOptions(options: ClippingOptions | null | undefined, known: Set<string> = KNOWN): ResolvedClippingOptions {
  const o = options ?? {};
  if (typeof o !== 'object') {
    throw new ValueError(`\`options\` must be an object. ${received({ options })}`);
  }
  for (const key of Object.keys(o)) {
    if (!known.has(key)) {
      const hint = key === 'global_clipnorm' || key === 'globalClipNorm' ? " (gradclip spells it 'globalClipnorm')" : '';
      throw new ValueError(`Unknown clipping option \`${key}\`${hint}. Known options: ${[...known].join(', ')}.`);
    }
  }
  const { clipnorm = null, clipvalue = null, globalClipnorm = null } = o;
  const set = [clipnorm, clipvalue, globalClipnorm].filter((v) => v != null).length;
  if (set > 1) {
    throw new ValueError(
      `Only one of \`clipnorm\`, \`clipvalue\` and \`globalClipnorm\` can be set. ${received({ clipnorm, clipvalue, globalClipnorm })}`,
    );
  }
  for (const [name, v] of Object.entries({ clipnorm, clipvalue, globalClipnorm })) {
    if (v != null && !(isFiniteNumber(v) && v > 0)) {
      throw new ValueError(`\`${name}\` must be a finite number > 0. ${received({ [name]: v })}`);
    }
  }
  const nonFinite = o.nonFinite ?? 'propagate';
  checkOneOf('nonFinite', nonFinite, NON_FINITE_POLICIES);
  const weightDecay = o.weightDecay ?? 0;
  if (!(isFiniteNumber(weightDecay) && weightDecay >= 0)) {
    throw new ValueError(`\`weightDecay\` must be a finite number >= 0. ${received({ weightDecay })}`);
  }
  let transform: GradientTransformation<any> | null = null;
  let transformSpec: TransformSpec | null = null;
  if (o.transform != null) {
    if (set > 0) {
      throw new ValueError(
        `\`transform\` cannot be combined with \`clipnorm\`, \`clipvalue\` or \`globalClipnorm\`; compose them with transforms.chain(...). ${received({ clipnorm, clipvalue, globalClipnorm })}`,
      );
    }
    if (isTransform(o.transform)) transform = o.transform;
    else if (isTransformSpec(o.transform)) {
      transformSpec = JSON.parse(JSON.stringify(o.transform)) as TransformSpec;
      transform = fromSpec(transformSpec);
    } else {
      throw new ValueError(`\`transform\` must be a gradient transformation ({ init, update }) or a spec ({ name, args }). ${received({ transform: o.transform })}`);
    }
  }
  return { clipnorm, clipvalue, globalClipnorm, nonFinite, transform, transformSpec, weightDecay };
}
