/** The CLI's error for a bad flag or argument (internal). */

/** A bad flag, argument or output location: printed as one line, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}
