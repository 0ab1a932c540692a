/**
 * The three shapes gradients come in, and a lossless round trip through a flat list.
 *
 * - an array of tensors with `null`/`undefined` holes (PyTorch `[p.grad for p in params]`),
 * - a `NamedTensorMap` (what `tf.variableGrads(f).grads` returns),
 * - a `NamedTensor[]` (what `Optimizer.applyGradients` receives from `minimize(f, _, varList)`).
 *
 * Built-in tfjs optimizers index their slot variables by position, so every gradclip function keeps
 * length, order and holes exactly as given.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatValue } from '../errors.js';

/** A name and a tensor, the element type of what `Optimizer.applyGradients` receives as an array. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** A gradient that may be missing (a variable not connected to the loss). */
export type MaybeTensor = tf.Tensor | null | undefined;

/** Any form of gradients gradclip accepts. A single tensor is treated as a one-element list. */
export type Grads = tf.Tensor | MaybeTensor[] | tf.NamedTensorMap | NamedTensor[];

/** Maps each input form to the output form a function returns. */
export type SameForm<G> = G extends tf.Tensor
  ? tf.Tensor
  : G extends NamedTensor[]
    ? NamedTensor[]
    : G extends tf.Tensor[]
      ? tf.Tensor[]
      : G extends MaybeTensor[]
        ? MaybeTensor[]
        : tf.NamedTensorMap;

/** The flat view of some gradients and a way back to their original form. */
export interface FlatGrads {
  /** Gradients in order, holes kept. */
  readonly list: MaybeTensor[];
  /** Names where the form has them (map keys or `NamedTensor.name`), else indices as strings. */
  readonly names: string[];
  /** The caller's form: one tensor, a `NamedTensor[]`, a plain list, or a `NamedTensorMap`. */
  readonly form: 'tensor' | 'named' | 'list' | 'map';
  /** Rebuilds the caller's form around new tensors (same length and order as `list`). */
  rebuild(list: MaybeTensor[]): any;
}

/**
 * {@link FlatGrads} as a class: `rebuild` is a prototype method, not a closure made per call
 * (flattenGrads runs on every training step of the optimizer wrapper).
 */
class Flat implements FlatGrads {
  constructor(
    readonly list: MaybeTensor[],
    readonly names: string[],
    readonly form: 'tensor' | 'named' | 'list' | 'map',
  ) {}

  rebuild(l: MaybeTensor[]): any {
    switch (this.form) {
      case 'tensor':
        return l[0];
      case 'list':
        return l;
      case 'named': {
        const out: NamedTensor[] = new Array(this.names.length);
        for (let i = 0; i < out.length; ++i) out[i] = { name: this.names[i], tensor: l[i] as tf.Tensor };
        return out;
      }
      default: {
        const out: tf.NamedTensorMap = {};
        for (let i = 0; i < this.names.length; ++i) {
          const k = this.names[i];
          // An own '__proto__' key, as Object.fromEntries makes (assignment would set the prototype).
          if (k === '__proto__') Object.defineProperty(out, k, { value: l[i], enumerable: true, writable: true, configurable: true });
          else out[k] = l[i] as tf.Tensor;
        }
        return out;
      }
    }
  }
}

function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

function isNamedTensor(x: unknown): x is NamedTensor {
  return x != null && typeof x === 'object' && !isTensor(x) && 'name' in x && 'tensor' in x;
}

/**
 * Flattens gradients of any accepted form.
 *
 * @param grads The gradients.
 * @param argName The argument name used in error messages.
 * @throws ValueError when an entry is neither a tensor, null, undefined nor a `NamedTensor`.
 */
export function flattenGrads(grads: Grads, argName = 'grads'): FlatGrads {
  if (isTensor(grads)) {
    return new Flat([grads], ['0'], 'tensor');
  }
  if (Array.isArray(grads)) {
    if (grads.length > 0 && grads.every((g) => isNamedTensor(g))) {
      const named = grads as NamedTensor[];
      return new Flat(
        named.map((n) => n.tensor),
        named.map((n) => n.name),
        'named',
      );
    }
    grads.forEach((g, i) => {
      if (g != null && !isTensor(g)) {
        throw new ValueError(
          `\`${argName}\` must hold tensors, null or undefined (or be a NamedTensor[] / NamedTensorMap). ` +
            `Received: ${argName}[${i}]=${formatValue(g)}`,
        );
      }
    });
    const list = grads as MaybeTensor[];
    return new Flat(list.slice(), list.map((_, i) => String(i)), 'list');
  }
  if (grads != null && typeof grads === 'object') {
    const map = grads as tf.NamedTensorMap;
    const names = Object.keys(map);
    names.forEach((k) => {
      const g = map[k] as unknown;
      if (g != null && !isTensor(g)) {
        throw new ValueError(
          `\`${argName}\` map values must be tensors, null or undefined. Received: ${argName}[${JSON.stringify(k)}]=${formatValue(g)}`,
        );
      }
    });
    return new Flat(
      names.map((k) => map[k]),
      names,
      'map',
    );
  }
  throw new ValueError(
    `\`${argName}\` must be a tensor, an array of tensors, a NamedTensor[] or a NamedTensorMap. Received: ${argName}=${formatValue(grads)}`,
  );
}

/** Applies `f` to every present gradient, keeping holes in place. */
export function mapPresent(list: MaybeTensor[], f: (t: tf.Tensor, i: number) => tf.Tensor): MaybeTensor[] {
  return list.map((t, i) => (t == null ? t : f(t, i)));
}

/** The present (non-null) gradients, in order. */
export function present(list: MaybeTensor[]): tf.Tensor[] {
  return list.filter((t): t is tf.Tensor => t != null);
}
