/**
 * The one switch of gradclip's fast path: the fused clipping kernels, in-place clipping, the cpu
 * buffer pool and the cpu backend hooks it needs, and the fused optimizer update. It is on by
 * default and off when any of these says so:
 *
 * - {@link setFastPath}`(false)`;
 * - the environment variable `GRADCLIP_FAST_PATH=0` (also `false`/`off`; read at first use from
 *   `process.env`, or in a browser from `globalThis.GRADCLIP_FAST_PATH`); it cannot be overridden
 *   from code;
 * - the capability check (capability.ts): an unverified TF.js version or a failed probe turns it
 *   off for the process, with one warning.
 *
 * Nothing is installed at import: the hooks are installed when a fast-path feature is first used
 * on a backend (or at `setFastPath(true)`), and removed when the fast path is turned off. Results
 * are bit-identical on and off.
 */
import { capabilityNotice, VERIFIED_TFJS_VERSIONS, versionMismatch } from './capability.js';
import { tfjsVersions, type TfjsVersions } from './tfjs-internals.js';

/** The environment variable (or browser global) that turns the fast path off: `GRADCLIP_FAST_PATH=0`. */
export const FAST_PATH_ENV = 'GRADCLIP_FAST_PATH';

/** What {@link fastPathStatus} returns. */
export interface FastPathStatus {
  /** Whether the fast path runs where it can (cpu and wasm backends, no gradient tape). */
  enabled: boolean;
  /** Why it is off (null when on): `setFastPath(false)`, the environment variable, or the failed check. */
  reason: string | null;
  /** The TF.js versions of this process. */
  versions: TfjsVersions;
  /** The TF.js versions the fast path was verified on. */
  verified: typeof VERIFIED_TFJS_VERSIONS;
}

let requested = true;
/** undefined: not read yet; null: not set (or set to on). */
let envOff: string | null | undefined;
/** Why the capability check failed (the fast path is then off for the process), or null. */
let failure: string | null = null;
let versionsChecked = false;
/** Whether something may be installed (hooks, kernels) that turning off must remove. */
let installed = false;
const offListeners: (() => void)[] = [];
const onRequestListeners: (() => void)[] = [];
/** Test seam: versions to check instead of TF.js's own. */
let fakeVersions: TfjsVersions | null = null;
/** The probes that passed in this process (`'kernels:cpu'`, `'update:wasm'`, …): each runs once. */
const passedProbes = new Set<string>();

/** Whether the probe `key` passed in this process. */
export function probePassed(key: string): boolean {
  return passedProbes.has(key);
}

/** Records that the probe `key` passed (it is not run again in this process). */
export function markProbePassed(key: string): void {
  passedProbes.add(key);
}

const OFF_VALUES = ['0', 'false', 'off', 'no'];
const ON_VALUES = ['', '1', 'true', 'on', 'yes'];

function readEnv(): string | null {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } } & Record<string, unknown>;
  let raw: unknown;
  try {
    raw = g.process?.env?.[FAST_PATH_ENV];
  } catch {
    raw = undefined; // e.g. a sandbox whose process.env throws
  }
  if (raw === undefined) raw = g[FAST_PATH_ENV];
  if (raw === undefined || raw === null) return null;
  const value = String(raw).trim().toLowerCase();
  if (OFF_VALUES.includes(value)) return `${FAST_PATH_ENV}=${String(raw)}`;
  if (!ON_VALUES.includes(value)) {
    console.warn(`gradclip: ignoring ${FAST_PATH_ENV}=${JSON.stringify(raw)}; use 0 (off) or 1 (on). The fast path stays on.`);
  }
  return null;
}

function versions(): TfjsVersions {
  return fakeVersions ?? tfjsVersions();
}

/**
 * Whether the fast path may run now (called on every clip and step: a few boolean checks once the
 * environment and the versions have been looked at, at the first call).
 */
export function fastPathOn(): boolean {
  if (!requested || failure != null) return false;
  if (envOff === undefined) envOff = readEnv();
  if (envOff != null) return false;
  if (!versionsChecked) {
    versionsChecked = true;
    const why = versionMismatch(versions());
    if (why != null) {
      disableFastPathForProcess(why, null);
      return false;
    }
  }
  return true;
}

