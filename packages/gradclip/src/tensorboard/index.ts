/**
 * TensorBoard event files from pure TypeScript (no tfjs, no native code). Public names only.
 */
export { summaryFileWriter } from './summary-file-writer.js';
export type { HistogramData, SummaryFileWriter, SummaryFileWriterOptions } from './summary-file-writer.js';
export { histogramBuckets, DEFAULT_HISTOGRAM_BUCKETS } from './histogram-buckets.js';
export type { HistogramBuckets } from './histogram-buckets.js';
