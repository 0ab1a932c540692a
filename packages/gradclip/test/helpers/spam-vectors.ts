/**
 * Loads the SPAM / Stable-SPAM trajectories of `test/fixtures/adaptive2-vectors.json` (made by the
 * official reference code, see adaptive2-SPEC.md) and replays one through an optimizer.
 * GRADCLIP_REFERENCE_DIR points at another copy (e.g. the held-back acceptance cases).
 */
import { readFileSync, existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { assertClose, flatten, referenceDir, type EncodedTensor } from './vectors.js';

export interface TrajectoryCase {
  name: string;
  method: string;
  hyper: Record<string, any>;
  notes: string;
  params0: EncodedTensor[];
  grads: EncodedTensor[][];
  expected: { params: EncodedTensor[][]; clipped_grads: EncodedTensor[][]; aux?: Record<string, any>[] };
  tolerance: { rtol: number; atol: number };
}

/** Every case of `method` ('spam', 'stablespam', …) in the fixture. */
export function loadTrajectories(method: string, file = 'adaptive2-vectors.json'): TrajectoryCase[] {
  const path = `${referenceDir()}/${file}`;
  if (!existsSync(path)) throw new Error(`reference vectors not found at ${path}`);
  const cases = (JSON.parse(readFileSync(path, 'utf8')).cases as TrajectoryCase[]).filter((c) => c.method === method);
  if (cases.length === 0) throw new Error(`no '${method}' case in ${path}`);
  return cases;
}

/** The values of an encoded tensor, flat. */
export function values(e: EncodedTensor): number[] {
  return flatten(e.data);
}

/** What a replay observed after each step, for the caller's own checks. */
export type StepHook = (step: number) => Promise<void> | void;

/**
 * Replays a case: variables from `params0`, then for each step `applyGradients` with that step's
 * gradients (as a NamedTensorMap, or a NamedTensor[] with `form: 'array'`), comparing every
 * variable with `expected.params` (case tolerance). `afterStep(t)` (1-based) runs after each
 * step's comparison. Disposes everything it made.
 */
export async function replay(c: TrajectoryCase, optimizer: tf.Optimizer, afterStep?: StepHook, form: 'map' | 'array' = 'map'): Promise<void> {
  const vars = tf.tidy(() => c.params0.map((p) => tf.variable(tf.tensor(values(p), p.shape, 'float32'))));
  try {
    for (let t = 0; t < c.grads.length; ++t) {
      const named = c.grads[t].map((g, i) => ({ name: vars[i].name, tensor: tf.tensor(values(g), g.shape, 'float32') }));
      optimizer.applyGradients(form === 'array' ? named : Object.fromEntries(named.map((n) => [n.name, n.tensor])));
      tf.dispose(named.map((n) => n.tensor));
      for (let i = 0; i < vars.length; ++i) {
        assertClose(await vars[i].data(), values(c.expected.params[t][i]), c.tolerance, `${c.name} step ${t + 1} param ${i}`);
      }
      await afterStep?.(t + 1);
    }
  } finally {
    tf.dispose(vars);
  }
}
