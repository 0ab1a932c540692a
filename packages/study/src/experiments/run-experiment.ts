/** `runExperiment(spec)`: trains one configuration and returns what was measured as plain JSON. */
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { RandomState } from '../datasets/random-state.js';
import { summaryFileWriter, type SummaryFileWriter } from 'gradclip/node';
import { SPAM, StableSPAM, type ClippedOptimizer } from 'gradclip';
import { buildModel, buildOptimizer } from './build-run.js';
import { loadHostData, toTensors, valTargetVariance } from './load-data.js';
import type { EpochRecord, ExperimentSpec, JsonNumber, NonFiniteEvent, OptimizerClipping, RunProgress, RunResult, StepSeries } from './types.js';
import { useBackend } from './use-backend.js';
import { resolveSpec } from './validate-spec.js';

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** Called after every training step and once more at the end of each epoch (with `valLoss`). */
  onProgress?: (p: RunProgress) => void;
  /**
   * TensorBoard root: scalars go to `<logdir>/<spec.name>/train` (`batch_loss`, `batch_grad_norm`,
   * `batch_grad_norm_clipped` per step; `epoch_loss` per epoch) and `<logdir>/<spec.name>/validation`
   * (`epoch_loss`, and `epoch_accuracy` for classification). Default: no logs.
   */
  logdir?: string;
  /** Clock in milliseconds, for `wallTimeMs` (default `performance.now`; inject for tests). */
  now?: () => number;
}

/** Steps between two reads of the recorded per-step values (and progress reports). */
const READ_EVERY = 50;

/** Values recorded per step: loss, global norm, clipped norm, clipped flag, entries the optimizer clipped, optimizer reset flag. */
const PER_STEP = 6;

/**
 * Keeps each step's `[loss, globalNorm, clippedNorm, clipped, optimizerClipped, optimizerReset]` on
 * the device; reads them in chunks. The last two are SPAM's / Stable-SPAM's own clip count and
 * momentum reset (0 for the other optimizers, and for a step the wrapper skipped).
 */
class StepRecorder extends tf.Callback {
  private lastInnerStep = 0;

  constructor(
    private readonly optimizer: ClippedOptimizer,
    private readonly pending: tf.Tensor[],
    private readonly flush: () => Promise<void>,
  ) {
    super();
  }

  override async onBatchEnd(_batch: number, logs?: tf.Logs): Promise<void> {
    const loss = (logs as unknown as { loss?: tf.Scalar | number } | undefined)?.loss;
    const st = this.optimizer.lastStats;
    const inner = this.optimizer.inner;
    const info = inner instanceof SPAM || inner instanceof StableSPAM ? inner.lastStep : null;
    const fresh = info != null && info.step !== this.lastInnerStep;
    if (info != null) this.lastInnerStep = info.step;
    this.pending.push(
      tf.tidy(() => {
        const l = loss instanceof tf.Tensor ? tf.reshape(loss, []) : tf.scalar(Number(loss ?? NaN));
        let clippedEntries: tf.Scalar = tf.scalar(0);
        if (fresh && info != null) {
          clippedEntries = 'clippedCounts' in info ? (tf.cast(tf.sum(info.clippedCounts), 'float32') as tf.Scalar) : tf.scalar(info.clippedTotal);
        }
        const reset = tf.scalar(fresh && info?.momentumReset === true ? 1 : 0);
        if (st == null) return tf.stack([l, tf.scalar(NaN), tf.scalar(NaN), tf.scalar(0), clippedEntries, reset]);
        return tf.stack([tf.cast(l, 'float32'), st.globalNorm, st.clippedNorm, tf.cast(st.clipped, 'float32'), clippedEntries, reset]);
      }),
    );
    if (this.pending.length >= READ_EVERY) await this.flush();
  }
}

function json(v: number): JsonNumber {
  return Number.isFinite(v) ? v : null;
}