/** Why the fast path is off now, or null when it is on. */
export function fastPathOffReason(): string | null {
  if (fastPathOn()) return null;
  if (failure != null) return failure;
  if (envOff != null) return envOff;
  return 'setFastPath(false)';
}

/**
 * Turns gradclip's whole fast path on or off for the process: the fused clipping kernels, in-place
 * clipping, the cpu buffer pool and backend hooks, and the fused optimizer update (which
 * `setFusedUpdateEnabled` can also turn off on its own). Every result is bit-identical either way.
 *
 * Off removes everything gradclip installed in TF.js (the cpu backend hooks, the wrapped cpu
 * backend factory, the fused kernels) and empties the buffer pool. On installs nothing until a
 * fast-path feature is used, except that when the active backend is `cpu` or `wasm` it is checked
 * and hooked at once: on cpu, call `setFastPath(true)` before making tensors so that gradclip
 * tracks the backend's buffers from its first tensor (then `clipGradNorm_` writes into a tensor's
 * own array; for tensors made before, it swaps a new array into the tensor instead — same values).
 *
 * `GRADCLIP_FAST_PATH=0` and a failed capability check keep it off whatever this is set to (see
 * {@link fastPathStatus}).
 *
 * @param on `false` to turn the fast path off, `true` to turn it back on.
 * @returns The previous setting of this switch.
 * @example
 * ```ts
 * import { setFastPath, fastPathStatus } from 'gradclip';
 * const before = setFastPath(false); // plain TF.js ops only, nothing hooked
 * fastPathStatus(); //=> { enabled: false, reason: 'setFastPath(false)', ... }
 * setFastPath(before);
 * ```
 */
export function setFastPath(on: boolean): boolean {
  if (typeof on !== 'boolean') throw new TypeError(`setFastPath takes a boolean. Received: on=${String(on)}`);
  const before = requested;
  requested = on;
  if (!on) teardown();
  else if (fastPathOn()) for (const f of onRequestListeners) f();
  return before;
}

/**
 * Whether gradclip's fast path is on, and if not why: `setFastPath(false)`, `GRADCLIP_FAST_PATH=0`,
 * or the capability check (an unverified TF.js version, or a probe that found TF.js's internals
 * changed). Also the TF.js versions of the process and those the fast path was verified on.
 *
 * @example
 * ```ts
 * fastPathStatus(); //=> { enabled: true, reason: null, versions: { core: '4.22.0', ... }, verified: { 'tfjs-core': ['4.22.0'], ... } }
 * ```
 */
export function fastPathStatus(): FastPathStatus {
  return { enabled: fastPathOn(), reason: fastPathOffReason(), versions: versions(), verified: VERIFIED_TFJS_VERSIONS };
}

/**
 * Turns the fast path off for the rest of the process after a failed check, with one console
 * warning naming `reason` and how to report it. Later failures add nothing.
 */
export function disableFastPathForProcess(reason: string, backend: string | null): void {
  if (failure != null) return;
  failure = reason;
  console.warn(capabilityNotice(reason, versions(), backend));
  teardown();
}

/** Called by a module before it installs anything in TF.js, so that turning off removes it. */
export function noteInstalled(): void {
  installed = true;
}

/** Registers what turning the fast path off must undo (called once per module, at its import). */
export function onFastPathOff(f: () => void): void {
  offListeners.push(f);
}

/** Registers what `setFastPath(true)` does at once (check and hook the active backend). */
export function onFastPathRequested(f: () => void): void {
  onRequestListeners.push(f);
}

function teardown(): void {
  if (!installed) return;
  installed = false;
  for (const f of offListeners) f();
}

/**
 * Test seam (not exported from the package): forgets the capability outcome, the probes run, the
 * environment and the switch, optionally pretending TF.js has `versions`. Everything installed is
 * removed first.
 */
export function resetFastPathForTests(options: { versions?: TfjsVersions | null } = {}): void {
  teardown();
  requested = true;
  envOff = undefined;
  failure = null;
  versionsChecked = false;
  fakeVersions = options.versions ?? null;
  passedProbes.clear();
}
