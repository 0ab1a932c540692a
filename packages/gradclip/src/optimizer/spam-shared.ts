/**
 * Plumbing shared by the SPAM and Stable-SPAM optimizers (spam.ts, stable-spam.ts): per-variable
 * slots, the gradient list an optimizer receives, the checks of their hyper-parameters, and their
 * factories' split of the options into the optimizer's own and the clipping wrapper's. Their
 * serialization is in spam-serialization.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, check, checkKnownKeys, checkNonNegative, checkPositive, formatValue, isFiniteNumber } from '../errors.js';
import { flattenGrads, type MaybeTensor, type NamedTensor } from '../core/grad-forms.js';
import { resolveClippingOptions, type ClippingOptions } from './clipping-options.js';
import { withClipping, type ClippedOptimizer } from './clipped-optimizer.js';
import { registeredVariable } from '../internals/tfjs-internals.js';

/** One variable's state: first and second moments and its own step counter (the reference's `state['step']`). */
export interface MomentSlot {
  /** Name of the variable the slot belongs to (the weight names of `getWeights` derive from it). */
  name: string;
  m: tf.Variable;
  v: tf.Variable;
  /** Bias-correction counter k of this variable. */
  step: number;
}

/**
 * Slots keyed by variable name. After `setWeights` (e.g. `tf.loadLayersModel` with the optimizer),
 * a variable whose name has no slot takes the restored slot at its position in the gradient list
 * if that one is still unclaimed and has its shape: a model reloaded in the same process gets new
 * variable names (`dense_Dense1/kernel_1`), but the same order, which is how tfjs's own optimizers
 * find their slots.
 */
export class SlotStore<S extends MomentSlot> {
  private byName = new Map<string, S>();
  /** Every slot, in the order of creation (or of the restored weights). */
  private all: S[] = [];
  /** Restored slots not yet claimed by a variable, by position. */
  private unclaimed: (S | null)[] = [];
  /** Number of non-null entries of `unclaimed`. */
  private pending = 0;

  /** The slots in order (for `getWeights`). */
  get slots(): readonly S[] {
    return this.all;
  }

  /** The slot of `variable` (gradient position `position`), made by `create` on first use. */
  get(variable: tf.Variable, position: number, create: () => S): S {
    const name = variable.name;
    let slot = this.byName.get(name);
    if (slot == null) {
      const restored = this.unclaimed[position];
      if (restored != null && tf.util.arraysEqual(restored.m.shape, variable.shape)) {
        this.byName.delete(restored.name);
        restored.name = name;
        slot = restored;
      } else {
        slot = create();
        this.all.push(slot);
      }
      this.byName.set(name, slot);
    }
    if (this.pending > 0) {
      const i = this.unclaimed.indexOf(slot);
      if (i >= 0) {
        this.unclaimed[i] = null;
        this.pending -= 1;
      }
    }
    if (!tf.util.arraysEqual(slot.m.shape, variable.shape)) {
      throw new ValueError(
        `The optimizer state of variable '${name}' has shape [${slot.m.shape}] but the variable has shape [${variable.shape}]. ` +
          'Was the optimizer used with another model?',
      );
    }
    return slot;
  }

  /**
   * The slots of `entries`, in order (made on first use: zero m and v, step 0, plus the fields
   * `fresh` returns).
   */
  forEntries(entries: readonly GradEntry[], fresh: () => Omit<S, keyof MomentSlot>): S[] {
    return entries.map((e) => this.get(e.variable, e.position, () => ({ name: e.variable.name, m: zerosSlot(e.variable), v: zerosSlot(e.variable), step: 0, ...fresh() }) as S));
  }

  /** Replaces every slot (disposing the old ones' tensors with `disposeSlot`). */
  replace(slots: S[], disposeSlot: (s: S) => void): void {
    for (const s of this.all) disposeSlot(s);
    this.all = slots;
    this.unclaimed = slots.slice();
    this.pending = slots.length;
    this.byName = new Map(slots.map((s) => [s.name, s]));
  }
}

/** Disposes the m and v variables of a slot. */
export function disposeMomentSlot(s: MomentSlot): void {
  s.m.dispose();
  s.v.dispose();
}

/**
 * Scalar tensors of an optimizer's constant hyper-parameters, made once and kept until `dispose`
 * (`tf.mul(x, 0.9)` would upload a new scalar for every variable at every step).
 */
export class ConstantScalars {
  private readonly map = new Map<number, tf.Scalar>();

  /** The kept float32 scalar of `value` (made on first use, also inside a tidy). */
  get(value: number): tf.Scalar {
    let s = this.map.get(value);
    if (s == null || s.isDisposed) {
      s = tf.keep(tf.scalar(value, 'float32'));
      this.map.set(value, s);
    }
    return s;
  }

  /** Makes the scalars of `values` now (so that the number of tensors stays constant from the first step on). */
  prepare(values: readonly number[]): void {
    for (const v of values) this.get(v);
  }

  dispose(): void {
    for (const s of this.map.values()) s.dispose();
    this.map.clear();
  }
}

/**
 * For one step, inside its tidy: one scalar per distinct value, shared by the variables (e.g. the
 * step size when every variable has the same k); the tidy disposes them.
 */
export function stepScalars(): (value: number) => tf.Scalar {
  const map = new Map<number, tf.Scalar>();
  return (value) => {
    let s = map.get(value);
    if (s == null) {
      s = tf.scalar(value, 'float32');
      map.set(value, s);
    }
    return s;
  };
}

/** A zero-filled, non-trainable float32 variable shaped like `x`. */
export function zerosSlot(x: tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros(x.shape, 'float32'), false));
}

