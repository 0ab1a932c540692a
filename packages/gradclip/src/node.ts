/**
 * gradclip's Node-only entry (`gradclip/node`): everything that writes files or draws in a terminal.
 * Re-exports only; the browser-safe API is in `gradclip`.
 */
export * from './tensorboard/index.js';
export { tensorBoard, TensorBoardCallback, type TensorBoardOptions } from './monitoring/tensorboard-callback.js';
export { csvLogger, CsvLogger, type CsvLoggerOptions } from './monitoring/csv-logger.js';
export { jsonlLogger, JsonlLogger, type JsonlLoggerOptions } from './monitoring/jsonl-logger.js';
export { progressBar, registerProgressBar, ProgressBarLogger, type ProgressBarOptions } from './monitoring/progress-bar.js';

