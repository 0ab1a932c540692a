/**
 * `ClippedOptimizer`: wraps any `tf.Optimizer`, clips gradients in `applyGradients` with Keras 3
 * semantics, then delegates to the inner optimizer. Works in `model.fit`, `fitDataset`,
 * `trainOnBatch` (they call `minimize`, which calls `applyGradients`) and in custom loops.
 *
 * One step is a pipeline of small stages, each in its own module: the gradients' inspection
 * (step-input.ts), the clip and its measurements (clip-step.ts), the `nonFinite` policy and step
 * gates (step-decision.ts), the transform (transform-step.ts), the update (update-step.ts), and
 * the statistics (step-stats.ts), kept only while something asked for them (stats-recorder.ts).
 * Saving and loading: serialization.ts.
 *
 * Registers itself with `tf.serialization` on import, so `model.save(…, {includeOptimizer: true})`
 * and `tf.loadLayersModel` round-trip it.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatValue, isFiniteNumber, received } from '../errors.js';
import { flattenGrads, type FlatGrads, type NamedTensor } from '../core/grad-forms.js';
import { PACKED } from '../core/fast/fused-kernels.js';
import { nextTensorId as tfjsNextTensorId, registeredVariable } from '../internals/tfjs-internals.js';
import type { GradientTransformation } from '../transforms/types.js';
import { warnIfFloat16 } from '../core/float16.js';
import { resolveClippingOptions, type ClippingOptions, type ResolvedClippingOptions } from './clipping-options.js';
import { clipStep, inPlaceTargets } from './clip-step.js';
import { clippedOptimizerConfig, parseClippedOptimizerConfig, readTransformState, transformStateWeight } from './serialization.js';
import { decideStep, decisionNeedsNorm, type StepDecision, type StepGate } from './step-decision.js';
import { inspectGradients } from './step-input.js';
import { PackedStepStats, measureTransformed, readStepStats, type StatsOptions, type StepStats, type StepStatsTensors, type TransformMeasurement } from './step-stats.js';
import { StatsRecorder } from './stats-recorder.js';
import { runTransform, type TransformStepResult } from './transform-step.js';
import { applyUpdate, snapshotWeights, updateRatios, weightDecayFactor } from './update-step.js';
import { foldableInto } from './fused-update.js';

export { readStepStats, type StatsOptions, type StepStats, type StepStatsTensors, type VariableStats } from './step-stats.js';
export type { StepGate, StepGateInfo } from './step-decision.js';

/** Internal shape of the built-in optimizers that gradclip touches (tfjs keeps these protected). */
interface InnerOptimizer extends tf.Optimizer {
  learningRate?: number;
  setLearningRate?: (lr: number) => void;
}

const NOT_AN_OPTIMIZER = 'must be a tf.Optimizer (e.g. tf.train.adam()) with minimize, computeGradients and applyGradients';

/**
 * A `tf.Optimizer` that clips gradients before its inner optimizer applies them.
 * Build it with {@link withClipping} or a factory such as `adam({ clipnorm: 1 })`.
 */
export class ClippedOptimizer extends tf.Optimizer {
  /** Serialization name (unique, no underscore: tfjs looks classes up by this bare name). */
  static get className(): string {
    return 'ClippedOptimizer';
  }

  /** The wrapped optimizer. */
  readonly inner: tf.Optimizer;
  /** The validated clipping options. */
  readonly options: Readonly<ResolvedClippingOptions>;
  /** Steps not applied because their gradient norm was not finite (`nonFinite: 'skip'`). */
  skippedSteps = 0;

  private readonly recorder = new StatsRecorder();
  private readonly gates: StepGate[] = [];
  /** The transform's state (plain data), initialised on the first step. */
  private transformState: unknown = undefined;
  private steps = 0;
  private warnedMissing = false;

  constructor(inner: tf.Optimizer, options: ClippingOptions = {}) {
    super();
    if (!(inner instanceof tf.Optimizer)) {
      throw new ValueError(`\`optimizer\` ${NOT_AN_OPTIMIZER}. Received: optimizer=${formatValue(inner)}`);
    }
    this.inner = inner;
    this.options = Object.freeze(resolveClippingOptions(options));
    const lr = (inner as InnerOptimizer).learningRate;
    if (this.options.weightDecay > 0 && !isFiniteNumber(lr)) {
      throw new ValueError(
        "`weightDecay` needs the inner optimizer's learning rate: `optimizer.learningRate` must be a finite number " +
          `(every tf.train optimizer has one). ${received({ weightDecay: this.options.weightDecay, learningRate: lr })}`,
      );
    }
  }

