/**
 * `ClippedOptimizer`: wraps any `tf.Optimizer`, clips gradients in `applyGradients` with Keras 3
 * semantics, then delegates to the inner optimizer. Works in `model.fit`, `fitDataset`,
 * `trainOnBatch` (they call `minimize`, which calls `applyGradients`) and in custom loops.
 *
 * Registers itself with `tf.serialization` on import, so `model.save(…, {includeOptimizer: true})`
 * and `tf.loadLayersModel` round-trip it.
 */
import * as tf from '@tensorflow/tfjs';
import { NonFiniteError, ValueError, formatValue, isFiniteNumber, received } from '../errors.js';
import { flattenGrads, type FlatGrads, type MaybeTensor, type NamedTensor } from '../core/grad-forms.js';
import { kerasClipGradientsPacked, packedStat, packedSumsOfSquares, unpackStats } from '../core/keras-clip-gradients.js';
import { PACKED } from '../core/fast/fused-kernels.js';
import { inPlaceEnabled } from '../core/fast/fast-path.js';
import { applyFusedUpdate } from './fused-update.js';
import { sumOfSquares, totalSumOfSquares } from '../core/sum-of-squares.js';
import type { GradientTransformation } from '../transforms/types.js';
import type { TransformSpec } from '../transforms/from-spec.js';
import { deserializeState, serializeState } from '../transforms/serialize-state.js';
import { warnIfFloat16 } from '../core/float16.js';

/** Name of the extra optimizer weight that carries a transform's state through model.save. */
const TRANSFORM_STATE_WEIGHT = 'gradclip/transformState';
import { resolveClippingOptions, type ClippingOptions, type ResolvedClippingOptions } from './clipping-options.js';

/** Per-step statistics, kept as tensors on the device until someone reads them. */
export interface StepStatsTensors {
  /** Global L2 norm of the gradients before clipping. */
  readonly globalNorm: tf.Scalar;
  /** Global L2 norm of what was handed to the inner optimizer (0 when the step was skipped). */
  readonly clippedNorm: tf.Scalar;
  /** Bool scalar: clipping changed at least one gradient. */
  readonly clipped: tf.Scalar;
  /** Int32 scalar: number of NaN or ±inf entries in the gradients before clipping. */
  readonly nonFiniteCount: tf.Scalar;
  /** The step was skipped (`nonFinite: 'skip'` or a step gate). */
  readonly skipped: boolean;
  /** 1-based count of `applyGradients` calls on this wrapper when the stats were recorded. */
  readonly step: number;
  /** Names of the variables of the per-variable tensors below (present gradients, in order). */
  readonly variableNames: readonly string[];
  /** Per-variable L2 norms of the gradients before clipping (when `perVariable` stats are enabled). */
  readonly gradNorms: tf.Tensor1D | null;
  /** Per-variable L2 norms of the weights before the update (when `perVariable` stats are enabled). */
  readonly weightNorms: tf.Tensor1D | null;
  /** Per-variable `‖Δw‖ / ‖w‖` of this step's update (when `updateRatios` are enabled; 0 when skipped). */
  readonly updateRatios: tf.Tensor1D | null;
}

/** One variable's statistics in {@link StepStats}. */
export interface VariableStats {
  name: string;
  /** L2 norm of the gradient before clipping. */
  gradNorm: number;
  /** L2 norm of the weight before the update (NaN when `perVariable` stats are off). */
  weightNorm: number;
  /** `‖Δw‖ / ‖w‖` of the update (NaN when `updateRatios` are off; 0 when the step was skipped). */
  updateRatio: number;
}

/** {@link StepStatsTensors} read into numbers. */
export interface StepStats {
  globalNorm: number;
  clippedNorm: number;
  clipped: boolean;
  skipped: boolean;
  step: number;
  /** Number of NaN or ±inf gradient entries before clipping. */
  nonFiniteCount: number;
  /** Per-variable statistics, present when `perVariable` or `updateRatios` stats are enabled. */
  variables?: VariableStats[];
}

