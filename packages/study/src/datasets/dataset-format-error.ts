/**
 * The error a dataset reader throws for a missing, truncated or malformed file.
 */
import { GradclipError } from 'gradclip/errors';

/**
 * A dataset file could not be read: it is missing, truncated, or not in the expected format.
 * The message starts with the file name and says what was wrong, e.g.
 * "train-images-idx3-ubyte.gz: expected 47040000 bytes of data after the header, found 1000".
 *
 * @example
 * ```ts
 * try { readIdx('/data/broken-idx3-ubyte'); } catch (e) { e instanceof DatasetFormatError; } //=> true
 * ```
 */
export class DatasetFormatError extends GradclipError {
  override name = 'DatasetFormatError';
}
