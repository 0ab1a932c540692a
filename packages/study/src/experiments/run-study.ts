/** `runStudy(specs)`: runs a list of specs one after the other and collects a {@link StudyResult}. */
import { runExperiment, type RunExperimentOptions } from './run-experiment.js';
import type { ExperimentSpec, RunResult, StudyResult } from './types.js';

/** Options of {@link runStudy}. */
export interface RunStudyOptions extends RunExperimentOptions {
  /** Called before each run with its index (0-based) and the number of runs. */
  onRunStart?: (spec: ExperimentSpec, index: number, count: number) => void;
  /** Called after each run. */
  onRunEnd?: (result: RunResult, index: number, count: number) => void;
  /**
   * Called after each run with the study so far (a note says it is incomplete until the last run;
   * after the last run it is the study that `runStudy` returns). The CLI saves it each time, so an
   * interrupted study keeps the runs it finished. Awaited before the next run starts.
   */
  onStudyUpdate?: (study: StudyResult) => void | Promise<void>;
  /** Clock for `createdAt` (default `() => new Date()`). */
  date?: () => Date;
}

/** The note of a study that stopped (or is still running) after `finished` of `planned` runs. */
export function incompleteNote(finished: number, planned: number): string {
  return `incomplete: ${finished} of ${planned} configurations finished (the study was interrupted or is still running); rerun it for the rest.`;
}

/** The notes of a study: backend fallbacks and which data stood in for CIFAR-10, once each. */
function studyNotes(runs: readonly RunResult[]): string[] {
  const notes = new Set<string>();
  for (const r of runs) if (r.backendNotice) notes.add(r.backendNotice);
  for (const r of runs) if (r.data.notice) notes.add(r.data.notice);
  return [...notes];
}

/**
 * Runs every spec in order (one at a time: tfjs has one global backend) and returns the study.
 * Backend fallbacks and data substitutions are listed once in `notes`.
 *
 * @param study - the study's name (`regression`, …, or `run` for a single configuration).
 * @param specs - the runs.
 * @param options - `onRunStart`, `onRunEnd`, `onStudyUpdate`, plus {@link RunExperimentOptions}.
 * @returns a {@link StudyResult} (plain JSON).
 * @throws ValueError for an invalid spec (a run that fails stops the study).
 * @example
 * ```ts
 * const study = await runStudy('regression', studySpecs('regression', { quick: true }));
 * study.runs.length; //=> 11
 * ```
 */
export async function runStudy(study: string, specs: ExperimentSpec[], options: RunStudyOptions = {}): Promise<StudyResult> {
  const { onRunStart, onRunEnd, onStudyUpdate, date = () => new Date(), ...runOptions } = options;
  const runs: RunResult[] = [];
  const snapshot = (): StudyResult => {
    const notes = studyNotes(runs);
    if (runs.length < specs.length) notes.push(incompleteNote(runs.length, specs.length));
    return { format: 'gradclip-study@1', study, createdAt: date().toISOString(), notes, runs: [...runs] };
  };
  let result = snapshot();
  for (let i = 0; i < specs.length; i++) {
    onRunStart?.(specs[i], i, specs.length);
    const r = await runExperiment(specs[i], runOptions);
    runs.push(r);
    onRunEnd?.(r, i, specs.length);
    result = snapshot();
    await onStudyUpdate?.(result);
  }
  return result;
}
