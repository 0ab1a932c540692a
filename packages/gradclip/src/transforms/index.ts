/**
 * Gradient transformations in the style of optax: pure `{ init, update }` pairs with explicit,
 * serialisable state, composed with `chain`. Re-exports only.
 */
export type { GradientTransformation, UpdateResult, UpdateExtra, StateOf } from './types.js';
export { chain, type ChainState } from './chain.js';
export { serializeState, deserializeState } from './serialize-state.js';
export { NO_PARAMS_MSG } from './align-params.js';
export { clipByValue, type ClipByValueState } from './clip-by-value.js';
export { clipByGlobalNorm, type ClipByGlobalNormState } from './clip-by-global-norm.js';
export { clipByBlockRms, type ClipByBlockRmsState } from './clip-by-block-rms.js';
export { unitwiseNorm, unitwiseAxes } from './unitwise-norm.js';
export { adaptiveGradClip, type AdaptiveGradClipOptions, type AdaptiveGradClipState, type Axes } from './adaptive-grad-clip.js';
export { percentile } from './percentile.js';
export { autoClip, type AutoClipOptions, type AutoClipState } from './auto-clip.js';
export { zClip, type ZClipOptions, type ZClipState } from './z-clip.js';
export { adaGC, type AdaGCOptions, type AdaGCState } from './ada-gc.js';
export { zeroNans, type ZeroNansState } from './zero-nans.js';
export { applyIfFinite, type ApplyIfFiniteOptions, type ApplyIfFiniteState } from './apply-if-finite.js';
export { skipOnSpike, type SkipOnSpikeOptions, type SkipOnSpikeState } from './skip-on-spike.js';
export { perExampleGlobalNormClip } from './per-example-global-norm-clip.js';
export { fromSpec, isTransformSpec, type TransformSpec, type TransformName } from './from-spec.js';
