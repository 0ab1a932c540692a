/** `torch.nn.utils.clip_grads_with_norm_` for TF.js. */
import * as tf from '@tensorflow/tfjs';
import { ieeeBackend, ieeeDiv } from './exact-ops.js';
import { scalePresent } from './fast/fast-path.js';
import { flattenGrads, type Grads, type SameForm } from './grad-forms.js';
import { checkThreshold } from './validate.js';

/** PyTorch's absolute epsilon, added to the total norm before dividing. */
export const TORCH_CLIP_EPS = 1e-6;

/**
 * Scales gradients by `min(maxNorm / (totalNorm + 1e-6), 1)`, exactly as PyTorch's
 * `clip_grads_with_norm_`, trusting the given `totalNorm` (e.g. one computed elsewhere).
 *
 * The multiply is unconditional (no `if` on the host), so the step never waits for the device.
 * Because of the absolute 1e-6, gradients are scaled slightly even when `totalNorm == maxNorm`, and
 * the clipped norm ends slightly below `maxNorm`. TF.js tensors are immutable: this returns new
 * tensors where PyTorch modifies in place.
 *
 * NaN/Inf policy (PyTorch): a NaN norm makes every gradient NaN; an inf norm gives coefficient 0,
 * so finite entries become ±0 and inf entries NaN. The same on every backend (the division and the
 * minimum keep NaN without relying on a GPU's `isnan`; see exact-ops.ts).
 *
 * @param grads Gradients in any form; holes stay in place.
 * @param maxNorm The maximum norm, a finite number >= 0 (0 zeroes every gradient).
 * @param totalNorm The total norm, a number or a scalar tensor (not disposed).
 * @returns The clipped gradients, in the input's form.
 * @throws ValueError for a negative or non-finite `maxNorm` (PyTorch silently flips signs).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { clipGradsWithNorm } from 'gradclip';
 * clipGradsWithNorm([tf.tensor([3, 4])], 1, 5)[0].print();
 * //=> [0.6, 0.8]   (times 5/(5+1e-6))
 * ```
 */
export function clipGradsWithNorm<G extends Grads>(grads: G, maxNorm: number, totalNorm: number | tf.Scalar): SameForm<G> {
  checkThreshold('maxNorm', maxNorm, true);
  const flat = flattenGrads(grads, 'grads');
  if (typeof totalNorm !== 'number') checkThreshold('totalNorm', totalNorm, true);
  const out = tf.tidy(() => {
    const n = typeof totalNorm === 'number' ? tf.scalar(totalNorm) : totalNorm;
    const c = tf.scalar(maxNorm);
    const den = tf.add(n, TORCH_CLIP_EPS);
    // coef may be NaN: first operand, see clip-by-norm.ts. Elsewhere than cpu/wasm, min(c/den, 1) is
    // picked as den <= c ? 1 : c/den, which keeps NaN (NaN <= c is false) and never needs c/den
    // where it exceeds 1 (float16 overflows a tiny norm's 1e6-fold quotient to NaN).
    const clamped = ieeeBackend() ? tf.minimum(tf.div(c, den), 1) : tf.where(tf.lessEqual(den, c), tf.scalar(1), ieeeDiv(c, den));
    // One fused kernel for all tensors on cpu/wasm (bit-identical to tf.mul), tf.mul elsewhere.
    return scalePresent(flat.list, clamped as tf.Scalar) as tf.Tensor[];
  });
  return flat.rebuild(out) as SameForm<G>;
}

/**
 * The float32 coefficient {@link clipGradsWithNorm} multiplies by on `cpu`/`wasm` (IEEE float32
 * ops): `min(f32(maxNorm) / f32(totalNorm + f32(1e-6)), 1)`, NaN kept. For transforms that describe
 * their step as scale factors (`GradientTransformation.scaleFactors`): `g * coefficient` in float32
 * is then bit for bit what `clipGradsWithNorm` returns there.
 *
 * @example
 * ```ts
 * torchClipCoefficient(5, 50); //=> Math.fround(Math.fround(5) / Math.fround(50 + Math.fround(1e-6)))
 * torchClipCoefficient(5, 1); //=> 1
 * ```
 */
export function torchClipCoefficient(maxNorm: number, totalNorm: number): number {
  const f = Math.fround;
  const den = f(f(totalNorm) + f(TORCH_CLIP_EPS));
  const q = f(f(maxNorm) / den);
  return Number.isNaN(q) ? NaN : Math.min(q, 1);
}
