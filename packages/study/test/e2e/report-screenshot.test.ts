/** Optional: the report renders in headless Chromium (skipped when no Chromium is installed). */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { renderReport } from '../../src/report/render-report.js';
import { fakeStudy } from '../../src/report/testing/fixtures.js';

function findChromium(): string | null {
  for (const bin of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

it('the report renders to a non-empty screenshot in headless Chromium, offline', async (t) => {
  const chromium = findChromium();
  if (!chromium) {
    t.skip('chromium not installed');
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'gradclip-shot-'));
  try {
    const html = path.join(dir, 'report.html');
    const png = path.join(dir, 'report.png');
    writeFileSync(html, await renderReport(fakeStudy()));
    const r = spawnSync(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-network', '--window-size=1400,3000', `--screenshot=${png}`, `file://${html}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(statSync(png).size > 10_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
