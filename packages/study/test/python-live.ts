/**
 * Test helper: run Debian's Python (`/usr/bin/python3`, which has python3-numpy and python3-sklearn
 * when installed) to get live reference values. Tests use `{ skip: !SKLEARN_AVAILABLE && reason }`.
 */
import { spawnSync } from 'node:child_process';

/** The interpreter with numpy/sklearn (the pyenv `python3` first on PATH has neither). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

function probe(module: string): boolean {
  try {
    const r = spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 60_000 });
    return r.status === 0;
  } catch {
    return false;
  }
}

/** True when `/usr/bin/python3 -c 'import numpy'` works. */
export const NUMPY_AVAILABLE = probe('numpy');
/** True when `/usr/bin/python3 -c 'import sklearn'` works. */
export const SKLEARN_AVAILABLE = NUMPY_AVAILABLE && probe('sklearn');

/** Why a live test was skipped, or false when it can run. */
export const SKIP_NO_NUMPY: string | false = NUMPY_AVAILABLE ? false : `${DEBIAN_PYTHON} has no numpy (apt-get install python3-numpy)`;
/** Why a live test was skipped, or false when it can run. */
export const SKIP_NO_SKLEARN: string | false = SKLEARN_AVAILABLE
  ? false
  : `${DEBIAN_PYTHON} has no scikit-learn (apt-get install python3-sklearn)`;

/**
 * Runs a Python snippet that prints one JSON document on stdout and returns it parsed.
 * Python's float repr round-trips, so doubles arrive bit-exact.
 */
export function runPythonJson<T = unknown>(code: string): T {
  const r = spawnSync(DEBIAN_PYTHON, ['-c', code], { encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python failed (status ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
