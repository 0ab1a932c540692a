/** The article's claims, checked against a study's measurements. */
import type { RunResult } from '../experiments/types.js';
import { formatClip } from '../experiments/clip-setting.js';
import { formatNumber } from './format.js';
import { optimizerLabel } from './result-table.js';

/** How a claim fared. */
export type Verdict = 'held' | 'did not hold' | 'held only in some regime' | 'not measured';

/** One claim of the article, with what was measured. */
export interface ClaimCheck {
  /** Short id. */
  id: 'nan-without-clipping' | 'clipping-lowers-loss' | 'not-a-substitute-for-preprocessing';
  /** The article's words. */
  quote: string;
  verdict: Verdict;
  /** What was measured, one sentence per regime. */
  evidence: string[];
}

/** "Much lower": the clipped run's final validation loss is at most this fraction of the baseline's. */
export const MUCH_LOWER_RATIO = 0.5;

/**
 * The article's claims are about Keras's `clipnorm` / `clipvalue` (and their global form) on the
 * regression data: runs clipped by a gradient transformation (AGC, AutoClip, ZClip, …) are not
 * what it tested, so they are left out of every verdict.
 */
const isRegression = (r: RunResult): boolean => r.spec.data.kind === 'regression' && r.spec.clip.transform == null;
const variant = (r: RunResult): string => (r.spec.data.kind === 'regression' ? (r.spec.data.variant ?? 'normal') : '');
const standardized = (r: RunResult): boolean => r.spec.data.kind === 'regression' && r.spec.data.standardize === true;
const clipped = (r: RunResult): boolean => Object.values(r.spec.clip).some((v) => v != null);
const clipLabel = (r: RunResult): string =>
  r.spec.clip.clipnorm != null
    ? `clipnorm ${r.spec.clip.clipnorm}`
    : r.spec.clip.clipvalue != null
      ? `clipvalue ${r.spec.clip.clipvalue}`
      : r.spec.clip.globalClipnorm != null
        ? `global clipnorm ${r.spec.clip.globalClipnorm}`
        : 'no clipping';
const regime = (r: RunResult): string =>
  `${r.spec.optimizer.name}${r.spec.optimizer.learningRate != null ? ` lr ${r.spec.optimizer.learningRate}` : ''} on ${
    standardized(r) ? 'standardized ' : 'unscaled '
  }${variant(r)} data`;
const nanText = (r: RunResult): string =>
  r.firstNonFinite ? `loss ${r.firstNonFinite.value} at step ${r.firstNonFinite.step}` : `no NaN in ${r.stepsRun} steps`;

/** Final validation loss, with a non-finite (or NaN-stopped) run counting as +Infinity. */
function valLoss(r: RunResult): number {
  return r.firstNonFinite != null || r.finalValLoss == null ? Infinity : r.finalValLoss;
}

function nmse(r: RunResult): number {
  return r.firstNonFinite != null || r.finalValNmse == null ? Infinity : r.finalValNmse;
}

function regimeKey(r: RunResult): string {
  return `${r.spec.optimizer.name}|${r.spec.optimizer.learningRate ?? ''}|${variant(r)}|${standardized(r)}|${r.spec.epochs}`;
}

function byRegime(runs: RunResult[]): Map<string, RunResult[]> {
  const m = new Map<string, RunResult[]>();
  for (const r of runs) {
    const k = regimeKey(r);
    m.set(k, [...(m.get(k) ?? []), r]);
  }
  return m;
}

function verdictOf(flags: boolean[]): Verdict {
  if (flags.length === 0) return 'not measured';
  if (flags.every(Boolean)) return 'held';
  if (flags.some(Boolean)) return 'held only in some regime';
  return 'did not hold';
}

/**
 * Checks the article's three claims about the regression experiment against a study's runs
 * (only regression runs clipped by the Keras options, or not at all, are considered; runs with a
 * transform such as AGC or ZClip are ignored — see {@link summarizeAdaptive} for those):
 *
 * 1. "the loss becomes nan" without clipping on exploding data — per unclipped run on unscaled
 *    data: did its loss go non-finite?
 * 2. clipping gives "much lower" loss — per regime (optimizer, data) with a baseline: is every
 *    clipped run's final validation loss <= {@link MUCH_LOWER_RATIO} × the baseline's (a NaN
 *    baseline counts as infinitely high)?
 * 3. clipping "is not a solution to failure to perform proper data preprocessing" — per unscaled
 *    regime whose data also ran standardized without clipping: is the standardized run's
 *    normalised validation MSE (MSE / Var(y), comparable across scalings) at most half the best
 *    clipped run's?
 *
 * @param runs - the study's runs.
 * @returns the three {@link ClaimCheck}s, in article order.
 * @example
 * ```ts
 * evaluateClaims(study.runs).map((c) => c.verdict);
 * //=> ['held only in some regime', 'held', 'held']
 * ```
 */
