/**
 * gradclip's Node-only entry (`gradclip/node`): everything that writes files or draws in a terminal.
 * Re-exports only; the browser-safe API is in `gradclip`.
 */
export * from './tensorboard/index.js';
export { tensorBoard, TensorBoardCallback, type TensorBoardOptions } from './monitoring/tensorboard-callback.js';
export { csvLogger, CsvLogger, type CsvLoggerOptions } from './monitoring/csv-logger.js';
export { jsonlLogger, JsonlLogger, type JsonlLoggerOptions } from './monitoring/jsonl-logger.js';
export { progressBar, registerProgressBar, ProgressBarLogger, type ProgressBarOptions } from './monitoring/progress-bar.js';

/** File-based datasets (IDX, CIFAR-10 binary, the built-in MNIST sample) and the article's experiments. */
export * from './datasets/index.js';
export * from './experiments/index.js';
