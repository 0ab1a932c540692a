import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from './render-report.js';
import { fakeRun, fakeStudy } from './testing/fixtures.js';

describe('renderReport', () => {
  it('is self-contained: no scripts, stylesheets, images or URLs', async () => {
    const html = await renderReport(fakeStudy());
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<link/i);
    assert.doesNotMatch(html, /<img/i);
    assert.doesNotMatch(html, /@import|url\(/i);
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /\b(src|href)=/i);
  });

  it('has a loss plot and a gradient-norm plot per group as inline SVG', async () => {
    const html = await renderReport(fakeStudy());
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    assert.equal(svgs.length, 2 * 4);
    assert.match(html, /loss per epoch/);
    assert.match(html, /gradient norm per step/);
    assert.match(html, /log scale/);
    assert.match(html, /non-finite at step 8/, 'NaN marker label on the norm plot');
    assert.match(html, /Infinity at step 9/, 'NaN marker label on the loss plot');
  });

  it('has the results table and the claims with verdicts', async () => {
    const html = await renderReport(fakeStudy());
    assert.match(html, /<table>/);
    assert.match(html, /<td class="l">normal-adam-norm-1<\/td>/);
    assert.match(html, /final val loss/);
    assert.match(html, /the loss becomes nan/);
    assert.match(html, /held only in some regime/);
    assert.match(html, /not a solution to failure to perform proper data preprocessing/);
  });

  it('escapes text', async () => {
    const s = fakeStudy();
    s.notes = ['<b>&</b>'];
    const html = await renderReport(s);
    assert.match(html, /&lt;b&gt;&amp;&lt;\/b&gt;/);
  });

  it('shows the adaptive summary (and no article claims) for a study of adaptive methods', async () => {
    const g = 'CNN (adaptive clipping)';
    const runs = [fakeRun('cnn-none', g, { finalVal: 2 }), fakeRun('cnn-autoclip-10', g, { clip: { transform: { name: 'autoClip', args: [{ percentile: 10 }] } }, finalVal: 1 })];
    for (const r of runs) r.spec.data = { kind: 'cifar', nTrain: 40, nTest: 20 };
    const html = await renderReport({ ...fakeStudy(), study: 'adaptive', runs });
    assert.match(html, /Adaptive clipping: which method ended lowest/);
    assert.match(html, /lowest final val loss with autoclip=10/);
    assert.match(html, /<td class="l">autoclip=10<\/td>/);
    assert.doesNotMatch(html, /the loss becomes nan/);
    const regression = await renderReport(fakeStudy());
    assert.doesNotMatch(regression, /Adaptive clipping/);
  });
});
