/** The study report: one self-contained HTML file (inline SVG plots, inline CSS, no scripts, no network). */
import type { RunResult, StudyResult } from '../experiments/types.js';
import { evaluateClaims, MUCH_LOWER_RATIO, summarizeAdaptive, type AdaptiveSummary, type ClaimCheck } from './claims.js';
import { gradNormChart, lossChart } from './charts.js';
import { escapeHtml } from './format.js';
import { RESULT_COLUMNS, resultRows } from './result-table.js';

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1400px;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}.nan{color:#d62728;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart svg{max-width:100%;height:auto}
.verdict{font-weight:600;padding:.1rem .4rem;border-radius:3px}.held{background:#d4edda}.did-not-hold{background:#f8d7da}
.held-only-in-some-regime{background:#fff3cd}.not-measured{background:#eee}.note{color:#555;font-size:.9rem}
`;

function groupsOf(runs: readonly RunResult[]): [string, RunResult[]][] {
  const m = new Map<string, RunResult[]>();
  for (const r of runs) {
    const g = r.group ?? r.name;
    m.set(g, [...(m.get(g) ?? []), r]);
  }
  return [...m.entries()];
}

function tableHtml(runs: readonly RunResult[]): string {
  const rows = resultRows(runs);
  const left = new Set(['group', 'configuration', 'optimizer', 'clip', 'backend']);
  const head = RESULT_COLUMNS.map(([k, h]) => `<th class="${left.has(k) ? 'l' : ''}">${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${RESULT_COLUMNS.map(([k]) => {
          const v = r[k];
          const cls = [left.has(k) ? 'l' : '', (k === 'firstNaN' && v !== '-') || v === 'NaN' ? 'nan' : ''].filter(Boolean).join(' ');
          return `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</td>`;
        }).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function claimsHtml(claims: ClaimCheck[]): string {
  const rows = claims
    .map(
      (c) =>
        `<tr><td class="l">${escapeHtml(c.quote)}</td><td class="l"><span class="verdict ${c.verdict.replace(/ /g, '-')}">${escapeHtml(c.verdict)}</span></td>` +
        `<td class="l">${c.evidence.length ? `<ul>${c.evidence.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : 'no matching runs in this study'}</td></tr>`,
    )
    .join('\n');
  return (
    `<table><thead><tr><th class="l">the article says</th><th class="l">verdict</th><th class="l">what was measured</th></tr></thead><tbody>\n${rows}\n</tbody></table>` +
    `<p class="note">"Much lower" is read as a final validation loss at most ${MUCH_LOWER_RATIO}× the unclipped run's; a run whose loss went NaN counts as infinitely high. ` +
    'NMSE is the validation MSE divided by the variance of the validation targets (1 − R²), which compares runs on differently scaled data.</p>'
  );
}

function adaptiveHtml(summaries: AdaptiveSummary[]): string {
  const items = summaries.map((s) => `<li>${escapeHtml(s.text)}</li>`).join('\n');
  return (
    `<ul>\n${items}\n</ul>` +
    '<p class="note">Final validation loss after the last epoch, lowest first; a run whose loss went non-finite counts as infinitely high. ' +
    'These comparisons are not claims of the article, which tested only clipnorm and clipvalue.</p>'
  );
}

/**
 * Renders a study as one self-contained HTML page: notes, the article's claims next to what was
 * measured (regression runs only; see {@link evaluateClaims}), a summary of the groups that
 * compare adaptive clipping methods (see {@link summarizeAdaptive}), the results table, and per group
 * of runs two inline-SVG plots — training/validation loss per epoch and the global gradient norm
 * before/after clipping per step, with NaN markers. No scripts, stylesheets, fonts or images are
 * loaded: the file opens offline.
 *
 * @param study - the study (as `runStudy` returns it or as read back from its JSON).
 * @returns the HTML document.
 * @example
 * ```ts
 * writeFileSync('out/regression-report.html', await renderReport(study));
 * ```
 */
export async function renderReport(study: StudyResult): Promise<string> {
  const claims = evaluateClaims(study.runs);
  const hasRegression = study.runs.some((r) => r.spec.data.kind === 'regression' && r.spec.clip.transform == null);
  const adaptive = summarizeAdaptive(study.runs);
  const sections: string[] = [];
  for (const [group, runs] of groupsOf(study.runs)) {
    const [loss, norm] = await Promise.all([lossChart(runs, `${group}: loss per epoch`), gradNormChart(runs, `${group}: gradient norm per step`)]);
    const src = [...new Set(runs.map((r) => r.data.source))].map(escapeHtml).join('; ');
    sections.push(
      `<section><h3>${escapeHtml(group)}</h3><p class="note">data: ${src}</p>` +
        `<div class="charts"><figure class="chart">${loss}</figure><figure class="chart">${norm}</figure></div></section>`,
    );
  }
  const backends = [...new Set(study.runs.map((r) => r.backend))].join(', ');
  const notes = study.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gradclip study: ${escapeHtml(study.study)}</title><style>${CSS}</style></head>
<body>
<h1>gradclip study: ${escapeHtml(study.study)}</h1>
<p class="note">Reproduces the experiments of the article "Introduction to Gradient Clipping Techniques with Tensorflow" with TensorFlow.js 4.22 and gradclip's clipping optimizer wrapper.
${study.runs.length} runs on ${escapeHtml(backends || 'no backend')}; finished ${escapeHtml(study.createdAt)}.</p>
${notes ? `<ul class="note">${notes}</ul>` : ''}
${hasRegression ? `<h2>The article's claims vs. what was measured</h2>\n${claimsHtml(claims)}` : ''}
${adaptive.length ? `<h2>Adaptive clipping: which method ended lowest</h2>\n${adaptiveHtml(adaptive)}` : ''}
<h2>Results</h2>
${tableHtml(study.runs)}
<h2>Plots</h2>
${sections.join('\n')}
</body></html>
`;
}
