/** Parsing and printing the `--clip` syntax: `none`, `value=3`, `norm=1`, `global-norm=1`. */
import { ValueError } from '../errors.js';
import type { ClipSetting } from './types.js';

const KINDS = { value: 'clipvalue', norm: 'clipnorm', 'global-norm': 'globalClipnorm' } as const;

/** Message when the clip string is not one of the known forms. */
export const CLIP_SYNTAX = "one of 'none', 'value=V', 'norm=N', 'global-norm=N'";

/**
 * Parses a clip setting.
 *
 * - `none` → `{}`;
 * - `value=V` → `{ clipvalue: V }` (Keras `clipvalue`, PyTorch `clip_grad_value_`);
 * - `norm=N` → `{ clipnorm: N }` (Keras `clipnorm`: each gradient tensor on its own);
 * - `global-norm=N` → `{ globalClipnorm: N }` (Keras `global_clipnorm`, PyTorch `clip_grad_norm_`).
 *
 * @param text - the setting.
 * @returns the {@link ClipSetting}.
 * @throws ValueError naming the rule and the value, e.g.
 *   "norm must be a finite number > 0. Received: norm=-1".
 * @example
 * ```ts
 * parseClip('global-norm=2'); //=> { globalClipnorm: 2 }
 * parseClip('none');          //=> {}
 * ```
 */
export function parseClip(text: string): ClipSetting {
  const s = String(text).trim();
  if (s === 'none' || s === '') return {};
  const m = /^([a-z-]+)=(.*)$/.exec(s);
  if (m == null || !(m[1] in KINDS)) {
    throw new ValueError(`must be ${CLIP_SYNTAX}. Received: ${JSON.stringify(s)}`);
  }
  const kind = m[1] as keyof typeof KINDS;
  const v = m[2].trim() === '' ? NaN : Number(m[2]);
  if (!(Number.isFinite(v) && v > 0)) {
    throw new ValueError(`${kind} must be a finite number > 0. Received: ${kind}=${m[2]}`);
  }
  return { [KINDS[kind]]: v };
}

/**
 * Prints a clip setting in the `--clip` syntax.
 *
 * @param clip - the setting.
 * @returns `'none'`, `'value=V'`, `'norm=N'` or `'global-norm=N'`.
 * @example
 * ```ts
 * formatClip({ clipnorm: 1 }); //=> 'norm=1'
 * ```
 */
export function formatClip(clip: ClipSetting): string {
  if (clip.clipvalue != null) return `value=${clip.clipvalue}`;
  if (clip.clipnorm != null) return `norm=${clip.clipnorm}`;
  if (clip.globalClipnorm != null) return `global-norm=${clip.globalClipnorm}`;
  return 'none';
}
