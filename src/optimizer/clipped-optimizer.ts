/**
 * `ClippedOptimizer`: wraps any `tf.Optimizer`, clips gradients in `applyGradients` with Keras 3
 * semantics, then delegates to the inner optimizer. Works in `model.fit`, `fitDataset`,
 * `trainOnBatch` (they call `minimize`, which calls `applyGradients`) and in custom loops.
 *
 * Registers itself with `tf.serialization` on import, so `model.save(…, {includeOptimizer: true})`
 * and `tf.loadLayersModel` round-trip it.
 */
import * as tf from '@tensorflow/tfjs';
import { NonFiniteError, ValueError, formatValue } from '../errors.js';
import { flattenGrads, type MaybeTensor, type NamedTensor } from '../core/grad-forms.js';
import { kerasClipGradients } from '../core/keras-clip-gradients.js';
import { resolveClippingOptions, type ClippingOptions, type ResolvedClippingOptions } from './clipping-options.js';

/** Per-step statistics, kept as tensors on the device until someone reads them. */
export interface StepStatsTensors {
  /** Global L2 norm of the gradients before clipping. */
  readonly globalNorm: tf.Scalar;
  /** Global L2 norm of what was handed to the inner optimizer (0 when the step was skipped). */
  readonly clippedNorm: tf.Scalar;
  /** Bool scalar: clipping changed at least one gradient. */
  readonly clipped: tf.Scalar;
  /** The step was skipped (`nonFinite: 'skip'`). */
  readonly skipped: boolean;
  /** 1-based count of `applyGradients` calls on this wrapper when the stats were recorded. */
  readonly step: number;
}

/** {@link StepStatsTensors} read into numbers. */
export interface StepStats {
  globalNorm: number;
  clippedNorm: number;
  clipped: boolean;
  skipped: boolean;
  step: number;
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
  private readonly gates: StepGate[] = [];
  private steps = 0;
  private warnedMissing = false;

  constructor(inner: tf.Optimizer, options: ClippingOptions = {}) {
    super();
    if (!(inner instanceof tf.Optimizer)) {
      throw new ValueError(`\`optimizer\` ${NOT_AN_OPTIMIZER}. Received: optimizer=${formatValue(inner)}`);
    }
    this.inner = inner;
    this.options = Object.freeze(resolveClippingOptions(options));
  }

