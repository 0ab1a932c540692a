/**
 * `gradclip/tensorboard`: TensorBoard event files without the file system, for browsers and workers
 * (no `node:` imports, no tfjs). `gradclip/node`'s `summaryFileWriter` writes the same bytes to disk.
 * Re-exports only.
 */
export { eventFile, eventFileName, type EventFileBuilder, type EventFileOptions } from './event-file.js';
export { histogramBuckets, DEFAULT_HISTOGRAM_BUCKETS, type HistogramBuckets } from './histogram-buckets.js';