  /**
   * Clips the gradients, records the step's statistics (when asked, see {@link enableStats}), then
   * calls the inner `applyGradients` with the same form (array or map), order and holes. The
   * caller's gradient tensors are not disposed (`minimize` does that); the wrapper disposes only its
   * own clipped copies.
   *
   * With `nonFinite: 'error'` or `'skip'`, nothing reaches the inner optimizer when the gradient
   * norm is not finite.
   *
   * Missing gradients (Keras 3 `apply`): variables whose gradient is null/undefined are left out
   * (with a one-time warning). When every gradient is missing it throws
   * `ValueError: No gradients provided for any variable: ["a", "b"]. …` before changing anything
   * (weights, slots, iterations, stats). No gradients at all (`{}` or `[]`) is a no-op that does
   * not count an iteration (Keras 3: "`apply_gradients` is a no-op"; a bare tfjs optimizer would
   * count one). `minimize` and `fit` never get that far when the loss reaches no variable: tfjs's
   * `variableGrads` throws first ("Cannot find a connection between any variable and the result
   * of the loss function"), also before any change.
   *
   * @throws ValueError when every gradient is null or undefined.
   */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    warnIfFloat16(this.inner);
    this.applyStep(variableGradients, null);
  }

  /**
   * Same as `tf.Optimizer.minimize`, but the step also sees its loss (for {@link StepGate}s such
   * as the loss-spike detector's skip action). `fit`, `fitDataset` and `trainOnBatch` call this.
   */
  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    warnIfFloat16(this.inner);
    const firstId = nextTensorId();
    const { value, grads } = this.computeGradients(f, varList);
    try {
      const g = varList != null ? varList.map((v) => ({ name: v.name, tensor: grads[v.name] })) : grads;
      // The gradients are this call's own temporaries (disposed below): they may be clipped in place.
      this.applyStep(g, value, firstId);
    } catch (err) {
      value.dispose();
      throw err;
    } finally {
      tf.dispose(grads);
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /** Adds a {@link StepGate}; returns a function that removes it. */
  addStepGate(gate: StepGate): () => void {
    this.gates.push(gate);
    return () => {
      const i = this.gates.indexOf(gate);
      if (i >= 0) this.gates.splice(i, 1);
    };
  }

  /**
   * Asks for statistics: from the next step on, each step records the base statistics (global
   * norm before and after clipping, clip flag, non-finite count, skipped) as tensors kept on the
   * device until the next step ({@link lastStats}, {@link readLastStats}), plus the optional ones
   * in `options` (none adds a host sync). Without any request nothing is recorded and the wrapper
   * keeps no tensor between steps. Requests are counted, so several callbacks can ask; the
   * returned function withdraws this request (idempotent). When the last request goes, the kept
   * statistics are disposed (read them first), and the kept gradients when the last
   * `keepGradients` request goes. gradclip's monitoring callbacks ask for themselves.
   *
   * @param options - `perVariable`, `updateRatios`, `keepGradients` (see {@link StatsOptions}); none for the base statistics only.
   * @returns a function that withdraws the request.
   * @throws ValueError when `options` is not an object or has an unknown key.
   * @example
   * ```ts
   * const release = opt.enableStats({ perVariable: true });
   * await model.fit(x, y);
   * (await opt.readLastStats())?.variables; //=> [{ name: 'dense_Dense1/kernel', gradNorm: 0.12, … }, …]
   * release();
   * ```
   */
  enableStats(options: StatsOptions = {}): () => void {
    return this.recorder.request(options);
  }

  /** Which optional statistics are on now. */
  get statsEnabled(): Required<StatsOptions> {
    return this.recorder.enabled;
  }

  /** Whether the next step records statistics (something asked with {@link enableStats}). */
  get statsRecording(): boolean {
    return this.recorder.recording;
  }

  /**
   * The last step's gradients before clipping (only while `keepGradients` is enabled; owned by the
   * optimizer, do not dispose; replaced at the next step).
   */
  get lastGradients(): readonly NamedTensor[] | null {
    return this.recorder.keptGradients;
  }

  /**
   * One step, as a pipeline: inspect the gradients, clip and measure, decide (policy and gates),
   * transform, update, record. `ownFrom` is set only by {@link minimize}: the id of the first
   * tensor its `computeGradients` could make. Then gradients made by that call (id >= ownFrom) are
   * this wrapper's temporaries, and the fused kernel may clip those whose data nothing else shares
   * in place instead of copying them (bit-identical; see `inPlaceBlockers`). Never for the
   * caller's tensors of a public `applyGradients`, nor when the pre-clip gradients are still
   * needed afterwards (`keepGradients`, a transform).
   */
  private applyStep(variableGradients: tf.NamedTensorMap | NamedTensor[], loss: tf.Scalar | null, ownFrom: number | null = null): void {
    const flat = flattenGrads(variableGradients, 'variableGradients');
    const input = inspectGradients(flat, ownFrom);
    if (input == null) return; // Keras 3: no gradients at all is a no-op
    if (input.missing.length > 0) this.warnMissing(input.missing);
    const step = this.steps + 1;
    const want = this.recorder.plan();
    const variables = want.perVariable || want.updateRatios ? input.presentNames.map(lookupVariable) : null;
    const clip = clipStep(flat.list, this.options, {
      inPlace: inPlaceTargets(input.allOwn && !want.keepGradients && this.options.transform == null, flat.names, lookupVariable),
      measure: want.record || decisionNeedsNorm(this.options.nonFinite, this.gates),
      gradNorms: want.perVariable,
      weightNormsOf: variables,
      fold: this.foldsClip(flat, want.record),
    });
    // What dies with the step however it ends, and what the statistics take (an error disposes it).
    const temps = [...clip.copies, want.record ? null : clip.packed, want.perVariable ? null : clip.weightNorms];
    const stats = { packed: clip.packed as tf.Tensor1D, gradNorms: clip.gradNorms, weightNorms: want.perVariable ? clip.weightNorms : null };
    const forStats: (tf.Tensor | null)[] = [want.record ? clip.packed : null, stats.gradNorms, stats.weightNorms];
    try {
      const decision = this.decide(step, clip.packed, loss);
      if (decision.action === 'throw') throw decision.error;
      this.steps = step;
      const t = decision.action === 'apply' && this.options.transform != null ? this.transformStep(flat, loss, want.record) : null;
      temps.push(...(t?.own ?? []));
      forStats.push(t?.measured?.sumOfSquares ?? null);
      const skipped = decision.action === 'skip' || t?.skip === true;
      if (skipped) this.skippedSteps += 1;
      const before = want.updateRatios && !skipped ? snapshotWeights(variables ?? []) : null;
      temps.push(...(before ?? []));
      if (!skipped) {
        const decay = weightDecayFactor(this.options.weightDecay, this.learningRate);
        applyUpdate(this.inner, flat, t?.grads ?? clip.grads, decay, lookupVariable, t == null ? clip.fold : (t.fold ?? null));
      }
      const ratios = want.updateRatios ? updateRatios(variables ?? [], before, clip.weightNorms as tf.Tensor1D) : null;
      forStats.push(ratios);
      if (want.keepGradients) this.recorder.keepGradients(clonePresent(flat));
      const record = { ...stats, skipped, step, variableNames: input.presentNames, updateRatios: ratios, transformed: t?.measured };
      this.recorder.commit(want.record ? new PackedStepStats(record) : null);
    } catch (err) {
      tf.dispose(forStats.filter((x): x is tf.Tensor => x != null));
      throw err;
    } finally {
      tf.dispose(temps.filter((x): x is tf.Tensor => x != null));
    }
  }

  /**
   * Whether this step leaves its clip to the fused update (issue 15: one pass over the gradients
   * fewer, same bits): no transform, gradients keyed by name, the fused update can take the inner
   * optimizer, and for a value clip no statistics (its post-clip norm would need the clamped values).
   */
  private foldsClip(flat: FlatGrads, recording: boolean): boolean {
    if (this.options.transform != null || (flat.form !== 'named' && flat.form !== 'map')) return false;
    if (this.options.clipvalue != null && recording) return false;
    return foldableInto(this.inner);
  }

  /** The `nonFinite` policy and the step gates on this step (reading the norm and loss only when they need them). */
  private decide(step: number, packed: tf.Tensor1D | null, loss: tf.Scalar | null): StepDecision {
    return decideStep({
      step,
      policy: this.options.nonFinite,
      gates: this.gates,
      globalNorm: () => (packed as tf.Tensor1D).dataSync()[PACKED.globalNorm],
      loss: () => (loss == null ? null : loss.dataSync()[0]),
    });
  }

  /**
   * Runs the configured transform on this step's gradients, with the variables' current values as
   * `params` and the loss when known; keeps the new state. With `measure`, an applied step's
   * gradients are also measured for the statistics. Returned tensors are owned by the caller.
   */
  private transformStep(flat: FlatGrads, loss: tf.Scalar | null, measure: boolean): TransformStepResult & { measured: TransformMeasurement | null } {
    const transform = this.options.transform as GradientTransformation<unknown>;
    const params = flat.names.map((name) => ({ name, tensor: lookupVariable(name) })) as NamedTensor[];
    if (this.transformState === undefined) this.transformState = transform.init(params);
    // A per-tensor scaling (transform.scaleFactors) folds into the fused update like a clip, unless
    // the statistics measure the transformed gradients (which folding never writes).
    const fold = transform.scaleFactors != null && !measure && (flat.form === 'named' || flat.form === 'map') && foldableInto(this.inner);
    const t = runTransform(transform, this.transformState, flat, params, loss, fold);
    this.transformState = t.state;
    return { ...t, measured: measure && !t.skip ? measureTransformed(t.own) : null };
  }

  /**
   * The transform's current state (plain data), or undefined before the first step / without a
   * transform. Adaptive transforms record what their last step did there, e.g.
   * `transforms.adaGC`'s `lastPhase`, `lastClipped`, `lastClippedFraction` and `gamma`, and
   * `transforms.zClip`'s `lastNorm` and `lastClip`: read it in a callback's `onBatchEnd`.
   */
  get transformStateValue(): unknown {
    return this.transformState;
  }

  /**
   * The last step's statistics as device tensors (owned by the optimizer; do not dispose), or null
   * when that step recorded none (nothing had asked with {@link enableStats}).
   */
  get lastStats(): StepStatsTensors | null {
    return this.recorder.current;
  }

  /**
   * Reads the last step's statistics (awaits the device; never call it inside the step), or null
   * when that step recorded none: statistics are recorded only while something asked for them
   * ({@link enableStats}, or one of gradclip's monitoring callbacks during `fit`).
   *
   * @example
   * ```ts
   * const release = opt.enableStats();
   * opt.minimize(loss);
   * (await opt.readLastStats())?.globalNorm; //=> 3.1
   * release();
   * ```
   */
  async readLastStats(): Promise<StepStats | null> {
    const s = this.recorder.current;
    return s == null ? null : readStepStats(s);
  }

  private warnMissing(missing: readonly string[]): void {
    if (this.warnedMissing) return;
    this.warnedMissing = true;
    console.warn(
      `gradclip: Gradients do not exist for variables [${missing.join(', ')}] when minimizing the loss. ` +
        'They are left out of clipping and of the global norm.',
    );
  }

  override get iterations(): number {
    return this.inner.iterations;
  }

  /** The inner optimizer's learning rate. */
  get learningRate(): number | undefined {
    return (this.inner as InnerOptimizer).learningRate;
  }

  /** Sets the inner learning rate (through `setLearningRate` for SGD/Momentum, which cache `-lr`). */
  set learningRate(lr: number | undefined) {
    const inner = this.inner as InnerOptimizer;
    if (typeof inner.setLearningRate === 'function') inner.setLearningRate(lr as number);
    else inner.learningRate = lr;
  }

  /** Same as setting {@link learningRate}. */
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }

  override computeGradients(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    return this.inner.computeGradients(f, varList);
  }

  /** The inner optimizer's weights, plus the transform's state (as UTF-8 JSON bytes) when there is one. */
  override async getWeights(): Promise<NamedTensor[]> {
    const weights = await this.inner.getWeights();
    if (this.options.transform != null && this.transformState !== undefined) weights.push(transformStateWeight(this.transformState));
    return weights;
  }

  /** Restores the inner optimizer's weights and, when present, the transform's state. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const { found, state, rest } = await readTransformState(weightValues);
    if (found) this.transformState = state;
    await this.inner.setWeights(rest);
  }

  override async saveIterations(): Promise<NamedTensor> {
    return this.inner.saveIterations();
  }

  /** Disposes the inner optimizer, the kept statistics and the kept gradients. */
  override dispose(): void {
    this.inner.dispose();
    this.recorder.dispose();
  }

  getConfig(): tf.serialization.ConfigDict {
    return clippedOptimizerConfig(this.inner, this.options);
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { inner, options } = parseClippedOptimizerConfig(config);
    return new (cls as unknown as new (i: tf.Optimizer, o: ClippingOptions) => T)(inner, options);
  }
}

