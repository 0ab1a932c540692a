/**
 * Parsing and printing the `--clip` syntax: `none`, `value=3`, `norm=1`, `global-norm=1`, and the
 * adaptive methods as transform specs: `agc=0.01`, `autoclip=10`, `zclip` / `zclip=2.5`,
 * `adagc` / `adagc=1.04`.
 * No tfjs here (the report imports {@link formatClip}): transform arguments are checked with the
 * factories' rules, and the transform itself is built by the runner.
 */
import { ValueError } from 'gradclip/errors';
import type { TransformSpec } from 'gradclip';
import type { ClipSetting } from './types.js';

const KINDS = { value: 'clipvalue', norm: 'clipnorm', 'global-norm': 'globalClipnorm' } as const;

/**
 * Variables AGC leaves unclipped: the final layer, as in the NFNet reference (Brock et al. 2021
 * do not clip the classifier). Every network of `src/models/` names its final layer `head`, so its
 * variables are `head/kernel`, `head/bias` (`head/kernel_1`, … in later models of the process).
 */
export const AGC_EXCLUDE_NAMES: readonly string[] = ['head/'];

/** Message when the clip string is not one of the known forms. */
export const CLIP_SYNTAX = "one of 'none', 'value=V', 'norm=N', 'global-norm=N', 'agc=L', 'autoclip[=P]', 'zclip[=Z]', 'adagc[=R]'";

/** `agc=L` with the study's exclusion of the final layer. */
function agcSpec(clipping: number): TransformSpec {
  return { name: 'adaptiveGradClip', args: [clipping, { excludeNames: [...AGC_EXCLUDE_NAMES] }] };
}

