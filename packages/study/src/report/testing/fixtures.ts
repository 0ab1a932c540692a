/** Hand-made study results for the report tests (no training). */
import type { ClipSetting, RunResult, StudyResult } from '../../experiments/types.js';

/** A regression run with a loss curve and gradient norms; `nanAt` makes the loss go non-finite there. */
export function fakeRun(name: string, group: string, o: { clip?: ClipSetting; optimizer?: 'adam' | 'sgd'; variant?: 'normal' | 'exploding'; standardize?: boolean; finalVal: number; nanAt?: number }): RunResult {
  const epochs = 5;
  const stepsPer = 100;
  const nSteps = o.nanAt ?? epochs * stepsPer;
  const loss = Array.from({ length: nSteps }, (_, i) => (o.nanAt != null && i === nSteps - 1 ? null : 1000 / (i + 1) + o.finalVal));
  const g = Array.from({ length: nSteps }, (_, i) => (o.nanAt != null && i >= nSteps - 2 ? null : 10 + 1000 * Math.exp(-i / 50)));
  const clipped = o.clip && Object.keys(o.clip).length > 0;
  const epochRecs = o.nanAt != null
    ? [{ epoch: 1, loss: null, valLoss: null, steps: nSteps }]
    : Array.from({ length: epochs }, (_, e) => ({ epoch: e + 1, loss: o.finalVal * 10 ** (epochs - 1 - e), valLoss: o.finalVal * 1.1 * 10 ** (epochs - 1 - e), steps: stepsPer }));
  const last = epochRecs[epochRecs.length - 1];
  return {
    name,
    group,
    spec: {
      name,
      group,
      data: { kind: 'regression', variant: o.variant ?? 'normal', standardize: o.standardize ?? false },
      model: 'regression-mlp',
      optimizer: { name: o.optimizer ?? 'adam', learningRate: o.optimizer === 'sgd' ? 0.01 : 0.001 },
      clip: o.clip ?? {},
      epochs,
      batchSize: 32,
      seed: 65,
      backend: 'wasm',
      shuffle: true,
      stopOnNonFinite: true,
    },
    backend: 'wasm',
    backendNotice: null,
    data: { source: 'make_regression(n_samples=10000, n_features=30, random_state=65)', nTrain: 8000, nVal: 2000, task: 'regression', valTargetVariance: 30000 },
    epochs: epochRecs,
    steps: { loss, globalNorm: g, clippedNorm: g.map((v) => (v == null ? null : clipped ? Math.min(v, 1) : v)), clipped: g.map(() => (clipped ? 1 : 0)) },
    firstNonFinite: o.nanAt != null ? { step: o.nanAt, epoch: 1, value: 'Infinity' } : null,
    firstNonFiniteGradNorm: o.nanAt != null ? { step: o.nanAt - 1, epoch: 1, value: 'Infinity' } : null,
    finalLoss: last.loss,
    finalValLoss: last.valLoss,
    finalValAccuracy: null,
    finalValNmse: last.valLoss == null ? null : last.valLoss / 30000,
    clipRate: clipped ? 1 : 0,
    stepsRun: nSteps,
    stoppedEarly: o.nanAt != null,
    wallTimeMs: 1234,
  };
}

/** A regression study shaped like the real one. */
export function fakeStudy(): StudyResult {
  const A = 'normal data · Adam (article)';
  const B = 'exploding data (X², y²) · Adam (article)';
  const C = 'unscaled data · SGD lr 0.01 (diverging regime)';
  const D = 'standardized data, no clipping (preprocessing)';
  return {
    format: 'gradclip-study@1',
    study: 'regression',
    createdAt: '2025-01-01T00:00:00.000Z',
    notes: [],
    runs: [
      fakeRun('normal-adam-none', A, { finalVal: 20 }),
      fakeRun('normal-adam-norm-1', A, { clip: { clipnorm: 1 }, finalVal: 1.6 }),
      fakeRun('normal-adam-value-3', A, { clip: { clipvalue: 3 }, finalVal: 1.9 }),
      fakeRun('exploding-adam-none', B, { variant: 'exploding', finalVal: 3e9 }),
      fakeRun('exploding-adam-norm-1', B, { variant: 'exploding', clip: { clipnorm: 1 }, finalVal: 2.9e9 }),
      fakeRun('normal-sgd-none', C, { optimizer: 'sgd', finalVal: 0, nanAt: 9 }),
      fakeRun('normal-sgd-norm-1', C, { optimizer: 'sgd', clip: { clipnorm: 1 }, finalVal: 20000 }),
      fakeRun('exploding-standardized-adam-none', D, { variant: 'exploding', standardize: true, finalVal: 0.01 }),
    ],
  };
}