export function evaluateClaims(runs: readonly RunResult[]): ClaimCheck[] {
  const reg = runs.filter(isRegression);
  const regimes = byRegime(reg);

  // 1. NaN without clipping on exploding / unscaled data.
  const baselines = reg.filter((r) => !clipped(r) && !standardized(r));
  const explodingFirst = [...baselines].sort((a, b) => (variant(a) === 'exploding' ? -1 : 0) - (variant(b) === 'exploding' ? -1 : 0));
  const c1: ClaimCheck = {
    id: 'nan-without-clipping',
    quote: 'Without clipping on exploding data, "the loss becomes nan".',
    verdict: verdictOf(explodingFirst.map((r) => r.firstNonFinite != null)),
    evidence: explodingFirst.map((r) => {
      const clippedTwins = (regimes.get(regimeKey(r)) ?? []).filter(clipped);
      const twin = clippedTwins.length
        ? `; with clipping: ${clippedTwins.map((c) => `${clipLabel(c)} ${c.firstNonFinite ? nanText(c) : 'stayed finite'}`).join(', ')}`
        : '';
      return `${regime(r)}, no clipping: ${nanText(r)} (final val loss ${formatNumber(r.finalValLoss)})${twin}.`;
    }),
  };

  // 2. Clipped loss much lower than the unclipped baseline.
  const flags2: boolean[] = [];
  const ev2: string[] = [];
  for (const group of regimes.values()) {
    const base = group.find((r) => !clipped(r));
    const clips = group.filter(clipped);
    if (!base || clips.length === 0) continue;
    const b = valLoss(base);
    const parts = clips.map((c) => {
      const ratio = valLoss(c) / b;
      const ok = ratio <= MUCH_LOWER_RATIO;
      flags2.push(ok);
      const rel = Number.isFinite(b) ? `${formatNumber(ratio)}× the baseline` : 'baseline went NaN';
      return `${clipLabel(c)} ${formatNumber(c.finalValLoss)} (${rel}${ok ? '' : ', not much lower'})`;
    });
    ev2.push(`${regime(base)}: final val loss without clipping ${Number.isFinite(b) ? formatNumber(b) : `NaN (${nanText(base)})`}; ${parts.join('; ')}.`);
  }
  const c2: ClaimCheck = {
    id: 'clipping-lowers-loss',
    quote: 'With clipnorm or clipvalue "the loss is much lower compared to the network whose gradients haven\'t been clipped".',
    verdict: verdictOf(flags2),
    evidence: ev2,
  };

  // 3. Clipping is no substitute for preprocessing.
  const flags3: boolean[] = [];
  const ev3: string[] = [];
  for (const std of reg.filter((r) => standardized(r) && !clipped(r))) {
    const raw = reg.filter(
      (r) => !standardized(r) && clipped(r) && variant(r) === variant(std) && r.spec.optimizer.name === std.spec.optimizer.name,
    );
    if (raw.length === 0) continue;
    const best = raw.reduce((a, b) => (nmse(b) < nmse(a) ? b : a));
    const ok = nmse(std) <= MUCH_LOWER_RATIO * nmse(best);
    flags3.push(ok);
    ev3.push(
      `${variant(std)} data, ${std.spec.optimizer.name}: standardized without clipping reaches val NMSE ${formatNumber(std.finalValNmse)}; ` +
        `the best clipped run on the unscaled data (${clipLabel(best)}) ${Number.isFinite(nmse(best)) ? `reaches ${formatNumber(best.finalValNmse)}` : 'went NaN'}` +
        `${ok ? '' : ' — clipping did as well as preprocessing here'}.`,
    );
  }
  const c3: ClaimCheck = {
    id: 'not-a-substitute-for-preprocessing',
    quote: 'Gradient clipping "is not a solution to failure to perform proper data preprocessing such as scaling the data".',
    verdict: verdictOf(flags3),
    evidence: ev3,
  };
  return [c1, c2, c3];
}

/** Optimizers that clip inside themselves (a group with one of them is summarised like an adaptive-clipping group). */
const CLIPPING_OPTIMIZERS: readonly string[] = ['spam', 'stable-spam'];

/**
 * How a run is named in a group's summary: its clip setting when every run of the group has the
 * same optimizer, else the optimizer (with its reset interval when set) and the clip setting when
 * there is one, e.g. `spam ΔT 63` or `adam + adagc`.
 */
function methodLabel(r: RunResult, group: readonly RunResult[]): string {
  const key = (x: RunResult): string => JSON.stringify(x.spec.optimizer);
  if (group.every((x) => key(x) === key(group[0]))) return formatClip(r.spec.clip);
  const o = r.spec.optimizer;
  const clip = formatClip(r.spec.clip);
  return `${o.name}${o.resetInterval != null ? ` ΔT ${o.resetInterval}` : ''}${clip === 'none' ? '' : ` + ${clip}`}`;
}

