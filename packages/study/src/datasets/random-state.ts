/**
 * numpy's legacy `np.random.RandomState` (MT19937), bit for bit.
 *
 * scikit-learn's `check_random_state(int)` builds a `RandomState`, so reproducing the article's
 * data (`make_regression(..., random_state=65)`, `train_test_split`) needs the same generator,
 * seeding and sampling algorithms, not just "a" Mersenne Twister:
 *
 * - seeding an integer calls `mt19937_seed(state, seed)` (Matsumoto–Nishimura `init_genrand`);
 *   an array seed goes through `init_by_array`, as numpy's `_legacy_seeding` does;
 * - doubles take 53 bits from two draws: `((a >> 5) * 67108864 + (b >> 6)) / 9007199254740992`;
 * - normals use the legacy polar Box–Muller (`legacy_gauss`), which caches the second value;
 * - bounded integers use masked rejection sampling (`random_interval`, `random_bounded_uint64`);
 * - `shuffle` is the legacy Fisher–Yates, `for i in reversed(range(1, n)): j = random_interval(i)`,
 *   the same for 1-D arrays and for arrays of rows.
 *
 * The one possible difference from numpy is `Math.log`/`Math.sqrt` in `standardNormal` versus the
 * C library's `log`, which may differ in the last bit (relative error ~1e-16) for rare inputs.
 *
 * References: M. Matsumoto and T. Nishimura, "Mersenne Twister", ACM TOMACS 8(1), 1998;
 * numpy `numpy/random/_mt19937.pyx`, `numpy/random/src/legacy/legacy-distributions.c`,
 * `numpy/random/src/distributions/distributions.c`, `numpy/random/mtrand.pyx`.
 */
import { check, checkInteger } from 'gradclip/errors';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const TWO_32 = 4294967296;

/** A seed numpy's `RandomState` accepts: an integer in [0, 2**32 - 1] or an array of them. */
export type Seed = number | readonly number[];

/** Checks `value` is an integer in [0, 2**32 - 1], numpy's rule for seeds. */
function checkSeedInt(name: string, value: unknown): asserts value is number {
  check(
    Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff,
    name,
    'an integer in [0, 2**32 - 1] (numpy\'s rule for seeds)',
    value,
  );
}

/**
 * numpy's legacy random generator, `np.random.RandomState(seed)`, reproduced exactly.
 *
 * @example
 * ```ts
 * const rs = new RandomState(0);
 * rs.randomSample();   //=> 0.5488135039273248  (np.random.RandomState(0).random_sample())
 * new RandomState(0).permutation(10); //=> [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
 * ```
 */
export class RandomState {
  private readonly key = new Uint32Array(N);
  private pos = N;
  private hasGauss = false;
  private gauss = 0;

  /**
   * @param seed - an integer in [0, 2**32 - 1] (numpy's `mt19937_seed`), or a non-empty array of
   *   such integers (numpy's `init_by_array`, as `RandomState([1, 2, 3])`).
   * @throws ValueError when the seed is not an integer in [0, 2**32 - 1] or an array of them.
   */
  constructor(seed: Seed) {
    if (typeof seed === 'number') {
      checkSeedInt('seed', seed);
      this.initGenrand(seed);
    } else {
      check(Array.isArray(seed) && seed.length > 0, 'seed', 'an integer or a non-empty array of integers', seed);
      seed.forEach((s, i) => checkSeedInt(`seed[${i}]`, s));
      this.initByArray(seed);
    }
  }

  private initGenrand(seed: number): void {
    const mt = this.key;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.pos = N;
    this.hasGauss = false;
    this.gauss = 0;
  }

