/** Internal: lines `params` up with the flat list of gradients a transform received. */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatValue } from '../errors.js';
import { flattenGrads, type FlatGrads, type Grads, type MaybeTensor } from '../core/grad-forms.js';

/**
 * Error text shared by every transform that needs the parameters (optax `NO_PARAMS_MSG`).
 */
export const NO_PARAMS_MSG =
  'You are using a transformation that requires the current value of parameters, but you are not passing ' +
  '`params` when calling `update`. Pass the current values in the same form as `grads` ' +
  '(withClipping does this for you).';

function isNamedForm(params: Grads): boolean {
  if (params instanceof tf.Tensor) return false;
  if (Array.isArray(params)) return params.length > 0 && params.every((p) => p != null && typeof p === 'object' && 'name' in p && 'tensor' in p);
  return true;
}

/**
 * Returns one parameter per gradient, in the gradients' order.
 *
 * - When both `grads` and `params` carry names (a `NamedTensorMap` or `NamedTensor[]`), they are
 *   matched by name;
 * - otherwise by position, and the lengths must agree.
 *
 * @param flat The flattened gradients.
 * @param gradsNamed Whether the gradients' form carries names.
 * @param params The parameters in any form.
 * @param fn The transform's name, for error messages.
 * @throws ValueError when `params` is missing, of the wrong length, lacks a name, or has a hole or
 *   a different shape where a gradient is present.
 */
export function alignParams(flat: FlatGrads, gradsNamed: boolean, params: Grads | null | undefined, fn: string): MaybeTensor[] {
  if (params == null) throw new ValueError(`${fn}: ${NO_PARAMS_MSG}`);
  const p = flattenGrads(params, 'params');
  let aligned: MaybeTensor[];
  if (gradsNamed && isNamedForm(params)) {
    const byName = new Map<string, MaybeTensor>();
    p.names.forEach((n, i) => byName.set(n, p.list[i]));
    aligned = flat.names.map((n, i) => {
      if (flat.list[i] != null && !byName.has(n)) {
        throw new ValueError(`\`params\` must have an entry for every gradient in ${fn}. Received: params without ${formatValue(n)}`);
      }
      return byName.get(n);
    });
  } else {
    if (p.list.length !== flat.list.length) {
      throw new ValueError(
        `\`params\` must have one entry per gradient (same length and order) in ${fn}. ` +
          `Received: params.length=${p.list.length}, grads.length=${flat.list.length}`,
      );
    }
    aligned = p.list;
  }
  flat.list.forEach((g, i) => {
    if (g == null) return;
    const q = aligned[i];
    if (q == null) {
      throw new ValueError(`\`params\` must hold a tensor wherever a gradient is present in ${fn}. Received: params[${formatValue(flat.names[i])}]=${formatValue(q)}`);
    }
    if (q.shape.length !== g.shape.length || q.shape.some((d, k) => d !== g.shape[k])) {
      throw new ValueError(
        `\`params\` must have the shape of each gradient in ${fn}. ` +
          `Received: params[${formatValue(flat.names[i])}].shape=[${q.shape}], grads[${formatValue(flat.names[i])}].shape=[${g.shape}]`,
      );
    }
  });
  return aligned;
}

/** True when the gradients' form carries names (map or `NamedTensor[]`). */
export function gradsHaveNames(grads: Grads): boolean {
  return isNamedForm(grads);
}
