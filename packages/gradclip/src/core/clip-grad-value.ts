/** `torch.nn.utils.clip_grad_value_` for TF.js. */
import * as tf from '@tensorflow/tfjs';
import { clampPresent } from './fast/fast-path.js';
import { flattenGrads, type Grads, type SameForm } from './grad-forms.js';
import { checkThreshold } from './validate.js';

/**
 * Clamps every gradient entry to `[-clipValue, clipValue]`, as PyTorch's `clip_grad_value_`
 * (`clamp(min=-c, max=c)`, the max applied last) and Keras's `clipvalue`.
 *
 * Composed from `maximum`/`minimum` rather than `tf.clipByValue`, because tfjs-wasm's ClipByValue
 * kernel turns NaN into the lower bound.
 *
 * NaN/Inf policy: NaN stays NaN; `+inf`/`-inf` become `+c`/`-c`; `-0` stays `-0`.
 *
 * @param grads Gradients in any form; holes stay in place.
 * @param clipValue A finite number >= 0. PyTorch silently sets every entry to a negative
 *   `clip_value`; gradclip throws.
 * @returns New clipped tensors in the input's form.
 * @throws ValueError for a negative or non-finite `clipValue`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipGradValue } from 'gradclip';
 * clipGradValue([tf.tensor([-3, 0.5, NaN, Infinity])], 1)[0].print();
 * //=> [-1, 0.5, NaN, 1]
 * ```
 */
export function clipGradValue<G extends Grads>(grads: G, clipValue: number): SameForm<G> {
  checkThreshold('clipValue', clipValue, true);
  const flat = flattenGrads(grads, 'grads');
  // One fused kernel for all tensors on cpu/wasm, minimum(maximum(g, -c), c) elsewhere; same bits.
  const out = tf.tidy(() => clampPresent(flat.list, clipValue) as tf.Tensor[]);
  return flat.rebuild(out) as SameForm<G>;
}
