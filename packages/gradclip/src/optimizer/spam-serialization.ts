/**
 * Serialization shared by the SPAM and Stable-SPAM optimizers (spam.ts, stable-spam.ts): their
 * hyper-parameter config (`getConfig` / `fromConfig`), the weights of their per-variable slots
 * (`getWeights` / `setWeights`) and their registration with `tf.serialization`.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import type { NamedTensor } from '../core/grad-forms.js';
import type { MomentSlot } from './spam-shared.js';

/** The fields a slot type `S` adds to a {@link MomentSlot} (e.g. Stable-SPAM's running statistics). */
export type SlotExtra<S extends MomentSlot> = Omit<S, keyof MomentSlot>;

/** `getConfig`: the hyper-parameters `keys` of `source`, in that order (a null one included). */
export function hyperConfig<O extends object>(source: O, keys: readonly (keyof O & string)[]): tf.serialization.ConfigDict {
  return Object.fromEntries(keys.map((k) => [k, source[k] as tf.serialization.ConfigDictValue]));
}

/**
 * `fromConfig`: a `cls` built from the hyper-parameters `keys` of `config`. tfjs adds its own keys
 * (customObjects) to a loaded config, so the others are left out, and so is an undefined one.
 */
export function fromHyperConfig<T extends tf.serialization.Serializable>(
  cls: tf.serialization.SerializableConstructor<T>,
  config: tf.serialization.ConfigDict,
  keys: readonly string[],
): T {
  const own = Object.fromEntries(keys.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
  return new (cls as unknown as new (c: object) => T)(own);
}

/**
 * `getWeights` after `iter`: for each slot `<name>/m`, `<name>/v`, `<name>/step` (a new int32
 * scalar), then the weights `extra` makes of it, named `<name>/<key>`.
 */
export function slotWeights<S extends MomentSlot>(slots: readonly S[], extra: (s: S) => Record<string, tf.Tensor> = () => ({})): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (const s of slots) {
    out.push({ name: `${s.name}/m`, tensor: s.m }, { name: `${s.name}/v`, tensor: s.v }, { name: `${s.name}/step`, tensor: tf.scalar(s.step, 'int32') });
    for (const [key, tensor] of Object.entries(extra(s))) out.push({ name: `${s.name}/${key}`, tensor });
  }
  return out;
}

/**
 * `setWeights` after `iter`: the slots of what {@link slotWeights} returned, in order (float32 m and
 * v variables, the step counter), each with the fields `extra` reads from its weights
 * `extraSuffixes`. Throws a ValueError (naming `className`) for an unexpected or a missing weight.
 */
export async function restoreSlots<S extends MomentSlot>(
  className: string,
  weights: NamedTensor[],
  extraSuffixes: readonly string[] = [],
  extra: (w: Record<string, tf.Tensor>) => Promise<SlotExtra<S>> = async () => ({}) as SlotExtra<S>,
): Promise<S[]> {
  const groups = groupWeights(className, weights, ['m', 'v', 'step', ...extraSuffixes]);
  const slots: S[] = [];
  for (const [name, w] of groups) {
    const slot: MomentSlot = { name, m: slotFrom(w.m), v: slotFrom(w.v), step: (await w.step.data())[0] };
    slots.push({ ...slot, ...(await extra(w)) } as S);
  }
  return slots;
}

/** A slot variable from a restored weight (float32). */
export function slotFrom(t: tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(t.dtype === 'float32' ? t : tf.cast(t, 'float32'), false));
}

/**
 * Groups restored weights `<variable>/<suffix>` by variable (in order) and checks that each has
 * exactly the `suffixes` given.
 */
export function groupWeights(className: string, weights: NamedTensor[], suffixes: readonly string[]): Map<string, Record<string, tf.Tensor>> {
  const groups = new Map<string, Record<string, tf.Tensor>>();
  for (const { name, tensor } of weights) {
    const cut = name.lastIndexOf('/');
    const suffix = name.slice(cut + 1);
    if (cut <= 0 || !suffixes.includes(suffix)) {
      throw new ValueError(
        `${className}.setWeights: unexpected weight '${name}'; expected '<variable>/${suffixes.join("', '<variable>/")}' (as getWeights returns them).`,
      );
    }
    const key = name.slice(0, cut);
    const g = groups.get(key) ?? {};
    g[suffix] = tensor;
    groups.set(key, g);
  }
  for (const [key, g] of groups) {
    const missing = suffixes.filter((s) => g[s] == null);
    if (missing.length > 0) throw new ValueError(`${className}.setWeights: the weights of '${key}' lack ${missing.map((s) => `'${key}/${s}'`).join(', ')}.`);
  }
  return groups;
}

/**
 * Registers the optimizer class `cls` with `tf.serialization`, and makes `instanceof cls` exact:
 * tf.Optimizer's Symbol.hasInstance is duck-typed (every optimizer would pass `instanceof cls`).
 */
export function registerOptimizerClass<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T> & { readonly prototype: T }): void {
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (x: unknown) => x != null && Object.prototype.isPrototypeOf.call(cls.prototype, x),
  });
  tf.serialization.registerClass(cls);
}
