/** `runStudy(specs)`: runs a list of specs one after the other and collects a {@link StudyResult}. */
import { runExperiment, type RunExperimentOptions } from './run-experiment.js';
import type { ExperimentSpec, RunResult, StudyResult } from './types.js';

/** Options of {@link runStudy}. */
export interface RunStudyOptions extends RunExperimentOptions {
  /** Called before each run with its index (0-based) and the number of runs. */
  onRunStart?: (spec: ExperimentSpec, index: number, count: number) => void;
  /** Called after each run. */
  onRunEnd?: (result: RunResult, index: number, count: number) => void;
  /** Clock for `createdAt` (default `() => new Date()`). */
  date?: () => Date;
}

/**
 * Runs every spec in order (one at a time: tfjs has one global backend) and returns the study.
 * Backend fallbacks are listed once in `notes`.
 *
 * @param study - the study's name (`regression`, …, or `run` for a single configuration).
 * @param specs - the runs.
 * @param options - `onRunStart`, `onRunEnd`, plus {@link RunExperimentOptions}.
 * @returns a {@link StudyResult} (plain JSON).
 * @throws ValueError for an invalid spec (a run that fails stops the study).
 * @example
 * ```ts
 * const study = await runStudy('regression', studySpecs('regression', { quick: true }));
 * study.runs.length; //=> 11
 * ```
 */
export async function runStudy(study: string, specs: ExperimentSpec[], options: RunStudyOptions = {}): Promise<StudyResult> {
  const { onRunStart, onRunEnd, date = () => new Date(), ...runOptions } = options;
  const runs: RunResult[] = [];
  const notes = new Set<string>();
  for (let i = 0; i < specs.length; i++) {
    onRunStart?.(specs[i], i, specs.length);
    const r = await runExperiment(specs[i], runOptions);
    if (r.backendNotice) notes.add(r.backendNotice);
    runs.push(r);
    onRunEnd?.(r, i, specs.length);
  }
  const sources = new Set(runs.map((r) => r.data.source).filter((s) => s.startsWith('built-in syntheticCifarLike')));
  for (const s of sources) notes.add(`CNN data: ${s}; pass --data DIR with the CIFAR-10 binary files to use the real images.`);
  return { format: 'gradclip-study@1', study, createdAt: date().toISOString(), notes: [...notes], runs };
}
