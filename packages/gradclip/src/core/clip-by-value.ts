/** `tf.clip_by_value` for TF.js, NaN-correct on every backend. */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatValue, received } from '../errors.js';

/**
 * Clamps `t` to `[clipValueMin, clipValueMax]` as TensorFlow's `tf.clip_by_value` computes it:
 * `maximum(minimum(t, clipValueMax), clipValueMin)`. Same signature as `tf.clipByValue`, but NaN
 * stays NaN on every backend (tfjs-wasm's ClipByValue kernel maps NaN to the lower bound).
 *
 * NaN/Inf policy (TF): NaN stays NaN; ±inf clamp to the bounds.
 *
 * @param t The tensor.
 * @param clipValueMin Lower bound, a number (-Infinity allowed).
 * @param clipValueMax Upper bound, a number >= `clipValueMin` (Infinity allowed). TF silently
 *   returns `clipValueMin` everywhere when min > max; gradclip throws, like `tf.clipByValue`.
 * @returns A new tensor.
 * @throws ValueError when a bound is NaN or min > max.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipByValue } from 'gradclip';
 * clipByValue(tf.tensor([-5, 2, NaN, 6]), -4.4, 4.4).print();
 * //=> [-4.4, 2, NaN, 4.4]
 * ```
 */
export function clipByValue(t: tf.Tensor, clipValueMin: number, clipValueMax: number): tf.Tensor {
  if (!(t instanceof tf.Tensor)) {
    throw new ValueError(`\`t\` must be a tf.Tensor in clipByValue. Received: t=${formatValue(t)}`);
  }
  for (const [name, v] of [['clipValueMin', clipValueMin], ['clipValueMax', clipValueMax]] as const) {
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new ValueError(`\`${name}\` must be a number. ${received({ [name]: v })}`);
    }
  }
  if (clipValueMin > clipValueMax) {
    throw new ValueError(
      `\`clipValueMin\` must be <= \`clipValueMax\` in clipByValue. ${received({ clipValueMin, clipValueMax })}`,
    );
  }
  // t (possibly NaN) stays the first operand: tfjs-wasm's min/max propagate NaN only from there.
  return tf.tidy(() => tf.maximum(tf.minimum(t, clipValueMax), clipValueMin));
}
