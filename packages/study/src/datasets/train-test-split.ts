/**
 * scikit-learn 1.2's `sklearn.model_selection.train_test_split` (no stratification).
 *
 * With `shuffle` (the default) it is `ShuffleSplit`: `perm = RandomState(seed).permutation(n)`,
 * `test = perm[:n_test]`, `train = perm[n_test:n_test + n_train]`, where
 * `n_test = ceil(test_size * n)` and `n_train = floor(train_size * n)` for fractions, the
 * complement of the other when one is omitted, and `test_size = 0.25` when both are.
 * Without shuffling, `train = 0..n_train-1` and `test = n_train..n_train+n_test-1`.
 *
 * References: scikit-learn `sklearn/model_selection/_split.py` (`_validate_shuffle_split`,
 * `ShuffleSplit._iter_indices`, `train_test_split`).
 */
import { ValueError, check, received } from 'gradclip/errors';
import { RandomState, checkRandomState } from './random-state.js';

/** Options of {@link trainTestSplit}; names and defaults are scikit-learn's, in camelCase. */
export interface TrainTestSplitOptions {
  /**
   * A fraction in (0, 1) (`ceil(testSize * n)` samples) or a count, an integer in [1, n - 1].
   * Default: the complement of `trainSize`, or 0.25 when both are omitted.
   */
  testSize?: number | null;
  /** A fraction in (0, 1) (`floor(trainSize * n)` samples) or a count. Default: the complement of the test set. */
  trainSize?: number | null;
  /** An integer seed (numpy `RandomState(seed)`), a `RandomState`, or undefined for a fresh seed. */
  randomState?: number | RandomState | null;
  /** Shuffle before splitting. Default true. */
  shuffle?: boolean;
}

/** Train and test row indices, in the order sklearn picks them. */
export interface SplitIndices {
  train: number[];
  test: number[];
}

/**
 * `[train, test]` for each input array, flattened: `[aTrain, aTest, bTrain, bTest, ...]`.
 * Typed per position for tuple inputs.
 */
export type SplitPairs<T extends readonly (readonly unknown[])[]> = T extends readonly []
  ? []
  : T extends readonly [readonly (infer E)[], ...infer R extends readonly (readonly unknown[])[]]
    ? [E[], E[], ...SplitPairs<R>]
    : T[number][number][][];

/**
 * A size given as a fraction (in (0, 1)) or a count. JS numbers have no int/float distinction, so
 * an integer-valued number >= 1 is a count and anything in (0, 1) is a fraction (numpy would also
 * reject the float `1.0`; here `1` means one sample).
 */
function sizeKind(name: string, value: number | null | undefined, n: number): 'none' | 'frac' | 'count' {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'number' && value > 0 && value < 1) return 'frac';
  if (Number.isInteger(value) && value >= 1 && value < n) return 'count';
  throw new ValueError(
    `\`${name}\` must be a fraction in (0, 1) or an integer count in [1, ${n - 1}] (n_samples=${n}). ${received({ [name]: value })}`,
  );
}

/**
 * The number of train and test samples sklearn's `_validate_shuffle_split` gives.
 *
 * @param nSamples - number of samples, an integer >= 2.
 * @param testSize - fraction or count (see {@link TrainTestSplitOptions.testSize}).
 * @param trainSize - fraction or count (see {@link TrainTestSplitOptions.trainSize}).
 * @returns `{ nTrain, nTest }`.
 * @throws ValueError when a size is out of range, the sizes add up to more than `nSamples`, or the train set would be empty.
 * @example
 * ```ts
 * splitSizes(10000, 0.2); //=> { nTrain: 8000, nTest: 2000 }
 * splitSizes(10, 0.25);   //=> { nTrain: 7, nTest: 3 }  (ceil(2.5) = 3)
 * ```
 */