function nonFinite(v: number, step: number, epoch: number): NonFiniteEvent {
  return { step, epoch, value: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
}

/**
 * Trains the network of `spec` on its data with its optimizer and clipping, and records:
 * per-epoch training and validation loss (and validation accuracy for classification), per-step
 * batch loss and gradient norm before and after clipping (read asynchronously from the
 * wrapper's stats after each batch), the first step whose loss or gradient norm was not finite,
 * the clip rate and the wall time.
 *
 * Determinism: the initializers are seeded with `spec.seed` and the training rows are shuffled
 * each epoch with a `RandomState(spec.seed)` permutation (no `Math.random`), so the same spec on
 * the same backend gives the same numbers. Backend: `spec.backend` (default wasm with
 * `registerWasmTrainingFixes()`), falling back to cpu with `backendNotice` set. Every tensor it
 * creates is disposed before it returns.
 *
 * NaN policy: a non-finite loss is recorded (`firstNonFinite`) and, with `stopOnNonFinite`
 * (default), ends training after that step; non-finite numbers are stored as `null`.
 *
 * @param spec - the run, see {@link ExperimentSpec}.
 * @param options - `onProgress`, `logdir`, `now`.
 * @returns the {@link RunResult} (plain JSON).
 * @throws ValueError for an invalid spec (before anything is trained); DatasetFormatError for bad data files.
 * @example
 * ```ts
 * const r = await runExperiment({ name: 'adam-clipnorm-1', data: { kind: 'regression' }, model: 'regression-mlp',
 *   optimizer: { name: 'adam' }, clip: { clipnorm: 1 }, epochs: 30, batchSize: 32, seed: 65 });
 * r.finalValLoss; //=> ≈ 1.4 (baseline without clipping ≈ 32)
 * ```
 */
export async function runExperiment(spec: ExperimentSpec, options: RunExperimentOptions = {}): Promise<RunResult> {
  const s = resolveSpec(spec);
  const now = options.now ?? (() => performance.now());
  const { backend, notice } = await useBackend(s.backend);
  const host = loadHostData(s.data, s.seed);
  const data = toTensors(host);
  const { model, loss } = buildModel(s, host.exampleShape);
  const optimizer = buildOptimizer(s);
  optimizer.enableStats(); // the per-step series read the wrapper's statistics (recorded only on request)
  let train: SummaryFileWriter | null = null;
  let val: SummaryFileWriter | null = null;
  if (options.logdir) {
    train = summaryFileWriter(path.join(options.logdir, s.name, 'train'), { maxQueue: 1000 });
    val = summaryFileWriter(path.join(options.logdir, s.name, 'validation'), { maxQueue: 1000 });
  }
  const steps: StepSeries = { loss: [], globalNorm: [], clippedNorm: [], clipped: [] };
  const innerClips = optimizer.inner instanceof SPAM || optimizer.inner instanceof StableSPAM;
  const optimizerClipped: number[] = [];
  const trainableEntries = model.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0);
  const momentumResets: number[] = [];
  const epochs: EpochRecord[] = [];
  let firstNonFinite: NonFiniteEvent | null = null;
  let firstNonFiniteGradNorm: NonFiniteEvent | null = null;
  let step = 0;
  let stoppedEarly: boolean = false;
  const stepsPerEpoch = Math.ceil(host.nTrain / s.batchSize);
  const totalSteps = stepsPerEpoch * s.epochs;
  const rs = new RandomState(s.seed);
  let epoch = 0;
  let epochSteps = 0;
  // Per step, the batch loss and the wrapper's stats are stacked on the device and kept; they are
  // read in one transfer every READ_EVERY steps (and at the end of each epoch), so the step path
  // never waits for the host.
  const pending: tf.Tensor[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const all = tf.stack(pending);
    tf.dispose(pending.splice(0));
    const v = await all.data();
    all.dispose();
    for (let i = 0; i < v.length; i += PER_STEP) {
      step += 1;
      epochSteps += 1;
      const [l, g, c, f, oc, reset] = [v[i], v[i + 1], v[i + 2], v[i + 3], v[i + 4], v[i + 5]];
      optimizerClipped.push(oc);
      if (reset !== 0) momentumResets.push(step);
      steps.loss.push(json(l));
      steps.globalNorm.push(json(g));
      steps.clippedNorm.push(json(c));
      steps.clipped.push(f !== 0 ? 1 : 0);
      train?.scalar('batch_loss', l, step);
      train?.scalar('batch_grad_norm', g, step);
      train?.scalar('batch_grad_norm_clipped', c, step);
      if (firstNonFiniteGradNorm == null && !Number.isFinite(g)) firstNonFiniteGradNorm = nonFinite(g, step, epoch);
      if (firstNonFinite == null && !Number.isFinite(l)) {
        firstNonFinite = nonFinite(l, step, epoch);
        if (s.stopOnNonFinite) {
          model.stopTraining = true;
          stoppedEarly = true;
          break; // later steps of this chunk ran on non-finite weights: not recorded
        }
      }
    }
    const last = steps.loss[steps.loss.length - 1];
    options.onProgress?.({ name: s.name, step, totalSteps, epoch, loss: last ?? NaN });
  };
  const recorder = new StepRecorder(optimizer, pending, flush);
  const t0 = now();
  try {
    model.compile({ optimizer, loss });
    for (epoch = 1; epoch <= s.epochs && !stoppedEarly; epoch++) {
      epochSteps = 0;
      let xs = data.xTrain;
      let ys = data.yTrain;
      if (s.shuffle) {
        const perm = rs.permutation(host.nTrain);
        [xs, ys] = tf.tidy(() => {
          const idx = tf.tensor1d(perm, 'int32');
          return [tf.gather(data.xTrain, idx), tf.gather(data.yTrain, idx)];
        });
      }
      let history: tf.History;
      try {
        history = await model.fit(xs, ys, {
          epochs: 1,
          batchSize: s.batchSize,
          shuffle: false,
          verbose: 0,
          validationData: [data.xVal, data.yVal],
          callbacks: recorder,
        });
        await flush();
      } finally {
        if (xs !== data.xTrain) tf.dispose([xs, ys]);
        tf.dispose(pending.splice(0));
      }
      if (stoppedEarly && epoch === s.epochs && epochSteps === stepsPerEpoch) stoppedEarly = false;
      let trainLoss = Number(history.history.loss?.[0]);
      if (firstNonFinite != null) trainLoss = NaN;
      let valLoss = Number(history.history.val_loss?.[0]);
      if (history.history.val_loss == null) {
        const ev = model.evaluate(data.xVal, data.yVal, { batchSize: 256 }) as tf.Scalar;
        valLoss = (await ev.data())[0];
        ev.dispose();
      }
      const rec: EpochRecord = { epoch, loss: json(trainLoss), valLoss: json(valLoss), steps: epochSteps };
      if (host.task === 'classification') rec.valAccuracy = json(await accuracy(model, data.xVal, data.yVal));
      epochs.push(rec);
      train?.scalar('epoch_loss', trainLoss, epoch);
      val?.scalar('epoch_loss', valLoss, epoch);
      if (rec.valAccuracy !== undefined) val?.scalar('epoch_accuracy', rec.valAccuracy ?? NaN, epoch);
      options.onProgress?.({ name: s.name, step, totalSteps, epoch, loss: trainLoss, valLoss });
    }
  } finally {
    train?.close();
    val?.close();
    model.dispose();
    optimizer.dispose();
    tf.dispose([data.xTrain, data.yTrain, data.xVal, data.yVal]);
  }
  const wallTimeMs = now() - t0;
  const last = epochs[epochs.length - 1];
  const variance = valTargetVariance(host);
  const nClipped = steps.clipped.reduce((a, b) => a + b, 0);
  let optimizerClipping: OptimizerClipping | null = null;
  if (innerClips) {
    const entries = trainableEntries;
    optimizerClipping = {
      clippedEntries: optimizerClipped,
      entries,
      clipRate: step > 0 ? optimizerClipped.filter((n) => n > 0).length / step : 0,
      meanClippedFraction: step > 0 && entries > 0 ? optimizerClipped.reduce((a, b) => a + b, 0) / (step * entries) : 0,
      momentumResets,
    };
  }
  return {
    name: s.name,
    group: s.group ?? null,
    spec: s,
    backend,
    backendNotice: notice,
    data: { source: host.source, notice: host.notice, nTrain: host.nTrain, nVal: host.nVal, task: host.task, valTargetVariance: variance },
    epochs,
    steps,
    firstNonFinite,
    firstNonFiniteGradNorm,
    finalLoss: last?.loss ?? null,
    finalValLoss: last?.valLoss ?? null,
    finalValAccuracy: last?.valAccuracy ?? null,
    finalValNmse: variance != null && last?.valLoss != null && variance > 0 ? last.valLoss / variance : null,
    clipRate: step > 0 ? nClipped / step : 0,
    stepsRun: step,
    stoppedEarly,
    wallTimeMs,
    optimizerClipping,
  };
}

async function accuracy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<number> {
  const acc = tf.tidy(() => {
    const logits = model.predict(x, { batchSize: 256 }) as tf.Tensor;
    const pred = tf.argMax(logits, -1);
    const labels = tf.argMax(y, -1);
    return tf.mean(tf.cast(tf.equal(pred, labels), 'float32'));
  });
  const v = (await acc.data())[0];
  acc.dispose();
  return v;
}
