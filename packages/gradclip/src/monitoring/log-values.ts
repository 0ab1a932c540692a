/**
 * Reading `model.fit` logs: subclasses of `tf.Callback` receive raw `tf.Scalar`s, plain-object
 * callbacks receive numbers. Reads are asynchronous (`data()`, never `dataSync()`) and shared by
 * every gradclip callback of the same batch, so a value is downloaded once.
 */
import * as tf from '@tensorflow/tfjs';
import type { ClippedOptimizer } from '../optimizer/clipped-optimizer.js';
import { readStepStats, type StepStats, type StepStatsTensors } from '../optimizer/step-stats.js';

/** Logs as `fit` hands them to a `tf.Callback` subclass (values are numbers or scalars). */
export type RawLogs = Record<string, unknown> | undefined;

/** Keys of batch logs that are bookkeeping, not measurements (tfjs-node's tensorBoard skips them too). */
export const BOOKKEEPING_KEYS: ReadonlySet<string> = new Set(['batch', 'size', 'num_steps']);

const tensorReads = new WeakMap<tf.Tensor, Promise<number>>();
const statsReads = new WeakMap<StepStatsTensors, Promise<StepStats>>();

/** Reads one log value: a number as is, a tensor's first element (awaited, cached per tensor), else null. */
export async function readLogValue(v: unknown): Promise<number | null> {
  if (typeof v === 'number') return v;
  if (v instanceof tf.Tensor) {
    if (v.isDisposed) return null;
    let p = tensorReads.get(v);
    if (p == null) {
      p = v.data().then((d) => Number(d[0]));
      tensorReads.set(v, p);
    }
    return p;
  }
  return null;
}

/** Reads every numeric log entry except the bookkeeping keys (`batch`, `size`, `num_steps`). */
export async function readLogs(logs: RawLogs): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (logs == null) return out;
  const entries = Object.entries(logs).filter(([k]) => !BOOKKEEPING_KEYS.has(k));
  const values = await Promise.all(entries.map(([, v]) => readLogValue(v)));
  entries.forEach(([k], i) => {
    const v = values[i];
    if (v != null) out[k] = v;
  });
  return out;
}

/** Reads the optimizer's last step statistics once per step, however many callbacks ask. */
export async function readStatsShared(optimizer: ClippedOptimizer): Promise<StepStats | null> {
  const s = optimizer.lastStats;
  if (s == null) return null;
  let p = statsReads.get(s);
  if (p == null) {
    p = readStepStats(s);
    statsReads.set(s, p);
  }
  return p;
}
