/**
 * The adding problem, the classic long-range-dependency task for recurrent networks
 * (Hochreiter & Schmidhuber 1997, experiment 4; used by Pascanu, Mikolov & Bengio 2013 to study
 * exploding gradients and gradient clipping).
 */
import { check, checkInteger } from 'gradclip/errors';
import { RandomState } from './random-state.js';

/** Options of {@link addingProblem}. */
export interface AddingProblemOptions {
  /** Number of sequences, an integer >= 1. */
  n: number;
  /** Sequence length T, an integer >= 2. */
  seqLength: number;
  /** Seed of the numpy-compatible `RandomState` that draws everything (integer in [0, 2**32 - 1]). */
  seed: number;
}

/** What {@link addingProblem} returns. */
export interface AddingProblemData {
  /** Inputs, layout `[n, seqLength, 2]`: channel 0 the values, channel 1 the markers (0 or 1). */
  x: Float32Array;
  /** Targets, one per sequence: the sum of the two marked values. */
  y: Float32Array;
  /** `[n, seqLength, 2]`, the shape of `x`. */
  shape: [number, number, number];
}

/**
 * Generates the adding problem: each sequence has `seqLength` steps with two channels, a value
 * drawn uniformly from [0, 1) and a marker that is 1 at exactly two steps, one in the first half
 * (`[0, floor(T/2))`) and one in the second half (`[floor(T/2), T)`), 0 elsewhere. The target is the
 * sum of the two marked values, so it lies in [0, 2); predicting the constant 1 gives MSE ≈ 1/6,
 * the baseline a model must beat.
 *
 * Draws per sequence, from one `RandomState(seed)`: T values (`random_sample`), then the first
 * marker (`randint(0, floor(T/2))`), then the second (`randint(floor(T/2), T)`). Values are
 * rounded to float32 and the target is the float32 sum of the stored values.
 *
 * References: S. Hochreiter and J. Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8),
 * 1997; R. Pascanu, T. Mikolov and Y. Bengio, "On the difficulty of training recurrent neural
 * networks", ICML 2013, https://arxiv.org/abs/1211.5063.
 *
 * @param options - `{ n, seqLength, seed }`.
 * @returns `{ x, y, shape }` with `x` laid out `[n, seqLength, 2]`.
 * @throws ValueError when `n < 1`, `seqLength < 2` or `seed` is not an integer in [0, 2**32 - 1].
 * @example
 * ```ts
 * const { x, y, shape } = addingProblem({ n: 1000, seqLength: 50, seed: 0 });
 * shape; //=> [1000, 50, 2]
 * y.length; //=> 1000
 * ```
 */
export function addingProblem(options: AddingProblemOptions): AddingProblemData {
  check(typeof options === 'object' && options !== null, 'options', 'an object { n, seqLength, seed }', options);
  const { n, seqLength, seed } = options;
  checkInteger('n', n, 1);
  checkInteger('seqLength', seqLength, 2);
  const rs = new RandomState(seed);
  const half = Math.floor(seqLength / 2);
  const x = new Float32Array(n * seqLength * 2);
  const y = new Float32Array(n);
  for (let s = 0; s < n; s++) {
    const base = s * seqLength * 2;
    for (let t = 0; t < seqLength; t++) x[base + 2 * t] = rs.randomSample();
    const first = rs.randint(0, half);
    const second = rs.randint(half, seqLength);
    x[base + 2 * first + 1] = 1;
    x[base + 2 * second + 1] = 1;
    y[s] = x[base + 2 * first] + x[base + 2 * second];
  }
  return { x, y, shape: [n, seqLength, 2] };
}