  private initByArray(initKey: readonly number[]): void {
    const mt = this.key;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    const len = initKey.length;
    for (let k = Math.max(N, len); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + initKey[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.pos = N;
    this.hasGauss = false;
    this.gauss = 0;
  }

  private generate(): void {
    const mt = this.key;
    let kk = 0;
    for (; kk < N - M; kk++) {
      const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }

  /**
   * The next raw 32-bit output of MT19937, as an unsigned integer.
   *
   * @returns an integer in [0, 2**32 - 1].
   * @example
   * ```ts
   * new RandomState(5489).nextUint32(); //=> 3499211612 (the reference MT19937 first output)
   * ```
   */
  nextUint32(): number {
    if (this.pos >= N) this.generate();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * A double in [0, 1) with 53 random bits, numpy's `random_sample()` / `mt19937_next_double`.
   *
   * @returns a number in [0, 1).
   * @example
   * ```ts
   * new RandomState(0).randomSample(); //=> 0.5488135039273248
   * ```
   */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /**
   * A standard normal draw, numpy's legacy `standard_normal()` / `randn()` (polar Box–Muller,
   * `legacy_gauss`): each accepted pair yields two values, the second cached for the next call.
   *
   * @returns a draw from N(0, 1).
   * @example
   * ```ts
   * const rs = new RandomState(0);
   * rs.randomSample(); rs.standardNormal(); //=> 0.7415917408091613 (numpy gives the same)
   * ```
   */
  standardNormal(): number {
    if (this.hasGauss) {
      const tmp = this.gauss;
      this.gauss = 0;
      this.hasGauss = false;
      return tmp;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2.0 * this.randomSample() - 1.0;
      x2 = 2.0 * this.randomSample() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /**
   * A normal draw, numpy's legacy `normal(loc, scale)`: `loc + scale * standardNormal()`.
   *
   * @param loc - mean (default 0).
   * @param scale - standard deviation, >= 0 (default 1).
   * @returns a draw from N(loc, scale²).
   * @throws ValueError when `scale` is negative or not finite.
   * @example
   * ```ts
   * new RandomState(1).normal(10, 0); //=> 10
   * ```
   */
  normal(loc = 0, scale = 1): number {
    check(Number.isFinite(scale) && scale >= 0, 'scale', 'a finite number >= 0', scale);
    return loc + scale * this.standardNormal();
  }

  /**
   * A uniform draw in [low, high), numpy's `uniform(low, high)`: `low + (high - low) * randomSample()`.
   *
   * @param low - lower bound (default 0).
   * @param high - upper bound (default 1).
   * @returns a number in [low, high).
   * @throws ValueError when `high - low` is not finite.
   * @example
   * ```ts
   * const u = new RandomState(0).uniform(-1, 1); //=> 0.0976270078546495 (2*0.5488135039273248 - 1)
   * ```
   */
  uniform(low = 0, high = 1): number {
    const range = high - low;
    check(Number.isFinite(range), 'high - low', 'finite', range);
    return low + range * this.randomSample();
  }

  /**
   * A uniform integer in [0, max], numpy's `random_interval(bitgen, max)` (masked rejection
   * sampling: draw 32 bits (64 when max >= 2**32), keep the bits under the smallest all-ones mask
   * covering `max`, retry while the result exceeds `max`). This is what legacy `shuffle` uses.
   *
   * @param max - an integer in [0, 2**53 - 1].
   * @returns an integer in [0, max].
   * @throws ValueError when `max` is not a non-negative safe integer.
   * @example
   * ```ts
   * new RandomState(0).randomInterval(0); //=> 0 (draws nothing)
   * ```
   */
  randomInterval(max: number): number {
    check(Number.isSafeInteger(max) && max >= 0, 'max', 'an integer in [0, 2**53 - 1]', max);
    if (max === 0) return 0;
    if (max <= 0xffffffff) {
      const mask = genMask32(max);
      let value: number;
      do {
        value = (this.nextUint32() & mask) >>> 0;
      } while (value > max);
      return value;
    }
    return this.maskedUint64(max);
  }

  /** Masked rejection on 64-bit draws (`next_uint64 = hi << 32 | lo`) for ranges >= 2**32. */
  private maskedUint64(rng: number): number {
    const big = BigInt(rng);
    let mask = big;
    for (const s of [1n, 2n, 4n, 8n, 16n, 32n]) mask |= mask >> s;
    let value: bigint;
    do {
      const hi = BigInt(this.nextUint32());
      const lo = BigInt(this.nextUint32());
      value = ((hi << 32n) | lo) & mask;
    } while (value > big);
    return Number(value);
  }

  /**
   * A uniform integer in [low, high), numpy's legacy `randint(low, high)` for the default int64
   * dtype (`random_bounded_uint64_fill` with `use_masked=True`). With one argument it draws from
   * [0, low), as numpy does.
   *
   * @param low - lowest value (inclusive), or the exclusive upper bound when `high` is omitted.
   * @param high - exclusive upper bound; `high - low` must be in [1, 2**53].
   * @returns an integer in [low, high).
   * @throws ValueError when the bounds are not integers or `high <= low`.
   * @example
   * ```ts
   * const rs = new RandomState(0);
   * [0, 1, 2, 3, 4].map(() => rs.randint(0, 10)); //=> [5, 0, 3, 3, 7]
   * ```
   */
  randint(low: number, high?: number): number {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    check(Number.isSafeInteger(low), 'low', 'an integer', low);
    check(Number.isSafeInteger(high) && high > low, 'high', `an integer > low (${low})`, high);
    const rng = high - 1 - low;
    if (rng === 0) return low;
    if (rng === 0xffffffff) return low + this.nextUint32();
    if (rng < 0xffffffff) {
      const mask = genMask32(rng);
      let value: number;
      do {
        value = (this.nextUint32() & mask) >>> 0;
      } while (value > rng);
      return low + value;
    }
    return low + this.maskedUint64(rng);
  }

  /**
   * Shuffles an array in place along its first axis, numpy's legacy `shuffle(x)`:
   * `for i in reversed(range(1, n)): j = random_interval(i); swap(x[i], x[j])`. For an array of rows
   * (`number[][]`) the rows are swapped, as numpy does for an n-d array.
   *
   * @param x - the array to shuffle (a JS array or a typed array); modified in place.
   * @returns `x`, for chaining.
   * @example
   * ```ts
   * const a = [0, 1, 2, 3, 4, 5];
   * new RandomState(7).shuffle(a); //=> [3, 5, 0, 2, 1, 4]
   * ```
   */
  shuffle<T extends { length: number; [i: number]: any }>(x: T): T {
    for (let i = x.length - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      if (i === j) continue;
      const tmp = x[i];
      x[i] = x[j];
      x[j] = tmp;
    }
    return x;
  }

  /**
   * A random permutation of `0..n-1`, numpy's legacy `permutation(n)` (`arange(n)` then `shuffle`).
   *
   * @param n - length, an integer >= 0.
   * @returns the permuted indices.
   * @throws ValueError when `n` is not an integer >= 0.
   * @example
   * ```ts
   * new RandomState(0).permutation(10); //=> [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
   * ```
   */
  permutation(n: number): number[] {
    checkInteger('n', n, 0);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }
}

/** The smallest all-ones bit mask >= x (numpy's `gen_mask`), for x < 2**32. */
function genMask32(x: number): number {
  let mask = x >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

/**
 * sklearn's `check_random_state` for the cases gradclip supports: an integer seeds a new
 * `RandomState`, a `RandomState` is used as is, `undefined`/`null` gets a fresh random seed
 * (sklearn would use numpy's global generator; results are then not reproducible).
 *
 * @param randomState - seed, generator, or nothing.
 * @returns a `RandomState`.
 * @throws ValueError when `randomState` is neither.
 * @example
 * ```ts
 * checkRandomState(0).randomSample(); //=> 0.5488135039273248
 * ```
 */
export function checkRandomState(randomState: number | RandomState | null | undefined): RandomState {
  if (randomState instanceof RandomState) return randomState;
  if (randomState === undefined || randomState === null) {
    return new RandomState(Math.floor(Math.random() * TWO_32));
  }
  check(
    typeof randomState === 'number' && Number.isInteger(randomState) && randomState >= 0 && randomState <= 0xffffffff,
    'randomState',
    'an integer in [0, 2**32 - 1], a RandomState or undefined',
    randomState,
  );
  return new RandomState(randomState);
}