  /**
   * Clips the gradients, records the step's statistics, then calls the inner `applyGradients` with
   * the same form (array or map), order and holes. The caller's gradient tensors are not disposed
   * (`minimize` does that); the wrapper disposes only its own clipped copies.
   *
   * With `nonFinite: 'error'` or `'skip'`, nothing reaches the inner optimizer when the gradient
   * norm is not finite.
   */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    this.applyStep(variableGradients, null);
  }

  /**
   * Same as `tf.Optimizer.minimize`, but the step also sees its loss (for {@link StepGate}s such
   * as the loss-spike detector's skip action). `fit`, `fitDataset` and `trainOnBatch` call this.
   */
  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    const { value, grads } = this.computeGradients(f, varList);
    try {
      const g = varList != null ? varList.map((v) => ({ name: v.name, tensor: grads[v.name] })) : grads;
      this.applyStep(g, value);
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

  private applyStep(variableGradients: tf.NamedTensorMap | NamedTensor[], loss: tf.Scalar | null): void {
    const flat = flattenGrads(variableGradients, 'variableGradients');
    this.warnMissing(flat.list, flat.names);
    const step = this.steps + 1;
    const result = tf.tidy(() => {
      const r = kerasClipGradients(flat.list, this.options);
      return { grads: r.grads as tf.Tensor[], globalNorm: r.globalNorm, clippedNorm: r.clippedNorm, clipped: r.clipped };
    });
    const own = result.grads.filter((g, i) => g != null && g !== flat.list[i]) as tf.Tensor[];
    const policy = this.options.nonFinite;
    let skipped = false;
    if (policy !== 'propagate' || this.gates.length > 0) {
      const norm = result.globalNorm.dataSync()[0];
      if (Number.isFinite(norm) && this.gates.length > 0) {
        const info: StepGateInfo = { step, loss: loss == null ? null : loss.dataSync()[0], globalNorm: norm };
        let skip = false;
        try {
          for (const gate of this.gates) skip = gate(info) === true || skip;
        } catch (err) {
          tf.dispose([...own, result.globalNorm, result.clippedNorm, result.clipped]);
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
          tf.dispose([result.globalNorm, result.clippedNorm, result.clipped]);
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
    if (!skipped) {
      try {
        this.inner.applyGradients(flat.rebuild(result.grads));
      } finally {
        tf.dispose(own);
      }
    }
    const clippedNorm = skipped ? tf.keep(tf.scalar(0)) : result.clippedNorm;
    if (skipped) result.clippedNorm.dispose();
    this.setStats({ globalNorm: result.globalNorm, clippedNorm, clipped: result.clipped, skipped, step });
  }

  /** The last step's statistics as device tensors (owned by the optimizer; do not dispose). */
  get lastStats(): StepStatsTensors | null {
    return this.stats;
  }

  /** Reads the last step's statistics (awaits the device; never call it inside the step). */
  async readLastStats(): Promise<StepStats | null> {
    const s = this.stats;
    if (s == null) return null;
    const [g, c, f] = await Promise.all([s.globalNorm.data(), s.clippedNorm.data(), s.clipped.data()]);
    return { globalNorm: g[0], clippedNorm: c[0], clipped: f[0] !== 0, skipped: s.skipped, step: s.step };
  }

  private setStats(s: StepStatsTensors): void {
    const old = this.stats;
    tf.keep(s.globalNorm);
    tf.keep(s.clippedNorm);
    tf.keep(s.clipped);
    this.stats = s;
    if (old != null) tf.dispose([old.globalNorm, old.clippedNorm, old.clipped]);
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

  override async getWeights(): Promise<NamedTensor[]> {
    return this.inner.getWeights();
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    await this.inner.setWeights(weightValues);
  }

  override async saveIterations(): Promise<NamedTensor> {
    return this.inner.saveIterations();
  }

  /** Disposes the inner optimizer and the kept statistics. */
  override dispose(): void {
    this.inner.dispose();
    if (this.stats != null) {
      tf.dispose([this.stats.globalNorm, this.stats.clippedNorm, this.stats.clipped]);
      this.stats = null;
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      inner: { className: this.inner.getClassName(), config: this.inner.getConfig() },
      clipnorm: this.options.clipnorm,
      clipvalue: this.options.clipvalue,
      globalClipnorm: this.options.globalClipnorm,
      nonFinite: this.options.nonFinite,
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
    };
    return new (cls as unknown as new (i: tf.Optimizer, o: ClippingOptions) => T)(inner, options);
  }
}

tf.serialization.registerClass(ClippedOptimizer);

/**
 * Wraps an optimizer so that it clips gradients the way Keras 3's `clipnorm`, `clipvalue` and
 * `global_clipnorm` do. With no clipping option it only records gradient statistics.
 *
 * - `clipnorm`: each gradient is clipped to this L2 norm on its own (Keras 3 semantics; PyTorch's
 *   `clip_grad_norm_` is global — use `globalClipnorm` for that).
 * - `clipvalue`: every entry is clamped to `[-clipvalue, clipvalue]`.
 * - `globalClipnorm`: all gradients are scaled together so that their global norm is at most this.
 * - `nonFinite`: `'propagate'` (default), `'error'` or `'skip'`.
 *
 * At most one clipping option may be set; each must be a finite number > 0. Options are checked
 * here, not during training.
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
 * ```
 */
export function withClipping(optimizer: tf.Optimizer, options: ClippingOptions = {}): ClippedOptimizer {
  return new ClippedOptimizer(optimizer, options);
}
