/**
 * The arithmetic of tfjs 4.22's SGD, Momentum, Adam, RMSProp, Adagrad, Adadelta and Adamax
 * `applyGradients` for one variable, as
 * float32 loops over typed arrays (the cpu backend's fused optimizer update; the wasm backend runs
 * the SIMD twins in update-kernels.wat). Every op is rounded to float32 with `Math.fround`, in the
 * order tfjs's kernels apply them, so the results are bit-identical to tfjs's chain of kernels
 * (float64 holds every float32 sum, product, quotient and square root before one rounding, so
 * rounding the float64 result gives the correctly rounded float32 result).
 *
 * Inputs and outputs may be the same array (in place): each element is read before it is written.
 *
 * `gs` (last argument, default 1): a clip folded into the update (issue 15): each gradient element
 * is read as `f(g[i] * gs)`, exactly what the clipping `scale` kernel would have written, so a
 * folded step is bit-identical to scale-then-update (`g * 1` is `g`).
 */

const f = Math.fround;

/** SGD: `wOut = c * g + wIn`, with `c = -learningRate` as a float32. */
export function sgdLoop(wIn: Float32Array, wOut: Float32Array, g: Float32Array, c: number, gs = 1): void {
  for (let i = 0; i < wIn.length; ++i) wOut[i] = f(f(c * f(g[i] * gs)) + wIn[i]);
}

/**
 * Momentum: `a = m * a + g`, then `w = c * a + w`, or with Nesterov `w = c * (g + a * m) + w`
 * (`c = -learningRate`, `m = momentum`, both float32).
 */
export function momentumLoop(
  wIn: Float32Array,
  wOut: Float32Array,
  g: Float32Array,
  aIn: Float32Array,
  aOut: Float32Array,
  m: number,
  c: number,
  nesterov: boolean,
  gs = 1,
): void {
  for (let i = 0; i < wIn.length; ++i) {
    const gi = f(g[i] * gs);
    const a = f(f(m * aIn[i]) + gi);
    aOut[i] = a;
    const step = nesterov ? f(gi + f(a * m)) : a;
    wOut[i] = f(f(c * step) + wIn[i]);
  }
}

/** Adam's float32 constants for one step (see {@link adamLoop}). */
export interface AdamConstants {
  beta1: number;
  /** `1 - beta1` (rounded once, as tfjs's `mul(gradient, 1 - beta1)` scalar). */
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** `1 - beta1^t` in float32 (tfjs: `sub(1, beta1^t)`). */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  epsilon: number;
  /** `-learningRate`. */
  negLr: number;
}

/**
 * Adam: `m = m * b1 + g * (1 - b1)`; `v = v * b2 + g² * (1 - b2)`;
 * `w = ((m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)) * -lr + w`.
 */
export function adamLoop(
  wIn: Float32Array,
  wOut: Float32Array,
  g: Float32Array,
  mIn: Float32Array,
  mOut: Float32Array,
  vIn: Float32Array,
  vOut: Float32Array,
  k: AdamConstants,
  gs = 1,
): void {
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, oneMinusAccBeta1, oneMinusAccBeta2, epsilon, negLr } = k;
  for (let i = 0; i < wIn.length; ++i) {
    const gi = f(g[i] * gs);
    const m = f(f(mIn[i] * beta1) + f(gi * oneMinusBeta1));
    const v = f(f(vIn[i] * beta2) + f(f(gi * gi) * oneMinusBeta2));
    mOut[i] = m;
    vOut[i] = v;
    const mHat = f(m / oneMinusAccBeta1);
    const vHat = f(v / oneMinusAccBeta2);
    wOut[i] = f(f(f(mHat / f(f(Math.sqrt(vHat)) + epsilon)) * negLr) + wIn[i]);
  }
}

/** RMSProp's float32 constants for one step (see {@link rmspropLoop}). */
export interface RmspropConstants {
  decay: number;
  /** `1 - decay`, rounded once. */
  oneMinusDecay: number;
  learningRate: number;
  momentum: number;
  epsilon: number;
}

/**
 * RMSProp: `s = s * decay + g² * (1 - decay)`; centered: `mg = mg * decay + g * (1 - decay)` and
 * `d = (g * lr) / sqrt(s - (mg² + eps))`, else `d = (g * lr) / sqrt(s + eps)`;
 * `a = a * momentum + d`; `w = w - a`. `mgIn`/`mgOut` are null when not centered.
 */
