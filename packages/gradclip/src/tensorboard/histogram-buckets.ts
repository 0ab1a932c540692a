/**
 * Equal-width histogram buckets in TensorBoard's TF2 `[k, 3]` form (rows `[left, right, count]`),
 * computed the way tfjs-node's `NodeJSKernelBackend.buckets()` does, plus NaN/±Inf counts.
 *
 * NaN/Inf policy: non-finite values are **skipped** (TensorBoard's TF1 path rejects them and its
 * TF2 path would produce NaN edges); they are counted in `nanCount`, `posInfCount` and
 * `negInfCount` so the caller can log them as scalars next to the histogram.
 */

/** Default bucket count, as in tfjs-node and TensorBoard's `summary_v2.DEFAULT_BUCKET_COUNT`. */
export const DEFAULT_HISTOGRAM_BUCKETS = 30;

/** Result of {@link histogramBuckets}. */
export interface HistogramBuckets {
  /** Row-major `[rows, 3]` values: `left, right, count` for each bucket. */
  readonly values: Float64Array;
  /** Number of buckets: 0 when there are no finite values, 1 when all finite values are equal, else `k`. */
  readonly rows: number;
  /** Number of finite values counted in the buckets (the sum of the counts). */
  readonly count: number;
  /** Number of NaN values skipped. */
  readonly nanCount: number;
  /** Number of +Infinity values skipped. */
  readonly posInfCount: number;
  /** Number of -Infinity values skipped. */
  readonly negInfCount: number;
}

/**
 * Buckets the finite values of `data` into `k` equal-width buckets between their min and max.
 *
 * - No finite values: zero rows (TensorBoard shape `[0, 3]`).
 * - All finite values equal to `v`: one row `[v - 0.5, v + 0.5, n]` (tfjs-node's rule; TensorBoard's
 *   python `summary_v2` keeps `k` zero-width buckets instead).
 * - Otherwise: edges `min + i * (max - min) / k` with the last edge forced to `max`; value `x` goes
 *   to bucket `min(floor((x - min) / width), k - 1)`, so the last bucket is closed.
 *
 * @param data - the values; NaN and ±Infinity are skipped and counted separately.
 * @param k - the number of buckets, an integer >= 1 (default 30). Not validated here; the writer
 *   validates it.
 * @returns the rows and the counts of finite, NaN, +Inf and -Inf values.
 * @example
 * ```ts
 * const h = histogramBuckets([0, 1, 2, 3, NaN, Infinity], 3);
 * h.rows; //=> 3
 * Array.from(h.values); //=> [0, 1, 1,  1, 2, 1,  2, 3, 2]
 * [h.count, h.nanCount, h.posInfCount, h.negInfCount]; //=> [4, 1, 1, 0]
 * ```
 */
export function histogramBuckets(data: ArrayLike<number>, k: number = DEFAULT_HISTOGRAM_BUCKETS): HistogramBuckets {
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  let nanCount = 0;
  let posInfCount = 0;
  let negInfCount = 0;
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const x = data[i];
    if (x !== x) {
      nanCount++;
    } else if (x === Infinity) {
      posInfCount++;
    } else if (x === -Infinity) {
      negInfCount++;
    } else {
      count++;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  const counts = { count, nanCount, posInfCount, negInfCount };
  if (count === 0) return { values: new Float64Array(0), rows: 0, ...counts };
  if (min === max) return { values: Float64Array.of(min - 0.5, min + 0.5, count), rows: 1, ...counts };

  // When max - min overflows (e.g. -1e308 .. 1e308), work on halved values: same bucket indices.
  const range = max - min;
  const scale = Number.isFinite(range) ? 1 : 0.5;
  const width = (max * scale - min * scale) / k;
  const lo = min * scale;
  const bucketCounts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const x = data[i];
    if (x - x !== 0) continue; // NaN or ±Inf (x - x is NaN for those)
    let idx = Math.floor((x * scale - lo) / width);
    if (idx > k - 1) idx = k - 1;
    else if (idx < 0) idx = 0; // guards rounding; cannot happen for x >= min
    bucketCounts[idx]++;
  }
  const values = new Float64Array(k * 3);
  let left = min;
  for (let b = 0; b < k; b++) {
    const right = b === k - 1 ? max : scale === 1 ? min + (b + 1) * width : (min * scale + (b + 1) * width) / scale;
    values[b * 3] = left;
    values[b * 3 + 1] = right;
    values[b * 3 + 2] = bucketCounts[b];
    left = right;
  }
  return { values, rows: k, ...counts };
}
