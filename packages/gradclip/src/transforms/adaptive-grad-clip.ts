/** AGC (Brock et al. 2021) as a transform: optax `adaptive_grad_clip`, plus TF.js layout options. */
import * as tf from '@tensorflow/tfjs';
import { ValueError, check, formatValue } from '../errors.js';
import { finiteMask, ieeeDiv, l2Norm, maximumKeepNaN } from '../core/exact-ops.js';
import { flattenGrads, type MaybeTensor } from '../core/grad-forms.js';
import { alignParams, gradsHaveNames } from './align-params.js';
import { tidyList } from './tensor-lists.js';
import type { GradientTransformation } from './types.js';
import { unitwiseAxes } from './unitwise-norm.js';
import { checkKnownKeys, checkNonNegativeOrInf, checkOptions } from './validate.js';

/** Reduction axes: one axis or several. */
export type Axes = number | readonly number[];

/** Options of {@link adaptiveGradClip}. */
export interface AdaptiveGradClipOptions {
  /** Floor on the parameter norm, so zero-initialised parameters can still move (default `1e-3`). */
  eps?: number;
  /**
   * Reduction axes for **every** variable (optax's `axis`). Default: the rank rules of
   * `unitwiseAxes` (Dense `[in, out]` → `[0]`, Conv `HWIO` → `[0, 1, 2]`, Conv3D → `[0, 1, 2, 3]`,
   * `squeeze(x).ndim <= 1` → whole tensor).
   */
  axis?: Axes | null;
  /**
   * Per-variable reduction axes, by name (map keys or `NamedTensor.name`; indices as strings for a
   * plain array). Either a record `{ [name]: axes }` or a function `(name, shape) => axes | null`
   * (null/undefined: use `axis` or the rank rules). Needed for Conv2DTranspose kernels
   * (`[h, w, out, in]` in TF.js, so `[0, 1, 3]`) and Conv3DTranspose (`[0, 1, 2, 4]`).
   */
  axes?: Readonly<Record<string, Axes>> | ((name: string, shape: readonly number[]) => Axes | null | undefined);
  /**
   * Variables to leave unclipped, e.g. the final classifier as in the NFNet reference
   * (`(name) => name.startsWith('dense_Dense3/')`). Their gradients pass through unchanged.
   */
  exclude?: (name: string, shape: readonly number[]) => boolean;
  /**
   * Variables to leave unclipped, as data (so that a `{ name: 'adaptiveGradClip', args }` spec can
   * carry it): a variable is excluded when its name **contains** one of these strings (an exact
   * name is a substring of itself). E.g. `['head/']` for a final layer named `head`, whose
   * variables tf.layers names `head/kernel`, `head/bias` (and `head/kernel_1`, … in later models).
   * Combined with `exclude` by "or".
   */
  excludeNames?: readonly string[];
}

/** `adaptiveGradClip` has no state. */
export type AdaptiveGradClipState = Record<string, never>;

const DIV_EPS = 1e-6;
const OPTION_KEYS = ['eps', 'axis', 'axes', 'exclude', 'excludeNames'] as const;

/**
 * Adaptive gradient clipping (AGC), unit-wise, with optax's exact arithmetic:
 *
 * ```
 * gNorm   = unitwiseNorm(g),  pNorm = unitwiseNorm(p)           // per unit, broadcast to g's shape
 * maxNorm = clipping * maximum(pNorm, eps)
 * out     = gNorm < maxNorm ? g : g * (maxNorm / maximum(gNorm, 1e-6))
 * ```
 *
 * A "unit" is one output neuron or filter. The default axes follow TF.js layouts, which are those
 * of the official JAX code (and differ from PyTorch's `[out, in]`): Dense kernel `[in, out]` →
 * axis 0, Conv kernel `HWIO` → axes 0..2, Conv3D → 0..3, biases/vectors (anything whose
 * `squeeze` has rank <= 1, including `[1, n]`) → the whole tensor. Use `axes` for
 * Conv2DTranspose (`[h, w, out, in]` → `[0, 1, 3]`), and `exclude` (a function) or `excludeNames`
 * (substrings of variable names, as data) for the final layer.
 *
 * `params` are required (the current parameter values, same form as `grads`).
 *
 * NaN/Inf policy (optax): propagates within a unit. A NaN gradient in a unit makes that unit's
 * output NaN; an `inf` one makes its finite entries `±0`... (`g * (max/inf)`), its `inf` entries
 * NaN. A non-finite parameter norm gives `maxNorm` NaN/inf for its unit. Other units are unaffected.
 * No host reads. State: `{}`.
 *
 * Deliberate difference: a negative `clipping` or `eps` throws.
 *
 * @param clipping The largest allowed ratio of unit gradient norm to unit parameter norm, a
 *   number >= 0 (NFNet: 0.01 at batch size 4096; larger for smaller batches).
 * @param options `eps` (default 1e-3), `axis`, `axes`, `exclude`, `excludeNames` (see {@link AdaptiveGradClipOptions}).
 * @returns A stateless {@link GradientTransformation} that requires `params`.
 * @throws ValueError for bad arguments; at `update`, for missing `params`, a rank above 5 with no
 *   axes given, or out-of-range axes.
 *
 * References: Brock, De, Smith, Simonyan, "High-Performance Large-Scale Image Recognition Without
 * Normalization", 2021, https://arxiv.org/abs/2102.06171 ; optax `adaptive_grad_clip`
 * (optax/transforms/_clipping.py); deepmind-research nfnets/agc_optax.py.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transforms } from 'gradclip';
 * const agc = transforms.adaptiveGradClip(0.1);
 * const params = { kernel: tf.tensor([[1, 0], [0, 2]]) };          // [in, out]: unit norms 1 and 2
 * const { grads } = agc.update({ kernel: tf.tensor([[1, 0], [0, 0.1]]) }, agc.init(), params);
 * grads.kernel.print(); //=> [[0.1, 0], [0, 0.1]]   (column 0 clipped to 0.1·1; column 1 under 0.1·2)
 * ```
 */
