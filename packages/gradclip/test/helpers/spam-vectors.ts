/**
 * Loads the adaptive2 trajectories of `test/fixtures/adaptive2-vectors.json` (AdaGC, SPAM,
 * Stable-SPAM, made by the official reference code, see adaptive2-SPEC.md) from disk; the
 * runners that replay them are in adaptive2-cases.ts (no Node built-ins, shared with the browser
 * suite). GRADCLIP_REFERENCE_DIR points at another copy (e.g. the held-back acceptance cases).
 */
import { readFileSync, existsSync } from 'node:fs';
import { referenceDir } from './vectors.js';
import type { TrajectoryCase } from './adaptive2-cases.js';

export { replay, values, type StepHook, type TrajectoryCase } from './adaptive2-cases.js';

/** Every case of the fixture (all methods). */
export function loadAllTrajectories(file = 'adaptive2-vectors.json'): TrajectoryCase[] {
  const path = `${referenceDir()}/${file}`;
  if (!existsSync(path)) throw new Error(`reference vectors not found at ${path}`);
  return JSON.parse(readFileSync(path, 'utf8')).cases as TrajectoryCase[];
}

/** Every case of `method` ('adagc', 'spam', 'stablespam', …) in the fixture. */
export function loadTrajectories(method: string, file = 'adaptive2-vectors.json'): TrajectoryCase[] {
  const cases = loadAllTrajectories(file).filter((c) => c.method === method);
  if (cases.length === 0) throw new Error(`no '${method}' case in ${referenceDir()}/${file}`);
  return cases;
}
