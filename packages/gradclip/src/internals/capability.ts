/**
 * Whether gradclip's fast path may run in this process: the TF.js versions are ones it was
 * verified on (checked at first use, not at import), and the feature probes (run once per backend
 * kind when the fast path first meets it, see core/fast/kernel-probe.ts and the fused update's
 * probe) found the internals as expected. A failure turns the fast path off for the process with
 * one console warning saying why and how to report it; every public function then computes the
 * same bits through plain TF.js ops.
 */
import type { TfjsVersions } from './tfjs-internals.js';

/**
 * The TF.js versions the fast path was verified on: every test of the library, bit for bit against
 * the plain TF.js path, on the cpu and wasm backends. tfjs-backend-wasm does not expose its
 * version to gradclip (it is an optional peer that gradclip never imports); the wasm probe checks
 * its internals instead.
 */
export const VERIFIED_TFJS_VERSIONS = {
  'tfjs-core': ['4.22.0'],
  'tfjs-backend-cpu': ['4.22.0'],
  'tfjs-backend-wasm': ['4.22.0'],
} as const;

/** Why the versions of this process are not verified ones, or null when they are. */
export function versionMismatch(v: TfjsVersions): string | null {
  const core: readonly string[] = VERIFIED_TFJS_VERSIONS['tfjs-core'];
  if (!core.includes(v.core)) {
    return `tfjs-core ${v.core} is not a version gradclip's fast path was verified on (${core.join(', ')})`;
  }
  const cpu: readonly string[] = VERIFIED_TFJS_VERSIONS['tfjs-backend-cpu'];
  if (v.cpu != null && !cpu.includes(v.cpu)) {
    return `tfjs-backend-cpu ${v.cpu} is not a version gradclip's fast path was verified on (${cpu.join(', ')})`;
  }
  return null;
}

/** Where to report a failed check. */
export const ISSUES_URL = 'https://github.com/gradclip/gradclip/issues';

/** The one warning printed when a check fails. */
export function capabilityNotice(reason: string, v: TfjsVersions, backend: string | null): string {
  const versions = `tfjs-core ${v.core}` + (v.cpu != null ? `, tfjs-backend-cpu ${v.cpu}` : '') + (v.tfjs != null ? `, tfjs ${v.tfjs}` : '');
  return (
    `gradclip: the fast path (fused kernels, in-place clipping, fused optimizer update) is off for this process: ${reason}. ` +
    'Results are unchanged (plain TF.js ops, bit for bit), only slower. ' +
    `If your TF.js is a version gradclip supports, please report this at ${ISSUES_URL} with this message ` +
    `(${versions}${backend != null ? `, backend '${backend}'` : ''}). ` +
    'Set GRADCLIP_FAST_PATH=0 or call setFastPath(false) to silence it.'
  );
}
