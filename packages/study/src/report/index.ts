/** Reports of study results: tables, claims, self-contained HTML (re-exports only; no tfjs). */
export { renderReport } from './render-report.js';
export { evaluateClaims, summarizeAdaptive, MUCH_LOWER_RATIO, type ClaimCheck, type Verdict, type AdaptiveSummary } from './claims.js';
export { resultRows, renderTextTable, renderMarkdownTable, renderCsv, RESULT_COLUMNS, type ResultRow } from './result-table.js';
export { vegaLiteToSvg, lossChart, gradNormChart, peakIndices, spansDecades, MAX_POINTS_PER_SERIES } from './charts.js';
export { formatNumber } from './format.js';
