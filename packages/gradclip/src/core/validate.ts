/** Argument checks shared by the core clipping functions. */
import * as tf from '@tensorflow/tfjs';
import { ValueError, check, isFiniteNumber, received } from '../errors.js';

/** A threshold given as a number or a scalar tensor. Numbers are validated here; tensors are trusted. */
export function checkThreshold(name: string, value: unknown, allowZero: boolean): void {
  if (value instanceof tf.Tensor) {
    check(value.rank === 0, name, 'a number or a scalar tensor', value);
    return;
  }
  if (allowZero) {
    check(isFiniteNumber(value) && value >= 0, name, 'a finite number >= 0', value);
  } else {
    check(isFiniteNumber(value) && value > 0, name, 'a finite number > 0', value);
  }
}

/** Normalises `axes` (number, number[] or undefined) against a rank, allowing negative axes. */
export function normalizeAxes(axes: number | number[] | null | undefined, rank: number, fn: string): number[] | undefined {
  if (axes == null) return undefined;
  const list = Array.isArray(axes) ? axes : [axes];
  for (const a of list) {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new ValueError(
        `\`axes\` must hold integers in [-${rank}, ${rank}) for a tensor of rank ${rank} in ${fn}. ${received({ axes })}`,
      );
    }
  }
  return list.map((a) => (a < 0 ? a + rank : a));
}
