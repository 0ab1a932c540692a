/**
 * scikit-learn 1.2's `sklearn.datasets.make_regression`, random stream included.
 *
 * The article's regression experiments use
 * `make_regression(n_samples=10000, n_features=30, random_state=65)`; with the same seed this
 * function returns the same numbers (to the last bit or so: numpy computes `X @ coef` with BLAS,
 * whose summation order may differ in the last place).
 *
 * The draws, in numpy's order (all from one `RandomState`):
 * 1. `X = standard_normal((n_samples, n_features))`, row-major;
 * 2. `coef[:n_informative, :] = 100 * uniform(size=(n_informative, n_targets))`, the rest 0;
 * 3. `y = X @ coef + bias`, then `y += normal(scale=noise, size=y.shape)` when `noise > 0`;
 * 4. when `shuffle`: rows permuted by `shuffle(arange(n_samples))` (sklearn's `utils.shuffle` →
 *    `resample(replace=False)`), then columns (and `coef` rows) by `shuffle(arange(n_features))`.
 *
 * References: scikit-learn `sklearn/datasets/_samples_generator.py`.
 */
import { check, checkInteger, checkNonNegative, isFiniteNumber } from 'gradclip/errors';
import { RandomState, checkRandomState } from './random-state.js';

/** Options of {@link makeRegression}; names and defaults are scikit-learn's, in camelCase. */
export interface MakeRegressionOptions {
  /** Number of samples (rows). Default 100. */
  nSamples?: number;
  /** Number of features (columns). Default 100. */
  nFeatures?: number;
  /** Number of features with a non-zero coefficient (capped at `nFeatures`). Default 10. */
  nInformative?: number;
  /** Number of regression targets. Default 1. */
  nTargets?: number;
  /** Constant added to every target. Default 0. */
  bias?: number;
  /** Low-rank inputs are not supported: only `null`/`undefined` (the default, well-conditioned X). */
  effectiveRank?: number | null;
  /** Only used with `effectiveRank`; accepted for signature parity. Default 0.5. */
  tailStrength?: number;
  /** Standard deviation of Gaussian noise added to the targets. Default 0. */
  noise?: number;
  /** Shuffle rows and columns (consuming random draws as sklearn does). Default true. */
  shuffle?: boolean;
  /** Also return the ground-truth coefficients. Default false. */
  coef?: boolean;
  /** An integer seed in [0, 2**32 - 1] (numpy's `RandomState(seed)`), a `RandomState`, or undefined for a fresh seed. */
  randomState?: number | RandomState | null;
}

/** What {@link makeRegression} returns. */
export interface RegressionData {
  /** Inputs, `nSamples` rows of `nFeatures` float64 values. */
  X: number[][];
  /** Targets: `number[]` when `nTargets` is 1, else `nSamples` rows of `nTargets`. */
  y: number[] | number[][];
  /**
   * Ground-truth coefficients, present when `coef: true`: `number[]` (length `nFeatures`) when
   * `nTargets` is 1, else `nFeatures` rows of `nTargets`.
   */
  coef?: number[] | number[][];
}

/**
 * Generates a random linear regression problem exactly as scikit-learn 1.2's `make_regression`.
 *
 * Squeezing follows numpy's `np.squeeze` only for the target axis: with `nTargets: 1`, `y` and
 * `coef` are flat arrays; with one sample or one feature they stay arrays (numpy would squeeze
 * those axes too).
 *
 * @param options - see {@link MakeRegressionOptions}; defaults are sklearn's.
 * @returns `{ X, y }`, plus `coef` when `options.coef` is true.
 * @throws ValueError when a size is not a positive integer, `bias`/`noise` is not finite (noise
 *   must be >= 0), or `effectiveRank` is set (low-rank inputs are not implemented).
 * @example
 * ```ts
 * const { X, y } = makeRegression({ nSamples: 10000, nFeatures: 30, randomState: 65 });
 * X[0][0]; //=> -0.40611325593489805  (same as sklearn)
 * y.length; //=> 10000
 * ```
 */
export function makeRegression(options: MakeRegressionOptions = {}): RegressionData {
  const {
    nSamples = 100,
    nFeatures = 100,
    nInformative: nInformativeArg = 10,
    nTargets = 1,
    bias = 0,
    effectiveRank = null,
    tailStrength = 0.5,
    noise = 0,
    shuffle = true,
    coef = false,
    randomState,
  } = options;
  checkInteger('nSamples', nSamples, 1);
  checkInteger('nFeatures', nFeatures, 1);
  checkInteger('nInformative', nInformativeArg, 0);
  checkInteger('nTargets', nTargets, 1);
  check(isFiniteNumber(bias), 'bias', 'a finite number', bias);
  checkNonNegative('noise', noise);
  checkNonNegative('tailStrength', tailStrength);
  check(
    effectiveRank === null || effectiveRank === undefined,
    'effectiveRank',
    'null (low-rank inputs via make_low_rank_matrix are not implemented; its QR step cannot be reproduced bit for bit)',
    effectiveRank,
  );
  const nInformative = Math.min(nFeatures, nInformativeArg);
  const rng = checkRandomState(randomState);

  // 1. X = standard_normal((n_samples, n_features)), filled row-major.
  let X: number[][] = new Array(nSamples);
  for (let i = 0; i < nSamples; i++) {
    const row = new Array<number>(nFeatures);
    for (let j = 0; j < nFeatures; j++) row[j] = rng.standardNormal();
    X[i] = row;
  }

  // 2. ground_truth[:n_informative, :] = 100 * uniform(size=(n_informative, n_targets)).
  let groundTruth: number[][] = new Array(nFeatures);
  for (let j = 0; j < nFeatures; j++) {
    const row = new Array<number>(nTargets).fill(0);
    if (j < nInformative) for (let t = 0; t < nTargets; t++) row[t] = 100 * rng.uniform(0, 1);
    groundTruth[j] = row;
  }

  // 3. y = X @ ground_truth + bias (+ noise).
  let y: number[][] = new Array(nSamples);
  for (let i = 0; i < nSamples; i++) {
    const xi = X[i];
    const row = new Array<number>(nTargets);
    for (let t = 0; t < nTargets; t++) {
      let s = 0;
      for (let j = 0; j < nFeatures; j++) s += xi[j] * groundTruth[j][t];
      row[t] = s + bias;
    }
    y[i] = row;
  }
  if (noise > 0) {
    for (let i = 0; i < nSamples; i++) for (let t = 0; t < nTargets; t++) y[i][t] += rng.normal(0, noise);
  }

  // 4. util_shuffle(X, y) -> resample(replace=False): indices = arange(n); shuffle(indices).
  if (shuffle) {
    const rows = rng.permutation(nSamples);
    X = rows.map((r) => X[r]);
    y = rows.map((r) => y[r]);
    const cols = rng.permutation(nFeatures);
    X = X.map((row) => cols.map((c) => row[c]));
    groundTruth = cols.map((c) => groundTruth[c]);
  }

  const out: RegressionData = { X, y: nTargets === 1 ? y.map((r) => r[0]) : y };
  if (coef) out.coef = nTargets === 1 ? groundTruth.map((r) => r[0]) : groundTruth;
  return out;
}