export function splitSizes(
  nSamples: number,
  testSize?: number | null,
  trainSize?: number | null,
): { nTrain: number; nTest: number } {
  check(Number.isInteger(nSamples) && nSamples >= 2, 'nSamples', 'an integer >= 2', nSamples);
  if ((testSize === null || testSize === undefined) && (trainSize === null || trainSize === undefined)) testSize = 0.25;
  const testKind = sizeKind('testSize', testSize, nSamples);
  const trainKind = sizeKind('trainSize', trainSize, nSamples);
  if (testKind === 'frac' && trainKind === 'frac' && (testSize as number) + (trainSize as number) > 1) {
    throw new ValueError(
      `\`testSize\` + \`trainSize\` must be <= 1 when both are fractions. ${received({ testSize, trainSize })}`,
    );
  }
  let nTest = testKind === 'frac' ? Math.ceil((testSize as number) * nSamples) : testKind === 'count' ? (testSize as number) : NaN;
  let nTrain =
    trainKind === 'frac' ? Math.floor((trainSize as number) * nSamples) : trainKind === 'count' ? (trainSize as number) : NaN;
  if (trainKind === 'none') nTrain = nSamples - nTest;
  else if (testKind === 'none') nTest = nSamples - nTrain;
  if (nTrain + nTest > nSamples) {
    throw new ValueError(
      `\`trainSize\` + \`testSize\` must select at most n_samples=${nSamples} samples, got ${nTrain + nTest}. ${received({ testSize, trainSize })}`,
    );
  }
  if (nTrain === 0) {
    throw new ValueError(
      `The train set would be empty with n_samples=${nSamples}; adjust \`testSize\`/\`trainSize\`. ${received({ testSize, trainSize })}`,
    );
  }
  return { nTrain, nTest };
}

/**
 * The train/test indices sklearn's `train_test_split` uses (the ShuffleSplit permutation).
 *
 * @param nSamples - number of samples, an integer >= 2.
 * @param options - see {@link TrainTestSplitOptions}.
 * @returns `{ train, test }` row indices.
 * @throws ValueError as {@link splitSizes}, or for a bad `randomState`.
 * @example
 * ```ts
 * trainTestSplitIndices(10, { testSize: 0.2, randomState: 0 });
 * //=> { train: [4, 9, 1, 6, 7, 3, 0, 5], test: [2, 8] }  (permutation(10) = [2, 8, 4, 9, ...])
 * ```
 */
export function trainTestSplitIndices(nSamples: number, options: TrainTestSplitOptions = {}): SplitIndices {
  const { testSize, trainSize, randomState, shuffle = true } = options;
  const { nTrain, nTest } = splitSizes(nSamples, testSize, trainSize);
  if (!shuffle) {
    return {
      train: Array.from({ length: nTrain }, (_, i) => i),
      test: Array.from({ length: nTest }, (_, i) => nTrain + i),
    };
  }
  const perm = checkRandomState(randomState).permutation(nSamples);
  return { test: perm.slice(0, nTest), train: perm.slice(nTest, nTest + nTrain) };
}

/**
 * Splits arrays into random train and test subsets exactly as scikit-learn 1.2's
 * `train_test_split(*arrays, test_size, train_size, random_state, shuffle)` (no `stratify`).
 *
 * @param arrays - one or more arrays of the same length (rows may be anything: numbers, rows, ...).
 * @param options - see {@link TrainTestSplitOptions}.
 * @returns `[aTrain, aTest, bTrain, bTest, ...]`; the rows are shared with the inputs, not copied.
 * @throws ValueError when no array is given, lengths differ, or a size is invalid.
 * @example
 * ```ts
 * const { X, y } = makeRegression({ nSamples: 10000, nFeatures: 30, randomState: 65 });
 * const [XTrain, XTest, yTrain, yTest] = trainTestSplit([X, y as number[]], { testSize: 0.2, randomState: 65 });
 * XTrain.length; //=> 8000
 * XTest.length;  //=> 2000
 * ```
 */
export function trainTestSplit<const T extends readonly (readonly unknown[])[]>(
  arrays: T,
  options: TrainTestSplitOptions = {},
): SplitPairs<T> {
  check(Array.isArray(arrays) && arrays.length > 0, 'arrays', 'a non-empty list of arrays', arrays);
  const n = arrays[0].length;
  const lengths = arrays.map((a) => a.length);
  check(
    lengths.every((l) => l === n),
    'arrays',
    'arrays of the same length',
    `lengths [${lengths.join(', ')}]`,
  );
  const { train, test } = trainTestSplitIndices(n, options);
  const out: unknown[][] = [];
  for (const a of arrays) {
    out.push(train.map((i) => a[i]));
    out.push(test.map((i) => a[i]));
  }
  return out as SplitPairs<T>;
}
