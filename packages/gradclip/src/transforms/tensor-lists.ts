/** Internal: small operations on flat gradient lists (holes kept), shared by the transforms. */
import * as tf from '@tensorflow/tfjs';
import { finiteMask } from '../core/exact-ops.js';
import { mapPresent, present, type MaybeTensor } from '../core/grad-forms.js';

/** New tensors equal to the present gradients (cheap: clones share the data). */
export function cloneAll(list: MaybeTensor[]): MaybeTensor[] {
  return mapPresent(list, (t) => t.clone());
}

/** Zeros shaped like each present gradient (float32). */
export function zerosAll(list: MaybeTensor[]): MaybeTensor[] {
  return mapPresent(list, (t) => tf.zeros(t.shape, 'float32'));
}

/**
 * A bool scalar: every entry of every present gradient is finite (an empty list is finite). Decided
 * without `isnan` on webgl (`x*0 == 0`, see core/exact-ops.ts), so it holds on drivers whose
 * `isnan` is broken and on float16 textures (where ±Inf are NaN).
 */
export function allFinite(list: MaybeTensor[]): tf.Scalar {
  return tf.tidy(() => {
    const xs = present(list);
    if (xs.length === 0) return tf.scalar(true, 'bool');
    const alls = xs.map((x) => tf.all(finiteMask(x.toFloat())));
    return (alls.length === 1 ? alls[0] : tf.all(tf.stack(alls))) as tf.Scalar;
  });
}

/** Reads a scalar tensor on the host (a device sync), disposing nothing. */
export function readScalar(t: tf.Tensor): number {
  return t.dataSync()[0];
}

/** `tf.tidy` for a function returning a gradient list with holes (keeps the returned tensors). */
export function tidyList(f: () => MaybeTensor[]): MaybeTensor[] {
  return tf.tidy(() => f() as tf.Tensor[]) as MaybeTensor[];
}