/** One present gradient with its variable. */
export interface GradEntry {
  /** Position in the list `applyGradients` received (holes counted). */
  position: number;
  variable: tf.Variable;
  grad: tf.Tensor;
}

/**
 * The present gradients of an `applyGradients` call (a `NamedTensorMap` or a `NamedTensor[]`), each
 * with its registered variable. A missing gradient (null or undefined) is left out, as the reference
 * skips a parameter whose `.grad` is None. Throws a ValueError for an unknown name or a shape mismatch.
 */
export function gradEntries(className: string, variableGradients: tf.NamedTensorMap | NamedTensor[]): GradEntry[] {
  const flat = flattenGrads(variableGradients as tf.NamedTensorMap, 'variableGradients');
  if (flat.form !== 'map' && flat.form !== 'named') {
    throw new ValueError(
      `${className}.applyGradients takes a NamedTensorMap or a NamedTensor[]. Received: variableGradients=${formatValue(variableGradients)}`,
    );
  }
  const out: GradEntry[] = [];
  flat.list.forEach((g: MaybeTensor, position) => {
    if (g == null) return;
    const name = flat.names[position];
    const variable = registeredVariable(name);
    if (variable == null) {
      throw new ValueError(`${className}.applyGradients: no variable is named '${name}'. Received: variableGradients[${JSON.stringify(name)}]=${formatValue(g)}`);
    }
    if (variable.dtype !== 'float32') {
      throw new ValueError(`${className}.applyGradients: variable '${name}' is ${variable.dtype}; only float32 variables can be trained.`);
    }
    if (!tf.util.arraysEqual(g.shape, variable.shape)) {
      throw new ValueError(`${className}.applyGradients: the gradient of '${name}' has shape [${g.shape}] but the variable has shape [${variable.shape}].`);
    }
    out.push({ position, variable, grad: g });
  });
  return out;
}

/** A finite number in [0, 1). */
export function checkUnitInterval(name: string, value: unknown): asserts value is number {
  check(isFiniteNumber(value) && value >= 0 && value < 1, name, 'a finite number in [0, 1)', value);
}

/** Checks that `config` is an object whose keys are among `keys` (the hyper-parameters of `className`). */
export function checkHyperObject(className: string, config: unknown, keys: readonly string[]): asserts config is object {
  check(config != null && typeof config === 'object' && !Array.isArray(config), 'config', `an object (the ${className} hyper-parameters)`, config);
  checkKnownKeys(className, config as object, keys);
}

/** The Adam hyper-parameters both optimizers have, checked in this order (a ValueError names the first bad one). */
export function checkAdamHyper(h: { learningRate: unknown; beta1: unknown; beta2: unknown; epsilon: unknown; weightDecay: unknown }): void {
  checkPositive('learningRate', h.learningRate);
  checkUnitInterval('beta1', h.beta1);
  checkUnitInterval('beta2', h.beta2);
  checkNonNegative('epsilon', h.epsilon);
  checkNonNegative('weightDecay', h.weightDecay);
}

/** The learning rate may be reassigned between steps (a schedule): checked again when a step uses it. */
export function checkLearningRate(lr: unknown): void {
  check(isFiniteNumber(lr) && lr > 0, 'learningRate', 'a finite number > 0', lr);
}

/** The clipping-wrapper keys a SPAM/Stable-SPAM factory passes on to `withClipping`. */
export const WRAPPER_KEYS = ['clipnorm', 'clipvalue', 'globalClipnorm', 'nonFinite', 'transform'] as const;

/** No wrapper option: the factory returns the optimizer itself. */
export type NoClippingOptions = { [K in (typeof WRAPPER_KEYS)[number]]?: undefined };

/** The wrapper options a factory accepts (those of {@link ClippingOptions} it forwards). */
export type WrapperOptions = Pick<ClippingOptions, (typeof WRAPPER_KEYS)[number]>;

/**
 * A factory's result: `make(own)`, wrapped by `withClipping` when `options` sets a wrapper option
 * (see {@link splitFactoryOptions}), else unwrapped.
 */
export function fromFactoryOptions<C extends object, O extends tf.Optimizer>(
  fn: string,
  options: unknown,
  ownKeys: readonly string[],
  make: (own: C) => O,
): O | ClippedOptimizer {
  const { own, clip } = splitFactoryOptions<C>(fn, options, ownKeys);
  const opt = make(own);
  return clip == null ? opt : withClipping(opt, clip);
}

/**
 * Splits a factory's options into the optimizer's own and the wrapper's (null when none is set),
 * rejecting unknown keys and validating the wrapper's at once.
 */
export function splitFactoryOptions<O extends object>(fn: string, options: unknown, ownKeys: readonly string[]): { own: O; clip: WrapperOptions | null } {
  check(options == null || (typeof options === 'object' && !Array.isArray(options)), 'options', `an object (the options of ${fn})`, options);
  const o = (options ?? {}) as Record<string, unknown>;
  checkKnownKeys(fn, o, [...ownKeys, ...WRAPPER_KEYS]);
  const own: Record<string, unknown> = {};
  const clip: Record<string, unknown> = {};
  let wrapped = false;
  for (const [k, v] of Object.entries(o)) {
    if ((WRAPPER_KEYS as readonly string[]).includes(k)) {
      clip[k] = v;
      if (v !== undefined) wrapped = true;
    } else own[k] = v;
  }
  if (wrapped) resolveClippingOptions(clip as ClippingOptions);
  return { own: own as O, clip: wrapped ? (clip as WrapperOptions) : null };
}
