/**
 * Saving and loading the optimizer wrapper: its config (the inner optimizer's class and config,
 * the clipping options, the transform's spec) and the transform's state, which travels through
 * `model.save(…, { includeOptimizer: true })` as one extra optimizer weight of UTF-8 JSON bytes.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatValue } from '../errors.js';
import type { NamedTensor } from '../core/grad-forms.js';
import type { TransformSpec } from '../transforms/from-spec.js';
import { deserializeState, serializeState } from '../transforms/serialize-state.js';
import type { ClippingOptions, ResolvedClippingOptions } from './clipping-options.js';

/** Name of the extra optimizer weight that carries a transform's state through model.save. */
export const TRANSFORM_STATE_WEIGHT = 'gradclip/transformState';

/**
 * The transform's state as the extra optimizer weight (an int32 tensor of its UTF-8 JSON bytes,
 * written with `serializeState`, which keeps NaN and ±Infinity).
 *
 * @example
 * ```ts
 * const w = transformStateWeight({ count: 3 });
 * w.name; //=> 'gradclip/transformState'
 * (await readTransformState([w])).state; //=> { count: 3 }
 * ```
 */
export function transformStateWeight(state: unknown): NamedTensor {
  const bytes = new TextEncoder().encode(serializeState(state));
  return { name: TRANSFORM_STATE_WEIGHT, tensor: tf.tensor1d(Array.from(bytes), 'int32') };
}

/**
 * Splits loaded optimizer weights into the transform's state (when one was saved; `found` says so)
 * and the inner optimizer's weights (`rest`, in order). Disposes nothing.
 */
export async function readTransformState(weights: readonly NamedTensor[]): Promise<{ found: boolean; state: unknown; rest: NamedTensor[] }> {
  const mine = weights.find((w) => w.name === TRANSFORM_STATE_WEIGHT);
  const rest = weights.filter((w) => w.name !== TRANSFORM_STATE_WEIGHT);
  if (mine == null) return { found: false, state: undefined, rest };
  const bytes = Uint8Array.from(await mine.tensor.data());
  return { found: true, state: deserializeState(new TextDecoder().decode(bytes)), rest };
}

/**
 * The wrapper's serialization config: the inner optimizer (class name and config) and the options.
 *
 * @example
 * ```ts
 * clippedOptimizerConfig(tf.train.sgd(0.1), resolveClippingOptions({ clipnorm: 1 }));
 * //=> { inner: { className: 'SGD', config: { learningRate: 0.1 } }, clipnorm: 1, clipvalue: null, globalClipnorm: null,
 * //     nonFinite: 'propagate', transform: null, transformSaveable: true, weightDecay: 0 }
 * ```
 */
export function clippedOptimizerConfig(inner: tf.Optimizer, options: Readonly<ResolvedClippingOptions>): tf.serialization.ConfigDict {
  return {
    inner: { className: inner.getClassName(), config: inner.getConfig() },
    clipnorm: options.clipnorm,
    clipvalue: options.clipvalue,
    globalClipnorm: options.globalClipnorm,
    nonFinite: options.nonFinite,
    transform: (options.transformSpec ?? null) as unknown as tf.serialization.ConfigDictValue,
    transformSaveable: options.transform == null || options.transformSpec != null,
    weightDecay: options.weightDecay,
  };
}

/**
 * The inner optimizer (rebuilt through `tf.serialization`'s registry) and the options of a config
 * written by {@link clippedOptimizerConfig}.
 *
 * @throws ValueError when the config has no inner class name, names a class that is not
 *   registered, or was saved with a transform given as an object (which cannot be rebuilt).
 */
export function parseClippedOptimizerConfig(config: tf.serialization.ConfigDict): { inner: tf.Optimizer; options: ClippingOptions } {
  const innerSpec = config.inner as { className?: string; config?: tf.serialization.ConfigDict } | undefined;
  const className = innerSpec?.className;
  if (typeof className !== 'string') {
    throw new ValueError(`ClippedOptimizer config must have \`inner.className\`. Received: inner=${formatValue(innerSpec)}`);
  }
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) {
    throw new ValueError(
      `ClippedOptimizer: cannot rebuild the inner optimizer '${className}': no class of that name is registered. ` +
        'Register it with tf.serialization.registerClass before calling tf.loadLayersModel.',
    );
  }
  const [innerCls, innerFromConfig] = entry;
  const inner = innerFromConfig(innerCls, innerSpec?.config ?? {}) as unknown as tf.Optimizer;
  const options: ClippingOptions = {
    clipnorm: (config.clipnorm as number | null) ?? null,
    clipvalue: (config.clipvalue as number | null) ?? null,
    globalClipnorm: (config.globalClipnorm as number | null) ?? null,
    nonFinite: (config.nonFinite as ClippingOptions['nonFinite']) ?? 'propagate',
    transform: (config.transform as unknown as TransformSpec | null) ?? null,
    weightDecay: (config.weightDecay as number | null | undefined) ?? 0,
  };
  if (config.transformSaveable === false) {
    throw new ValueError(
      'ClippedOptimizer: this model was saved with a transform given as an object, which cannot be rebuilt. ' +
        "Pass the transform as a spec (e.g. { name: 'zClip', args: [{}] }) to withClipping so that it can be saved and loaded.",
    );
  }
  return { inner, options };
}
