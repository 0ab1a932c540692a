/** How the CLI prints a failure (internal; no dependencies, so `bin.ts` can use it before anything loads). */

/** True when `GRADCLIP_DEBUG=1` (or `true`) or `--debug` asks for stack traces. */
export function debugRequested(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.GRADCLIP_DEBUG?.trim().toLowerCase();
  return v === '1' || v === 'true' || argv.includes('--debug');
}

/**
 * Formats an error for stderr: `error: <message>` on one line. A message of several lines (e.g. an
 * error with a hint on its second line) is kept whole, its lines joined with spaces; the stack trace
 * is added only when `debug` is set. A package that cannot be found gets the `npm install` hint.
 *
 * @param e - what was thrown.
 * @param debug - add the stack trace (default false).
 * @returns the text to write, ending with a newline.
 * @example
 * ```ts
 * formatError(new Error('cannot load x\nhint: install x'));
 * //=> 'error: cannot load x hint: install x\n'
 * ```
 */
export function formatError(e: unknown, debug = false): string {
  let msg = e instanceof Error ? e.message : String(e);
  // A package that is not installed (e.g. the peer dependency @tensorflow/tfjs): say how to install it.
  const missing = (e as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND' ? /Cannot find (?:package|module) '([^']+)'/.exec(msg)?.[1] : undefined;
  if (missing && !missing.startsWith('.') && !missing.startsWith('/')) msg = `${msg.split('\n')[0]}; install it: npm install ${missing}`;
  const line = msg
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
  const stack = debug && e instanceof Error && e.stack ? `${e.stack}\n` : '';
  return `error: ${line || (e instanceof Error ? e.name : 'unknown error')}\n${stack}`;
}
