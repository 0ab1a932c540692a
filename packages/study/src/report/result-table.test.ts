import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderCsv, renderMarkdownTable, renderTextTable } from './result-table.js';
import { fakeStudy } from './testing/fixtures.js';

describe('result tables', () => {
  const runs = fakeStudy().runs;

  it('markdown: a header, a separator and one row per run', () => {
    const lines = renderMarkdownTable(runs).trimEnd().split('\n');
    assert.equal(lines.length, 2 + runs.length);
    assert.match(lines[0], /^\| group \| configuration \| optimizer \| clip \|/);
    assert.match(lines[1], /^\|---\|---\|/);
    assert.match(lines.find((l) => l.includes('normal-sgd-none')) ?? '', /\| 9 \(Infinity\) \|/);
  });

  it('CSV: raw numbers, empty cells for non-finite values, quoted when needed', () => {
    const lines = renderCsv(runs).trimEnd().split('\n');
    assert.equal(lines.length, 1 + runs.length);
    assert.equal(lines[0].split(',').length, 17);
    const sgd = lines.find((l) => l.includes('normal-sgd-none')) as string;
    assert.match(sgd, /,9,Infinity,/);
    assert.match(sgd, /sgd,0.01,none,1,5,,,,/);
  });

  it('names SPAM / Stable-SPAM reset intervals and the share of steps they clipped inside the optimizer', () => {
    const [r] = fakeStudy().runs;
    const spam = { ...r, spec: { ...r.spec, optimizer: { name: 'spam' as const, learningRate: 0.001, resetInterval: 63 } } };
    spam.optimizerClipping = { clippedEntries: [0, 2, 0, 1], entries: 10, clipRate: 0.5, meanClippedFraction: 0.075, momentumResets: [] };
    const row = renderMarkdownTable([spam, r]).trimEnd().split('\n');
    assert.match(row[2], /\| spam lr 0\.001 ΔT 63 \| none \| .* \| 0\.0% \(in optimizer 50\.0%\) \|/);
    assert.doesNotMatch(row[3], /in optimizer/, 'other optimizers: the wrapper clip rate only');
  });

  it('text: groups as headings, NaN printed', () => {
    const t = renderTextTable(runs);
    assert.match(t, /^-- unscaled data · SGD lr 0.01/m);
    assert.match(t, /normal-sgd-none .* NaN/);
  });

  it('text: says under each group which data its runs used, once per source', () => {
    const study = fakeStudy().runs.slice(0, 3); // one group, one source
    study[2] = { ...study[2], data: { ...study[2].data, source: 'Fashion-MNIST from /x (real images)' } };
    const lines = renderTextTable(study).split('\n');
    assert.deepEqual(lines.slice(1, 4), [
      '-- normal data · Adam (article)',
      '   data: make_regression(n_samples=10000, n_features=30, random_state=65)',
      '   data: Fashion-MNIST from /x (real images)',
    ]);
    assert.equal(lines.length, 1 + 3 + 3);
  });
});