/** Per group of runs that has an adaptive (transform) run or a SPAM / Stable-SPAM run: which ended best. */
export interface AdaptiveSummary {
  /** The group heading (or the run's name for an ungrouped run). */
  group: string;
  /**
   * The runs of the group, lowest final validation loss first (a non-finite run counts as +Infinity;
   * ties keep run order). `clip` names the method: the clip setting, or in a group of several
   * optimizers the optimizer and the clip setting (`adam + adagc`, `spam ΔT 63`).
   */
  ranking: { name: string; clip: string; finalValLoss: number | null; firstNonFinite: RunResult['firstNonFinite'] }[];
  /** The unclipped run of the group, if there is one. */
  baseline: { name: string; finalValLoss: number | null; firstNonFinite: RunResult['firstNonFinite'] } | null;
  /** The best method, the others, the highest validation accuracy (classification), and what happened without clipping. */
  text: string;
}

/**
 * Summarises the groups of a study that compare adaptive clipping methods (groups with at least
 * one run clipped by a transform or trained with SPAM / Stable-SPAM, which clip inside): the method with the lowest final validation loss (a run whose
 * loss went non-finite counts as infinitely high), the ranking, for classification the method
 * with the highest validation accuracy, and whether the unclipped run's loss went non-finite.
 * Makes no claim about the article.
 *
 * @param runs - the study's runs.
 * @returns one {@link AdaptiveSummary} per such group, in run order (empty when there is none).
 * @example
 * ```ts
 * summarizeAdaptive(study.runs)[0].text;
 * //=> 'adding problem …: lowest final val loss with agc=0.01 (0.1702); then … Without clipping the loss went Infinity at step 37.'
 * ```
 */
export function summarizeAdaptive(runs: readonly RunResult[]): AdaptiveSummary[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of runs) {
    const g = r.group ?? r.name;
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  const out: AdaptiveSummary[] = [];
  for (const [group, rs] of groups) {
    if (!rs.some((r) => r.spec.clip.transform != null || CLIPPING_OPTIMIZERS.includes(r.spec.optimizer.name))) continue;
    const ranked = rs.map((r, i) => ({ r, i, v: valLoss(r) })).sort((a, b) => (a.v === b.v ? a.i - b.i : a.v < b.v ? -1 : 1));
    const ranking = ranked.map(({ r }) => ({ name: r.name, clip: methodLabel(r, rs), finalValLoss: r.finalValLoss, firstNonFinite: r.firstNonFinite }));
    const base = rs.find((r) => !clipped(r) && !CLIPPING_OPTIMIZERS.includes(r.spec.optimizer.name)) ?? null;
    const lossText = (x: { finalValLoss: number | null; firstNonFinite: RunResult['firstNonFinite'] }): string =>
      x.firstNonFinite ? `NaN (loss ${x.firstNonFinite.value} at step ${x.firstNonFinite.step})` : formatNumber(x.finalValLoss);
    const [best, ...rest] = ranking;
    const bestText = Number.isFinite(ranked[0].v) ? `lowest final val loss with ${best.clip} (${lossText(best)})` : 'every run went non-finite';
    const restText = rest.length ? `; then ${rest.map((x) => `${x.clip} ${lossText(x)}`).join(', ')}` : '';
    const mixed = new Set(rs.map((r) => JSON.stringify(r.spec.optimizer))).size > 1;
    const baseText =
      base == null
        ? ''
        : base.firstNonFinite
          ? ` Without clipping${mixed ? ` (${optimizerLabel(base)})` : ''} the loss went ${base.firstNonFinite.value} at step ${base.firstNonFinite.step}.`
          : ` Without clipping${mixed ? ` (${optimizerLabel(base)})` : ''} the loss stayed finite for all ${base.stepsRun} steps.`;
    // Classification: the loss ranking can differ from the accuracy ranking (an underfit, unsure
    // model has a low cross-entropy next to an overfit, confident one), so name both.
    const withAcc = rs.filter((r) => r.data.task === 'classification' && r.firstNonFinite == null && r.finalValAccuracy != null);
    const topAcc = withAcc.reduce<RunResult | null>((a, r) => (a == null || (r.finalValAccuracy ?? 0) > (a.finalValAccuracy ?? 0) ? r : a), null);
    const accText = topAcc == null ? '' : ` Highest val accuracy with ${methodLabel(topAcc, rs)} (${(100 * (topAcc.finalValAccuracy ?? 0)).toFixed(1)}%).`;
    out.push({
      group,
      ranking,
      baseline: base && { name: base.name, finalValLoss: base.finalValLoss, firstNonFinite: base.firstNonFinite },
      text: `${group}: ${bestText}${restText}.${accText}${baseText}`,
    });
  }
  return out;
}
