/**
 * Regenerates docs/playground.png, the picture in the READMEs: the default comparison (unscaled
 * regression, SGD lr 0.01: no clipping vs clipnorm 1 vs clipvalue 3 vs global norm 1) after
 * training, in headless Chromium. Run after `npm run build:playground`:
 *
 *   npm run screenshot -w @gradclip/playground
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath, launch } from '../test/browser.js';
import { serveStatic } from '../test/serve.js';

const app = fileURLToPath(new URL('..', import.meta.url));

if (chromiumPath() == null) {
  console.log('screenshot: no Chromium at /usr/bin/chromium (set GRADCLIP_CHROMIUM)');
} else {
  const server = await serveStatic(path.join(app, 'dist'));
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(server.url);
    await page.waitForFunction(() => (globalThis as unknown as { __playground?: { configured(): boolean } }).__playground?.configured() === true, null, { timeout: 60_000 });
    await page.click('[data-testid=play]');
    await page.waitForFunction(
      () => (globalThis as unknown as { __playground: { snapshot(): { runs: { status: string }[] } } }).__playground.snapshot().runs.every((r) => r.status === 'done' || r.status === 'diverged'),
      null,
      { timeout: 120_000, polling: 250 },
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(300); // the last animation frame
    const out = path.join(app, 'docs', 'playground.png');
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1400, height: 1000 } });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
    await server.close();
  }
}
