/** A built-in CIFAR-shaped stand-in for runs with no real images (browser-safe). */
import { check, checkInteger, checkOneOf } from 'gradclip/errors';
import { RandomState } from './random-state.js';
import { CIFAR_CHANNELS, CIFAR_SIZE, scaler, type CifarNormalization, type CifarSplit } from './cifar-records.js';

/** Options of {@link syntheticCifarLike}. */
export interface SyntheticCifarOptions {
  /** Number of images, an integer >= 1. */
  n: number;
  /** Seed (integer in [0, 2**32 - 1]); the class templates depend on it too. */
  seed: number;
  /** Pixel scaling, as for real data. Default `'unit'`. */
  normalize?: CifarNormalization;
  /** Standard deviation of the per-pixel noise, in [0, 1] units. Default 0.2. */
  noise?: number;
}

/**
 * Built-in CIFAR-shaped data (32x32x3 NHWC, 10 classes) for runs with no real copy of CIFAR-10.
 *
 * Each class has a template: a base colour plus three random low-frequency colour waves. An image is
 * its class template, randomly shifted by up to 4 pixels (wrapping) and brightened or darkened,
 * plus Gaussian pixel noise, clipped to [0, 1] and quantized to bytes like a real image, then
 * normalized. A small CNN (or even a nearest-template classifier) can learn it, but not instantly,
 * so gradients behave like a real image task rather than a toy.
 * Labels are balanced (`i % 10`) and shuffled. Everything comes from `RandomState(seed)`.
 *
 * @param options - `{ n, seed, normalize?, noise? }`.
 * @returns `{ images, labels, count }`.
 * @throws ValueError for a bad `n`, `seed`, `noise` or `normalize`.
 * @example
 * ```ts
 * const { images, labels, count } = syntheticCifarLike({ n: 1000, seed: 0 });
 * images.length; //=> 3072000
 * ```
 */
export function syntheticCifarLike(options: SyntheticCifarOptions): CifarSplit {
  check(typeof options === 'object' && options !== null, 'options', 'an object { n, seed }', options);
  const { n, seed, normalize = 'unit', noise = 0.2 } = options;
  checkInteger('n', n, 1);
  check(Number.isFinite(noise) && noise >= 0 && noise <= 1, 'noise', 'a number in [0, 1]', noise);
  checkOneOf('normalize', normalize, ['unit', 'symmetric'] as const);
  const rs = new RandomState(seed);
  const S = CIFAR_SIZE;
  const C = CIFAR_CHANNELS;
  // Class templates, HWC in [0, 1].
  const templates: Float32Array[] = [];
  for (let k = 0; k < 10; k++) {
    const t = new Float32Array(S * S * C);
    const base = [0, 1, 2].map(() => rs.uniform(0.25, 0.75));
    const waves = [0, 1, 2].map(() => ({
      fx: rs.randint(0, 4),
      fy: rs.randint(0, 4),
      phase: rs.uniform(0, 2 * Math.PI),
      amp: [0, 1, 2].map(() => rs.uniform(-0.25, 0.25)),
    }));
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        for (let c = 0; c < C; c++) {
          let v = base[c];
          for (const w of waves) v += w.amp[c] * Math.sin((2 * Math.PI * (w.fx * x + w.fy * y)) / S + w.phase);
          t[(y * S + x) * C + c] = v;
        }
      }
    }
    templates.push(t);
  }
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % 10;
  rs.shuffle(labels);
  const images = new Float32Array(n * S * S * C);
  const f = scaler(normalize);
  for (let i = 0; i < n; i++) {
    const t = templates[labels[i]];
    const dx = rs.randint(-4, 5);
    const dy = rs.randint(-4, 5);
    const gain = rs.uniform(0.8, 1.2);
    const out = i * S * S * C;
    for (let y = 0; y < S; y++) {
      const sy = (y + dy + S) % S;
      for (let x = 0; x < S; x++) {
        const sx = (x + dx + S) % S;
        for (let c = 0; c < C; c++) {
          const v = t[(sy * S + sx) * C + c] * gain + noise * rs.standardNormal();
          const byte = Math.round(Math.min(1, Math.max(0, v)) * 255);
          images[out + (y * S + x) * C + c] = f(byte);
        }
      }
    }
  }
  return { images, labels, count: n };
}