function num(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

/**
 * Parses a clip setting.
 *
 * - `none` → `{}`;
 * - `value=V` → `{ clipvalue: V }` (Keras `clipvalue`, PyTorch `clip_grad_value_`);
 * - `norm=N` → `{ clipnorm: N }` (Keras `clipnorm`: each gradient tensor on its own);
 * - `global-norm=N` → `{ globalClipnorm: N }` (Keras `global_clipnorm`, PyTorch `clip_grad_norm_`);
 * - `agc=L` → `{ transform: { name: 'adaptiveGradClip', args: [L, { excludeNames: ['head/'] }] } }`
 *   (unit-wise AGC with clipping factor λ = L > 0; the final layer `head` is not clipped, as in
 *   the NFNet reference);
 * - `autoclip` / `autoclip=P` → `{ transform: { name: 'autoClip', args: [{}] } }` /
 *   `args: [{ percentile: P }]` (AutoClip, P in [0, 100], default 10);
 * - `zclip` / `zclip=Z` → `{ transform: { name: 'zClip', args: [{}] } }` / `args: [{ zThresh: Z }]`
 *   (ZClip with the reference defaults, or z-score threshold Z > 0);
 * - `adagc` / `adagc=R` → `{ transform: { name: 'adaGC', args: [{}] } }` / `args: [{ clipRatio: R }]`
 *   (AdaGC with the reference defaults — maxNorm 1.0, clipRatio 1.04, beta 0.99, eps 1e-6,
 *   warmupSteps 100 — or relative clip ratio λ_rel = R > 0).
 *
 * @param text - the setting.
 * @returns the {@link ClipSetting}.
 * @throws ValueError naming the rule and the value, e.g.
 *   "norm must be a finite number > 0. Received: norm=-1".
 * @example
 * ```ts
 * parseClip('global-norm=2'); //=> { globalClipnorm: 2 }
 * parseClip('zclip=3');       //=> { transform: { name: 'zClip', args: [{ zThresh: 3 }] } }
 * parseClip('none');          //=> {}
 * ```
 */
export function parseClip(text: string): ClipSetting {
  const s = String(text).trim();
  if (s === 'none' || s === '') return {};
  if (s === 'zclip') return { transform: { name: 'zClip', args: [{}] } };
  if (s === 'autoclip') return { transform: { name: 'autoClip', args: [{}] } };
  if (s === 'adagc') return { transform: { name: 'adaGC', args: [{}] } };
  if (s === 'agc') throw new ValueError('agc must be a finite number > 0 (the clipping factor λ), e.g. agc=0.01. Received: agc');
  const m = /^([a-z-]+)=(.*)$/.exec(s);
  const kind = m?.[1];
  if (m == null || kind == null) throw new ValueError(`must be ${CLIP_SYNTAX}. Received: ${JSON.stringify(s)}`);
  const v = num(m[2]);
  switch (kind) {
    case 'agc':
      if (!(Number.isFinite(v) && v > 0)) throw new ValueError(`agc must be a finite number > 0 (the clipping factor λ). Received: agc=${m[2]}`);
      return { transform: agcSpec(v) };
    case 'autoclip':
      if (!(Number.isFinite(v) && v >= 0 && v <= 100)) throw new ValueError(`autoclip must be a percentile in [0, 100]. Received: autoclip=${m[2]}`);
      return { transform: { name: 'autoClip', args: [{ percentile: v }] } };
    case 'zclip':
      if (!(Number.isFinite(v) && v > 0)) throw new ValueError(`zclip must be a finite number > 0 (the z-score threshold). Received: zclip=${m[2]}`);
      return { transform: { name: 'zClip', args: [{ zThresh: v }] } };
    case 'adagc':
      if (!(Number.isFinite(v) && v > 0)) throw new ValueError(`adagc must be a finite number > 0 (the relative clip ratio λ_rel). Received: adagc=${m[2]}`);
      return { transform: { name: 'adaGC', args: [{ clipRatio: v }] } };
  }
  if (!(kind in KINDS)) throw new ValueError(`must be ${CLIP_SYNTAX}. Received: ${JSON.stringify(s)}`);
  const k = kind as keyof typeof KINDS;
  if (!(Number.isFinite(v) && v > 0)) {
    throw new ValueError(`${k} must be a finite number > 0. Received: ${k}=${m[2]}`);
  }
  return { [KINDS[k]]: v };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x != null && typeof x === 'object' && !Array.isArray(x);
}

/** The `--clip` form of a transform spec, or null when it has none. */
function formatTransform(t: TransformSpec): string | null {
  const args = t.args ?? [];
  const opts = args.length === 0 ? {} : args[0];
  if (t.name === 'adaptiveGradClip' && args.length === 2 && typeof args[0] === 'number' && isPlainObject(args[1])) {
    const o = args[1];
    const names = o.excludeNames;
    const same =
      Object.keys(o).length === 1 &&
      Array.isArray(names) &&
      names.length === AGC_EXCLUDE_NAMES.length &&
      names.every((n, i) => n === AGC_EXCLUDE_NAMES[i]);
    return same ? `agc=${args[0]}` : null;
  }
  const labels: Record<string, [string, string]> = { autoClip: ['percentile', 'autoclip'], zClip: ['zThresh', 'zclip'], adaGC: ['clipRatio', 'adagc'] };
  if (Object.hasOwn(labels, t.name) && args.length <= 1 && isPlainObject(opts)) {
    const [key, label] = labels[t.name];
    const keys = Object.keys(opts);
    if (keys.length === 0) return label;
    if (keys.length === 1 && keys[0] === key && typeof opts[key] === 'number') return `${label}=${opts[key]}`;
  }
  return null;
}

/**
 * Prints a clip setting in the `--clip` syntax. A transform spec that has no `--clip` form (other
 * options, other transforms) prints as `name(args as JSON)`, for display only.
 *
 * @param clip - the setting.
 * @returns `'none'`, `'value=V'`, `'norm=N'`, `'global-norm=N'`, `'agc=L'`, `'autoclip[=P]'`,
 *   `'zclip[=Z]'`, `'adagc[=R]'`, or a transform's `name(args)`.
 * @example
 * ```ts
 * formatClip({ clipnorm: 1 }); //=> 'norm=1'
 * formatClip(parseClip('agc=0.01')); //=> 'agc=0.01'
 * ```
 */
export function formatClip(clip: ClipSetting): string {
  if (clip.clipvalue != null) return `value=${clip.clipvalue}`;
  if (clip.clipnorm != null) return `norm=${clip.clipnorm}`;
  if (clip.globalClipnorm != null) return `global-norm=${clip.globalClipnorm}`;
  if (clip.transform != null) {
    return formatTransform(clip.transform) ?? `${clip.transform.name}(${JSON.stringify(clip.transform.args ?? []).slice(1, -1)})`;
  }
  return 'none';
}