export function adaptiveGradClip(clipping: number, options: AdaptiveGradClipOptions = {}): GradientTransformation<AdaptiveGradClipState> {
  checkNonNegativeOrInf('clipping', clipping);
  checkOptions('adaptiveGradClip', options);
  checkKnownKeys('adaptiveGradClip', options, OPTION_KEYS);
  const eps = options.eps ?? 1e-3;
  checkNonNegativeOrInf('eps', eps);
  const { axis, axes, exclude, excludeNames } = options;
  if (axis != null) {
    check(
      typeof axis === 'number' ? Number.isInteger(axis) : Array.isArray(axis) && axis.every((a) => Number.isInteger(a)),
      'axis',
      'an integer or an array of integers',
      axis,
    );
  }
  check(axes == null || typeof axes === 'function' || (typeof axes === 'object' && !Array.isArray(axes)), 'axes', 'a record { name: axes } or a function (name, shape) => axes', axes);
  check(exclude == null || typeof exclude === 'function', 'exclude', 'a function (name, shape) => boolean', exclude);
  check(
    excludeNames == null || (Array.isArray(excludeNames) && excludeNames.every((n) => typeof n === 'string' && n.length > 0)),
    'excludeNames',
    'an array of non-empty strings',
    excludeNames,
  );
  const excludedNames = [...(excludeNames ?? [])];
  const isExcluded = (name: string, shape: readonly number[]): boolean =>
    excludedNames.some((n) => name.includes(n)) || exclude?.(name, shape) === true;

  const axesFor = (name: string, shape: readonly number[]): Axes | null | undefined => {
    if (axes == null) return axis;
    const own = typeof axes === 'function' ? axes(name, shape) : Object.prototype.hasOwnProperty.call(axes, name) ? axes[name] : undefined;
    return own ?? axis;
  };

  return {
    init: () => ({}),
    update(grads, state, params) {
      const flat = flattenGrads(grads);
      const ps = alignParams(flat, gradsHaveNames(grads), params, 'adaptiveGradClip');
      // Resolve everything that can throw before allocating tensors.
      const plan = flat.list.map((g, i) => {
        if (g == null) return null;
        const name = flat.names[i];
        if (isExcluded(name, g.shape)) return 'exclude' as const;
        const ax = axesFor(name, g.shape);
        if (ax != null && typeof ax !== 'number' && !Array.isArray(ax)) {
          throw new ValueError(`\`axes\` must give an integer or an array of integers for ${formatValue(name)}. Received: axes[${formatValue(name)}]=${formatValue(ax)}`);
        }
        return unitwiseAxes(g.shape, ax, `gradient ${formatValue(name)}`);
      });
      const out = tidyList(() =>
        flat.list.map((g, i): MaybeTensor => {
          const p = plan[i];
          if (g == null || p == null) return g;
          if (p === 'exclude') return g.clone();
          // sqrt(sum(x², unit axes)) (scaled on a float16 backend, see core/exact-ops.ts).
          const unitNorm = (x: tf.Tensor) => tf.broadcastTo(l2Norm(x, x.rank === 0 ? null : p, true), x.shape);
          const gt = g.toFloat();
          const gNorm = unitNorm(gt);
          const pNorm = unitNorm(ps[i] as tf.Tensor);
          // Possibly-NaN operands first (tfjs-wasm's maximum only propagates NaN from its first input;
          // on webgl the helpers keep NaN without the drivers' isnan, and divide IEEE-exactly).
          const pFloor = maximumKeepNaN(pNorm, eps);
          if (clipping === Infinity) {
            // maxNorm = Inf (NaN where pFloor is 0 or NaN): g where gNorm < maxNorm, NaN elsewhere.
            return tf.where(tf.logicalAnd(finiteMask(gNorm), tf.greater(pFloor, 0)), gt, tf.scalar(NaN));
          }
          const maxNorm = tf.mul(clipping, pFloor);
          const clipped = tf.mul(gt, ieeeDiv(maxNorm, maximumKeepNaN(gNorm, DIV_EPS)));
          return tf.where(tf.less(gNorm, maxNorm), gt, clipped);
        }),
      );
      return { grads: flat.rebuild(out), state, skip: false };
    },
  };
}
