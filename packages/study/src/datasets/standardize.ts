/**
 * Feature standardization fitted on the training rows, scikit-learn `StandardScaler` style.
 *
 * The article's point: gradient clipping keeps a badly scaled problem from diverging but is no
 * substitute for scaling the data; standardizing makes the exploding variant trainable without
 * clipping.
 */
import { check } from 'gradclip/errors';

/** What {@link standardize} returns. */
export interface StandardizeResult<A, S> {
  /** The standardized train array, then the others, in the order given. */
  arrays: A[];
  /** Per-column mean of the train rows (a number for flat arrays). */
  mean: S;
  /** Per-column population standard deviation of the train rows (ddof 0); 1 where it is 0. */
  std: S;
}

/**
 * Standardizes columns with the mean and standard deviation of the training rows:
 * `(v - mean) / std`, applied to the train array and to every other array given (test, validation).
 * As scikit-learn's `StandardScaler`: the population std (divide by n), and a column with std 0 is
 * only centered (its std is reported as 1). Flat arrays (targets) are treated as one column.
 *
 * NaN policy: a NaN in the train rows makes that column's mean/std NaN, so the column becomes NaN
 * everywhere (nothing is skipped silently).
 *
 * @param train - the rows the statistics are fitted on (`number[][]`, or `number[]`).
 * @param others - more arrays of the same kind and row width, transformed with the train statistics.
 * @returns `{ arrays: [train, ...others], mean, std }`.
 * @throws ValueError when `train` is empty or rows have different widths.
 * @example
 * ```ts
 * standardize([[1, 10], [3, 10]], [[5, 11]]);
 * //=> { arrays: [[[-1, 0], [1, 0]], [[3, 1]]], mean: [2, 10], std: [1, 1] }
 * standardize([1, 3], [5]); //=> { arrays: [[-1, 1], [3]], mean: 2, std: 1 }
 * ```
 */
export function standardize(train: number[][], ...others: number[][][]): StandardizeResult<number[][], number[]>;
export function standardize(train: number[], ...others: number[][]): StandardizeResult<number[], number>;
export function standardize(
  train: number[] | number[][],
  ...others: (number[] | number[][])[]
): StandardizeResult<number[] | number[][], number | number[]> {
  check(Array.isArray(train) && train.length > 0, 'train', 'a non-empty array', train);
  const flat = !Array.isArray(train[0]);
  const toRows = (a: number[] | number[][], name: string): number[][] => {
    check(Array.isArray(a), name, 'an array', a);
    check(
      a.every((r) => Array.isArray(r) !== flat),
      name,
      flat ? 'a flat number[] like train' : 'rows (number[][]) like train',
      'mixed',
    );
    return flat ? (a as number[]).map((v) => [v]) : (a as number[][]);
  };
  const trainRows = toRows(train, 'train');
  const width = trainRows[0].length;
  const all = [trainRows, ...others.map((o, i) => toRows(o, `others[${i}]`))];
  all.forEach((rows, k) =>
    rows.forEach((r, i) => check(r.length === width, `${k === 0 ? 'train' : `others[${k - 1}]`}[${i}].length`, `${width}`, r.length)),
  );
  const n = trainRows.length;
  const mean = new Array<number>(width).fill(0);
  for (const r of trainRows) for (let j = 0; j < width; j++) mean[j] += r[j];
  for (let j = 0; j < width; j++) mean[j] /= n;
  const std = new Array<number>(width).fill(0);
  for (const r of trainRows) for (let j = 0; j < width; j++) std[j] += (r[j] - mean[j]) ** 2;
  for (let j = 0; j < width; j++) {
    std[j] = Math.sqrt(std[j] / n);
    if (std[j] === 0) std[j] = 1;
  }
  const scaled = all.map((rows) => rows.map((r) => r.map((v, j) => (v - mean[j]) / std[j])));
  if (flat) return { arrays: scaled.map((rows) => rows.map((r) => r[0])), mean: mean[0], std: std[0] };
  return { arrays: scaled, mean, std };
}