export function rmspropLoop(
  wIn: Float32Array,
  wOut: Float32Array,
  g: Float32Array,
  sIn: Float32Array,
  sOut: Float32Array,
  aIn: Float32Array,
  aOut: Float32Array,
  mgIn: Float32Array | null,
  mgOut: Float32Array | null,
  k: RmspropConstants,
  gs = 1,
): void {
  const { decay, oneMinusDecay, learningRate, momentum, epsilon } = k;
  for (let i = 0; i < wIn.length; ++i) {
    const gi = f(g[i] * gs);
    const s = f(f(sIn[i] * decay) + f(f(gi * gi) * oneMinusDecay));
    sOut[i] = s;
    let den: number;
    if (mgIn != null && mgOut != null) {
      const mg = f(f(mgIn[i] * decay) + f(gi * oneMinusDecay));
      mgOut[i] = mg;
      den = f(s - f(f(mg * mg) + epsilon));
    } else {
      den = f(s + epsilon);
    }
    const a = f(f(aIn[i] * momentum) + f(f(gi * learningRate) / f(Math.sqrt(den))));
    aOut[i] = a;
    wOut[i] = f(wIn[i] - a);
  }
}

/** Adagrad: `acc = acc + g²`; `w = (g / sqrt(acc + eps)) * -lr + w` (`eps` = the backend's epsilon). */
export function adagradLoop(wIn: Float32Array, wOut: Float32Array, g: Float32Array, accIn: Float32Array, accOut: Float32Array, epsilon: number, negLr: number, gs = 1): void {
  for (let i = 0; i < wIn.length; ++i) {
    const gi = f(g[i] * gs);
    const acc = f(accIn[i] + f(gi * gi));
    accOut[i] = acc;
    wOut[i] = f(f(f(gi / f(Math.sqrt(f(acc + epsilon)))) * negLr) + wIn[i]);
  }
}

/**
 * Adadelta, as tfjs 4.22 computes it (the update is scaled by the accumulated gradient from
 * *before* this step): `u = (sqrt(au + eps) / sqrt(ag + eps)) * g`; `ag = ag * rho + g² * (1 - rho)`;
 * `au = au * rho + u² * (1 - rho)`; `w = u * -lr + w`.
 */
export function adadeltaLoop(
  wIn: Float32Array,
  wOut: Float32Array,
  g: Float32Array,
  agIn: Float32Array,
  agOut: Float32Array,
  auIn: Float32Array,
  auOut: Float32Array,
  rho: number,
  oneMinusRho: number,
  epsilon: number,
  negLr: number,
  gs = 1,
): void {
  for (let i = 0; i < wIn.length; ++i) {
    const gi = f(g[i] * gs);
    const ag = agIn[i];
    const au = auIn[i];
    const u = f(f(f(Math.sqrt(f(au + epsilon))) / f(Math.sqrt(f(ag + epsilon)))) * gi);
    agOut[i] = f(f(ag * rho) + f(f(gi * gi) * oneMinusRho));
    auOut[i] = f(f(au * rho) + f(f(u * u) * oneMinusRho));
    wOut[i] = f(f(u * negLr) + wIn[i]);
  }
}

/**
 * Adamax: `m = m * b1 + g * (1 - b1)`; `u = max(u * b2, |g|)` (the cpu backend's `Math.max`: NaN
 * from either side); `w = k * (m / (u + eps)) + w`, with `k = lr_t / (1 - b1^t)` from the caller.
 */
export function adamaxLoop(
  wIn: Float32Array,
  wOut: Float32Array,
  g: Float32Array,
  mIn: Float32Array,
  mOut: Float32Array,
  uIn: Float32Array,
  uOut: Float32Array,
  beta1: number,
  oneMinusBeta1: number,
  beta2: number,
  epsilon: number,
  k: number,
  gs = 1,
): void {
  for (let i = 0; i < wIn.length; ++i) {
    const gi = f(g[i] * gs);
    const m = f(f(mIn[i] * beta1) + f(gi * oneMinusBeta1));
    const u = Math.max(f(uIn[i] * beta2), Math.abs(gi));
    mOut[i] = m;
    uOut[i] = u;
    wOut[i] = f(f(k * f(m / f(u + epsilon))) + wIn[i]);
  }
}