/** Optional statistics, all off by default; see {@link ClippedOptimizer.enableStats}. */
export interface StatsOptions {
  /** Per-variable gradient and weight L2 norms (the gradient norms reuse the global norm's terms). */
  perVariable?: boolean;
  /** Per-variable update-to-weight ratios `‖Δw‖ / ‖w‖` (one extra pass over the weights). */
  updateRatios?: boolean;
  /** Keep the last step's gradients (before clipping) for histograms: {@link ClippedOptimizer.lastGradients}. */
  keepGradients?: boolean;
}

/** What a {@link StepGate} sees: numbers read from the device for this step. */
export interface StepGateInfo {
  /** 1-based step count of this wrapper (including skipped steps). */
  step: number;
  /** The loss of this step when known (`minimize`, hence `fit`), else null. */
  loss: number | null;
  /** Global L2 norm of the gradients before clipping. */
  globalNorm: number;
}

/**
 * A per-step check run before the inner optimizer applies the update. Return `true` to skip the
 * step (weights, slots and iterations stay as they were); throw to stop training. Registering a
 * gate makes each step read the loss and the norm on the host.
 */
export type StepGate = (info: StepGateInfo) => boolean | void;

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

  private stats: StepStatsTensors | null = null;
  private keptGrads: NamedTensor[] | null = null;
  private readonly statRequests = { perVariable: 0, updateRatios: 0, keepGradients: 0 };
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
   * Clips the gradients, records the step's statistics, then calls the inner `applyGradients` with
   * the same form (array or map), order and holes. The caller's gradient tensors are not disposed
   * (`minimize` does that); the wrapper disposes only its own clipped copies.
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
   * Turns on optional statistics (all off by default; none adds a host sync). Requests are counted,
   * so several callbacks can ask for the same statistic; the returned function withdraws this
   * request (idempotent), and the kept gradients are disposed when no request for them is left.
   *
   * @param options - `perVariable`, `updateRatios`, `keepGradients` (see {@link StatsOptions}).
   * @returns a function that turns these statistics off again.
   * @example
   * ```ts
   * const release = opt.enableStats({ perVariable: true });
   * await model.fit(x, y);
   * (await opt.readLastStats())?.variables; //=> [{ name: 'dense_Dense1/kernel', gradNorm: 0.12, … }, …]
   * release();
   * ```
   */
  enableStats(options: StatsOptions): () => void {
    if (typeof options !== 'object' || options === null) {
      throw new ValueError(`\`options\` must be an object. Received: options=${formatValue(options)}`);
    }
    const keys = (Object.keys(this.statRequests) as (keyof StatsOptions)[]).filter((k) => options[k] === true);
    for (const key of Object.keys(options)) {
      if (!(key in this.statRequests)) {
        throw new ValueError(`Unknown stats option \`${key}\`. Known options: ${Object.keys(this.statRequests).join(', ')}.`);
      }
    }
    for (const k of keys) this.statRequests[k] += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of keys) this.statRequests[k] -= 1;
      if (this.statRequests.keepGradients === 0) this.setKeptGradients(null);
    };
  }

  /** Which optional statistics are on now. */
  get statsEnabled(): Required<StatsOptions> {
    const r = this.statRequests;
    return { perVariable: r.perVariable > 0, updateRatios: r.updateRatios > 0, keepGradients: r.keepGradients > 0 };
  }

  /**
   * The last step's gradients before clipping (only while `keepGradients` is enabled; owned by the
   * optimizer, do not dispose; replaced at the next step).
   */
  get lastGradients(): readonly NamedTensor[] | null {
    return this.keptGrads;
  }

  /**
   * One step. `ownFrom` is set only by {@link minimize}: the id of the first tensor its
   * `computeGradients` could make. Then gradients made by that call (id >= ownFrom) are this
   * wrapper's temporaries, and the fused kernel may clip those whose data nothing else shares in
   * place instead of copying them (bit-identical; see `inPlaceBlockers`). Never for the caller's
   * tensors of a public `applyGradients`, nor when the pre-clip gradients are still needed
   * afterwards (`keepGradients`, a transform).
   */
  private applyStep(variableGradients: tf.NamedTensorMap | NamedTensor[], loss: tf.Scalar | null, ownFrom: number | null = null): void {
    const flat = flattenGrads(variableGradients, 'variableGradients');
    const step = this.steps + 1;
    const req = this.statRequests;
    const want = { perVariable: req.perVariable > 0, updateRatios: req.updateRatios > 0, keepGradients: req.keepGradients > 0 };
    // One pass over the gradients (this runs every training step): present names, holes, ownership.
    const list = flat.list;
    const presentNames: string[] = [];
    let allOwn = ownFrom != null;
    for (let i = 0; i < list.length; ++i) {
      const g = list[i];
      if (g == null) continue;
      presentNames.push(flat.names[i]);
      if (allOwn && g.id < (ownFrom as number)) allOwn = false;
    }
    // Keras 3 `apply`: no gradients at all is a no-op; all of them missing is an error (before any change).
    if (list.length === 0) return;
    if (presentNames.length === 0) throw new ValueError(noGradientsMessage(flat));
    if (presentNames.length < list.length) this.warnMissing(list, flat.names);
    const inPlace = allOwn && inPlaceEnabled() && !want.keepGradients && this.options.transform == null ? flat.names.map((n) => lookupVariable(n)) : false;
    const variables = want.perVariable || want.updateRatios ? presentNames.map((n) => lookupVariable(n)) : [];
    const perVar = want.perVariable || want.updateRatios;
    // All scalar measurements come packed in one small float32 tensor (one tensor to keep, one
    // download to read); StepStatsTensors' scalars are sliced from it only when someone asks.
    type Result = { grads: tf.Tensor[]; packed: tf.Tensor1D; gradNorms?: tf.Tensor1D; weightNorms?: tf.Tensor1D };
    // Without per-variable stats no tidy scope is needed: the clip makes only what it returns.
    const result: Result = !perVar
      ? (kerasClipGradientsPacked(flat.list, this.options, inPlace) as Result)
      : tf.tidy(() => {
          const r = kerasClipGradientsPacked(flat.list, this.options, inPlace);
          const gradNorms = tf.sqrt(packedSumsOfSquares(r.packed)) as tf.Tensor1D;
          const weightNorms = tf.sqrt(stackScalars(variables.map((v) => (v == null ? tf.scalar(NaN) : sumOfSquares(v))))) as tf.Tensor1D;
          return { grads: r.grads as tf.Tensor[], packed: r.packed, gradNorms, weightNorms };
        });
    const measured: tf.Tensor[] = [result.packed];
    const optional = perVar ? [result.gradNorms as tf.Tensor1D, result.weightNorms as tf.Tensor1D] : [];
    const own = result.grads.filter((g, i) => g != null && g !== flat.list[i]) as tf.Tensor[];
    const policy = this.options.nonFinite;
    let skipped = false;
    if (policy !== 'propagate' || this.gates.length > 0) {
      const norm = result.packed.dataSync()[PACKED.globalNorm];
      if (Number.isFinite(norm) && this.gates.length > 0) {
        const info: StepGateInfo = { step, loss: loss == null ? null : loss.dataSync()[0], globalNorm: norm };
        let skip = false;
        try {
          for (const gate of this.gates) skip = gate(info) === true || skip;
        } catch (err) {
          tf.dispose([...own, ...measured, ...optional]);
          throw err;
        }
        if (skip) {
          tf.dispose(own);
          skipped = true;
          this.skippedSteps += 1;
        }
      } else if (!Number.isFinite(norm) && policy !== 'propagate') {
        tf.dispose(own);
        if (policy === 'error') {
          tf.dispose([...measured, ...optional]);
          throw new NonFiniteError(
            `Non-finite gradient norm at step ${step} (globalNorm=${norm}); weights and optimizer state were not changed. ` +
              "To skip such steps, set `nonFinite: 'skip'`; to apply them anyway, `nonFinite: 'propagate'`.",
          );
        }
        skipped = true;
        this.skippedSteps += 1;
      }
    }
    this.steps = step;
    let applyGrads: MaybeTensor[] = result.grads;
    let transformOwn: tf.Tensor[] = [];
    let transformed: TransformMeasurement | null = null;
    if (!skipped && this.options.transform != null) {
      let t: { grads: MaybeTensor[]; skip: boolean };
      try {
        t = this.runTransform(flat, loss);
      } catch (err) {
        tf.dispose([...own, ...measured, ...optional]);
        throw err;
      }
      transformOwn = t.grads.filter((g): g is tf.Tensor => g != null);
      if (t.skip) {
        tf.dispose([...transformOwn, ...own]);
        transformOwn = [];
        skipped = true;
        this.skippedSteps += 1;
      } else {
        applyGrads = t.grads;
        // One fused kernel here; the norm and the clipped flag are derived from it only when read.
        const post = totalSumOfSquares(transformOwn);
        transformed = { sumOfSquares: post };
        measured.push(post);
      }
    }
    // Old values share their data with the variables (no copy) until assign() swaps it out.
    const before: (tf.Tensor | null)[] | null = want.updateRatios && !skipped ? variables.map((v) => (v == null ? null : (tf.clone(v) as tf.Tensor))) : null;
    if (!skipped) {
      try {
        // The inner tfjs optimizer's step in one pass per variable where that is exact (fused-update.ts).
        const named = flat.form === 'named' || flat.form === 'map';
        const decay = this.weightDecayFactor();
        if (!named || !applyFusedUpdate(this.inner, flat.names, applyGrads, decay)) {
          if (decay !== 1) decayWeights(flat.names, applyGrads, decay);
          this.inner.applyGradients(flat.rebuild(applyGrads));
        }
      } catch (err) {
        tf.dispose([...measured, ...optional]);
        if (before != null) tf.dispose(before.filter((t): t is tf.Tensor => t != null));
        throw err;
      } finally {
        tf.dispose([...own, ...transformOwn]);
      }
    }
    let updateRatios: tf.Tensor1D | null = null;
    if (want.updateRatios) {
      updateRatios = tf.tidy(() => {
        if (before == null) return tf.zeros([presentNames.length]) as tf.Tensor1D;
        const diffs = variables.map((v, i) => (v == null ? tf.scalar(NaN) : tf.sqrt(sumOfSquares(tf.sub(v, before[i] as tf.Tensor)))));
        return tf.div(stackScalars(diffs as tf.Scalar[]), result.weightNorms as tf.Tensor1D) as tf.Tensor1D;
      });
      if (before != null) tf.dispose(before.filter((t): t is tf.Tensor => t != null));
    }
    if (want.keepGradients) {
      const kept: NamedTensor[] = [];
      flat.list.forEach((g, i) => {
        if (g != null) kept.push({ name: flat.names[i], tensor: tf.keep(tf.clone(g)) });
      });
      this.setKeptGradients(kept);
    }
    this.setStats(
      new PackedStepStats(
        result.packed,
        skipped,
        step,
        presentNames,
        want.perVariable ? (result.gradNorms ?? null) : null,
        want.perVariable ? (result.weightNorms ?? null) : null,
        updateRatios,
        transformed,
      ),
    );
    if (!want.perVariable) tf.dispose(optional);
  }

  /**
   * Runs the configured transform on this step's gradients, with the variables' current values as
   * `params` and the loss when known; keeps the new state. Returned tensors are owned by the caller.
   */
  private runTransform(flat: FlatGrads, loss: tf.Scalar | null): { grads: MaybeTensor[]; skip: boolean } {
    const transform = this.options.transform as GradientTransformation<unknown>;
    const params = flat.names.map((name) => ({ name, tensor: lookupVariable(name) })) as NamedTensor[];
    const grads = flat.rebuild(flat.list) as tf.NamedTensorMap | NamedTensor[];
    if (this.transformState === undefined) this.transformState = transform.init(params);
    let state: unknown = this.transformState;
    let skip = false;
    const out = tf.tidy(() => {
      const u = transform.update(grads, this.transformState, params, loss == null ? undefined : { loss });
      state = u.state;
      skip = u.skip === true;
      return { list: flattenGrads(u.grads as tf.NamedTensorMap | NamedTensor[]).list as tf.Tensor[] };
    });
    this.transformState = state;
    return { grads: out.list, skip };
  }

  /**
   * This step's weight-decay factor `1 − lr·wd` as a float32 value, with the inner optimizer's
   * current learning rate (1 without weight decay).
   */
  private weightDecayFactor(): number {
    const wd = this.options.weightDecay;
    if (wd === 0) return 1;
    const lr = (this.inner as InnerOptimizer).learningRate;
    if (!isFiniteNumber(lr)) {
      throw new ValueError(
        `\`weightDecay\` needs a finite learning rate; the inner optimizer's \`learningRate\` is not one. ${received({ weightDecay: wd, learningRate: lr })}`,
      );
    }
    return Math.fround(1 - lr * wd);
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

  /** The last step's statistics as device tensors (owned by the optimizer; do not dispose). */
  get lastStats(): StepStatsTensors | null {
    return this.stats;
  }

  /** Reads the last step's statistics (awaits the device; never call it inside the step). */
  async readLastStats(): Promise<StepStats | null> {
    const s = this.stats;
    return s == null ? null : readStepStats(s);
  }

  private setStats(s: StepStatsTensors): void {
    const old = this.stats;
    for (const t of statsTensors(s)) tf.keep(t);
    this.stats = s;
    if (old != null) tf.dispose(statsTensors(old));
  }

  private setKeptGradients(kept: NamedTensor[] | null): void {
    const old = this.keptGrads;
    this.keptGrads = kept;
    if (old != null) tf.dispose(old.map((g) => g.tensor));
  }

  private warnMissing(list: MaybeTensor[], names: string[]): void {
    if (this.warnedMissing) return;
    const missing = names.filter((_, i) => list[i] == null);
    if (missing.length > 0 && missing.length < list.length) {
      this.warnedMissing = true;
      console.warn(
        `gradclip: Gradients do not exist for variables [${missing.join(', ')}] when minimizing the loss. ` +
          'They are left out of clipping and of the global norm.',
      );
    }
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
    if (this.options.transform != null && this.transformState !== undefined) {
      const bytes = new TextEncoder().encode(serializeState(this.transformState));
      weights.push({ name: TRANSFORM_STATE_WEIGHT, tensor: tf.tensor1d(Array.from(bytes), 'int32') });
    }
    return weights;
  }

  /** Restores the inner optimizer's weights and, when present, the transform's state. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const mine = weightValues.find((w) => w.name === TRANSFORM_STATE_WEIGHT);
    if (mine != null) {
      const bytes = Uint8Array.from(await mine.tensor.data());
      this.transformState = deserializeState(new TextDecoder().decode(bytes));
    }
    await this.inner.setWeights(weightValues.filter((w) => w.name !== TRANSFORM_STATE_WEIGHT));
  }

  override async saveIterations(): Promise<NamedTensor> {
    return this.inner.saveIterations();
  }

  /** Disposes the inner optimizer, the kept statistics and the kept gradients. */
  override dispose(): void {
    this.inner.dispose();
    if (this.stats != null) {
      tf.dispose(statsTensors(this.stats));
      this.stats = null;
    }
    this.setKeptGradients(null);
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      inner: { className: this.inner.getClassName(), config: this.inner.getConfig() },
      clipnorm: this.options.clipnorm,
      clipvalue: this.options.clipvalue,
      globalClipnorm: this.options.globalClipnorm,
      nonFinite: this.options.nonFinite,
      transform: (this.options.transformSpec ?? null) as unknown as tf.serialization.ConfigDictValue,
      transformSaveable: this.options.transform == null || this.options.transformSpec != null,
      weightDecay: this.options.weightDecay,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const innerSpec = config.inner as { className?: string; config?: tf.serialization.ConfigDict } | undefined;
    const className = innerSpec?.className;
    if (typeof className !== 'string') {
      throw new ValueError(`ClippedOptimizer config must have \`inner.className\`. Received: inner=${formatValue(innerSpec)}`);
    }
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
    if (entry == null) {
      throw new ValueError(
        `ClippedOptimizer: cannot rebuild the inner optimizer '${className}': no class of that name is registered. ` +
          'Register it with tf.serialization.registerClass before calling tf.loadLayersModel.',
      );
    }
    const [innerCls, innerFromConfig] = entry;
    const inner = innerFromConfig(innerCls, innerSpec?.config ?? {}) as unknown as tf.Optimizer;
    const options: ClippingOptions = {
      clipnorm: (config.clipnorm as number | null) ?? null,
      clipvalue: (config.clipvalue as number | null) ?? null,
      globalClipnorm: (config.globalClipnorm as number | null) ?? null,
      nonFinite: (config.nonFinite as ClippingOptions['nonFinite']) ?? 'propagate',
      transform: (config.transform as unknown as TransformSpec | null) ?? null,
      weightDecay: (config.weightDecay as number | null | undefined) ?? 0,
    };
    if (config.transformSaveable === false) {
      throw new ValueError(
        'ClippedOptimizer: this model was saved with a transform given as an object, which cannot be rebuilt. ' +
          "Pass the transform as a spec (e.g. { name: 'zClip', args: [{}] }) to withClipping so that it can be saved and loaded.",
      );
    }
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
 * The wrapper's {@link StepStatsTensors}: the scalar measurements live in one packed float32
 * tensor (see `kerasClipGradientsPacked`); `globalNorm`, `clippedNorm`, `clipped` and
 * `nonFiniteCount` are sliced from it on first access, owned by these stats and disposed with them.
 */
class PackedStepStats implements StepStatsTensors {
  private gn: tf.Scalar | null = null;
  private cn: tf.Scalar | null = null;
  private cl: tf.Scalar | null = null;
  private nf: tf.Scalar | null = null;

  constructor(
    /** `[globalNorm, clippedNorm, clipped, nonFiniteLo, nonFiniteHi, Σ x_0², …]`. */
    readonly packed: tf.Tensor1D,
    readonly skipped: boolean,
    readonly step: number,
    readonly variableNames: readonly string[],
    readonly gradNorms: tf.Tensor1D | null,
    readonly weightNorms: tf.Tensor1D | null,
    readonly updateRatios: tf.Tensor1D | null,
    /** What a transform's gradients measured, replacing the packed clipped norm and flag. */
    readonly transformed: TransformMeasurement | null,
  ) {}

  get globalNorm(): tf.Scalar {
    return (this.gn ??= tf.keep(packedStat(this.packed, 'globalNorm')));
  }

  get clippedNorm(): tf.Scalar {
    const t = this.transformed;
    return (this.cn ??= tf.keep(this.skipped ? tf.scalar(0) : t != null ? (tf.sqrt(t.sumOfSquares) as tf.Scalar) : packedStat(this.packed, 'clippedNorm')));
  }

  get clipped(): tf.Scalar {
    const t = this.transformed;
    return (this.cl ??= tf.keep(
      t == null
        ? packedStat(this.packed, 'clipped')
        : tf.tidy(() => tf.less(tf.sqrt(t.sumOfSquares), tf.mul(packedStat(this.packed, 'globalNorm'), TRANSFORM_CLIPPED_FACTOR)) as tf.Scalar),
    ));
  }

  get nonFiniteCount(): tf.Scalar {
    return (this.nf ??= tf.keep(packedStat(this.packed, 'nonFiniteCount')));
  }

  /** Every tensor these stats own (the lazily made scalars included). */
  tensors(): tf.Tensor[] {
    const t = this.transformed;
    const ts: (tf.Tensor | null | undefined)[] = [this.packed, t?.sumOfSquares, this.gn, this.cn, this.cl, this.nf, this.gradNorms, this.weightNorms, this.updateRatios];
    return ts.filter((x): x is tf.Tensor => x != null);
  }

  /** The numbers, with one download of the packed tensor (plus the optional tensors present). */
  async read(): Promise<StepStats> {
    const none = Promise.resolve(null);
    const t = this.transformed;
    const [p, tss] = await Promise.all([this.packed.data(), t?.sumOfSquares.data() ?? none]);
    const v = unpackStats(p);
    if (tss != null) {
      // The float32 ops of the `clippedNorm` and `clipped` getters, on the host.
      v.clippedNorm = Math.fround(Math.sqrt(tss[0]));
      v.clipped = v.clippedNorm < Math.fround(v.globalNorm * Math.fround(TRANSFORM_CLIPPED_FACTOR));
    }
    if (this.skipped) v.clippedNorm = 0;
    return { ...v, skipped: this.skipped, step: this.step };
  }
}

/** What the wrapper measures of a transform's gradients: their Σx² (a float32 scalar). */
interface TransformMeasurement {
  readonly sumOfSquares: tf.Scalar;
}

/** A transform "clipped" when its gradients' norm is below the input's norm times this. */
const TRANSFORM_CLIPPED_FACTOR = 1 - 1e-6;

/** Every tensor a {@link StepStatsTensors} owns. */
function statsTensors(s: StepStatsTensors): tf.Tensor[] {
  if (s instanceof PackedStepStats) return s.tensors();
  const ts: (tf.Tensor | null)[] = [s.globalNorm, s.clippedNorm, s.clipped, s.nonFiniteCount, s.gradNorms, s.weightNorms, s.updateRatios];
  return ts.filter((t): t is tf.Tensor => t != null);
}

/**
 * The id the next tensor will get (tfjs-core's `Engine.nextTensorId`, a static counter), or
 * +Infinity where it cannot be read (then no gradient counts as made by `minimize`: no in place).
 */
function nextTensorId(): number {
  const id = (tf.engine().constructor as unknown as { nextTensorId?: unknown }).nextTensorId;
  return typeof id === 'number' ? id : Infinity;
}

/** 1-D tensor of scalars (empty for none). */
function stackScalars(xs: tf.Scalar[]): tf.Tensor1D {
  return (xs.length === 0 ? tf.zeros([0]) : tf.stack(xs)) as tf.Tensor1D;
}

/**
 * Keras 3's `"No gradients provided for any variable."` (`BaseOptimizer._filter_empty_gradients`),
 * naming the variables as Keras's TensorFlow backend does (positions for a plain list).
 */
function noGradientsMessage(flat: FlatGrads): string {
  const names = flat.form === 'list' ? flat.names.map(Number) : flat.names;
  return (
    `No gradients provided for any variable: ${formatValue(names)}. Every gradient in \`variableGradients\` is null or undefined; ` +
    'weights, optimizer state and iterations were not changed.'
  );
}

/**
 * Decoupled weight decay before the inner optimizer's own step: `w ← w · decay` (one float32
 * multiply, as the fused update does) for every float32 variable that has a gradient.
 */
function decayWeights(names: readonly string[], grads: readonly MaybeTensor[], decay: number): void {
  tf.tidy(() => {
    const d = tf.scalar(decay, 'float32');
    for (let i = 0; i < names.length; ++i) {
      if (grads[i] == null) continue;
      const v = lookupVariable(names[i]);
      if (v != null && v.dtype === 'float32') v.assign(tf.mul(v, d));
    }
  });
}

/** The registered variable of a gradient name (null when the gradients were not keyed by variable name). */
function lookupVariable(name: string): tf.Variable | null {
  return (tf.engine().registeredVariables[name] as tf.Variable | undefined) ?? null;
}

/**
 * Reads a {@link StepStatsTensors} into numbers with one asynchronous download per tensor (never a
 * `dataSync`). The tensors must still be alive: call it before the next step replaces them.
 */
export async function readStepStats(s: StepStatsTensors): Promise<StepStats> {
  const none = Promise.resolve(null);
  const [out, gn, wn, ur] = await Promise.all([
    s instanceof PackedStepStats ? s.read() : readScalarStats(s),
    s.gradNorms?.data() ?? none,
    s.weightNorms?.data() ?? none,
    s.updateRatios?.data() ?? none,
  ]);
  if (gn != null || ur != null) {
    out.variables = s.variableNames.map((name, i) => ({
      name,
      gradNorm: gn != null ? gn[i] : NaN,
      weightNorm: wn != null ? wn[i] : NaN,
      updateRatio: ur != null ? ur[i] : NaN,
    }));
  }
  return out;
}

/** {@link readStepStats}'s scalars of stats made elsewhere (one download per tensor). */
async function readScalarStats(s: StepStatsTensors): Promise<StepStats> {
  const [g, c, f, n] = await Promise.all([s.globalNorm.data(), s.clippedNorm.data(), s.clipped.data(), s.nonFiniteCount.data()]);
  return { globalNorm: g[0], clippedNorm: c[0], clipped: f[0] !== 0, skipped: s.skipped, step: s.step, nonFiniteCount: n[0] };
}

/**
 * Wraps an optimizer so that it clips gradients the way Keras 3's `clipnorm`, `clipvalue` and
 * `global_clipnorm` do. With no clipping option it only records gradient statistics.
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