// tf.Optimizer defines Symbol.hasInstance by duck typing, which ClippedOptimizer would inherit
// (every optimizer would pass `instanceof ClippedOptimizer`): check the prototype chain instead.
Object.defineProperty(ClippedOptimizer, Symbol.hasInstance, {
  value: (x: unknown) => x != null && Object.prototype.isPrototypeOf.call(ClippedOptimizer.prototype, x),
});

tf.serialization.registerClass(ClippedOptimizer);

/**
 * The id the next tensor will get (read through internals/tfjs-internals.ts), or +Infinity where
 * it cannot be read (then no gradient counts as made by `minimize`: no in place).
 */
function nextTensorId(): number {
  return tfjsNextTensorId();
}

/** The registered variable of a gradient name (null when the gradients were not keyed by variable name). */
function lookupVariable(name: string): tf.Variable | null {
  return registeredVariable(name) ?? null;
}

/** Copies of the present gradients, by name (for `keepGradients`). */
function clonePresent(flat: FlatGrads): NamedTensor[] {
  const kept: NamedTensor[] = [];
  flat.list.forEach((g, i) => {
    if (g != null) kept.push({ name: flat.names[i], tensor: tf.clone(g) });
  });
  return kept;
}

/**
 * Wraps an optimizer so that it clips gradients the way Keras 3's `clipnorm`, `clipvalue` and
 * `global_clipnorm` do. With no clipping option it is the inner optimizer (bit for bit, and
 * tensor for tensor in `tf.memory()`), with gradient statistics on request (`enableStats`).
 *
 * - `clipnorm`: each gradient is clipped to this L2 norm on its own (Keras 3 semantics; PyTorch's
 *   `clip_grad_norm_` is global — use `globalClipnorm` for that).
 * - `clipvalue`: every entry is clamped to `[-clipvalue, clipvalue]`.
 * - `globalClipnorm`: all gradients are scaled together so that their global norm is at most this.
 * - `nonFinite`: `'propagate'` (default), `'error'` or `'skip'`.
 * - `transform`: a gradient transformation (`transforms.*`) instead of the three options above.
 * - `weightDecay`: decoupled weight decay, `w ← w·(1 − lr·weightDecay)` before each applied step
 *   (PyTorch `AdamW`'s formula, Keras 3's `weight_decay`); combines with any of the above.
 *
 * At most one clipping option may be set; each must be a finite number > 0 (`weightDecay` >= 0).
 * Options are checked here, not during training.
 *
 * @param optimizer Any `tf.Optimizer` (all 7 built-ins work).
 * @param options Clipping options.
 * @returns A {@link ClippedOptimizer} to pass to `model.compile` or use in a custom loop.
 * @throws ValueError for bad options, with every value received.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { withClipping } from 'gradclip';
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
 * model.compile({ optimizer: withClipping(tf.train.adam(0.01), { clipnorm: 1 }), loss: 'meanSquaredError' });
 * // AdaGC + AdamW (the AdaGC paper's setup; pass Adam's epsilon, tfjs defaults it to 1e-7):
 * const adagcAdamW = withClipping(tf.train.adam(1e-3, 0.9, 0.999, 1e-8), { transform: { name: 'adaGC', args: [{}] }, weightDecay: 0.1 });
 * ```
 */
export function withClipping(
  optimizer: tf.Optimizer,
  options: ClippingOptions | GradientTransformation<any> = {},
): ClippedOptimizer {
  const o = options as GradientTransformation<any>;
  if (o != null && typeof o.init === 'function' && typeof o.update === 'function') {
    return new ClippedOptimizer(optimizer, { transform: o });
  }
  return new ClippedOptimizer(optimizer, options as ClippingOptions);
}
