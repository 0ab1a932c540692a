#!/usr/bin/env node
/** The `gradclip` command (see main.ts). Even a failure to load it (a missing peer dependency) is one line on stderr. */
import { debugRequested, formatError } from './format-error.js';

const fail = (e: unknown): void => {
  process.stderr.write(formatError(e, debugRequested()));
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
try {
  const { main } = await import('./main.js');
  process.exitCode = await main(process.argv);
} catch (e) {
  fail(e);
}
