/**
 * What the playground costs per training step: the playground (worker, monitors, per-layer
 * statistics, live charts) against a plain page doing the same step on its main thread
 * (scripts/plain-page.ts), in headless Chromium, interleaved (plain, playground, plain, playground),
 * one run each, on the wasm backend. Prints a Markdown table of medians and ratios.
 *
 *   npm run build:playground && npm run bench -w @gradclip/playground [-- --rounds 3]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { chromiumPath, launch } from '../test/browser.js';
import { serveStatic } from '../test/serve.js';

const app = fileURLToPath(new URL('..', import.meta.url));

/** The cases: a query (one run) and how many steps to time. */
const CASES = [
  { name: 'regression MLP, Adam, clipnorm 1, batch 32', query: 'problem=regression&batch=32&run=adam,0.001,norm,1,propagate', steps: 3000, warmup: 200 },
  { name: 'MNIST MLP, Adam, clipnorm 1, batch 32', query: 'problem=mnist&batch=32&run=adam,0.001,norm,1,propagate', steps: 600, warmup: 50 },
  { name: 'CIFAR-style CNN, momentum, global norm 2, batch 4', query: 'problem=cnn&batch=4&run=momentum,0.001,global-norm,2,propagate', steps: 600, warmup: 50 },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function plain(page: Page, url: string, steps: number, warmup: number): Promise<number> {
  await page.goto(url);
  await page.waitForFunction(() => '__plain' in globalThis);
  const r = await page.evaluate(
    ([s, w]) => (globalThis as unknown as { __plain: { run(s: number, w: number): Promise<{ msPerStep: number }> } }).__plain.run(s, w),
    [steps, warmup] as const,
  );
  return r.msPerStep;
}

async function playground(page: Page, url: string, warmup: number): Promise<number> {
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as unknown as { __playground?: { configured(): boolean } }).__playground?.configured() === true, null, { timeout: 60_000 });
  await page.click('[data-testid=play]');
  await page.waitForFunction(
    () => (globalThis as unknown as { __playground: { snapshot(): { runs: { status: string }[] } } }).__playground.snapshot().runs.every((r) => r.status === 'done'),
    null,
    { timeout: 300_000, polling: 250 },
  );
  const timeline = await page.evaluate(() => (globalThis as unknown as { __playground: { timeline(): [number, number][] } }).__playground.timeline());
  // Worker-clock time from the first batch past the warm-up to the last: everything the worker did.
  const start = timeline.find(([, s]) => s >= warmup)!;
  const end = timeline[timeline.length - 1];
  return (end[0] - start[0]) / (end[1] - start[1]);
}

async function main(): Promise<void> {
  if (chromiumPath() == null) {
    console.log('bench-step: no Chromium at /usr/bin/chromium (set GRADCLIP_CHROMIUM); nothing measured');
    return;
  }
  const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 2;
  const bundle = await build({
    entryPoints: [path.join(app, 'scripts/plain-page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto'],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const html = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="plain.js"></script>';
  const server = await serveStatic(path.join(app, 'dist'), { extra: { '/plain.html': () => html, '/plain.js': () => bundle.outputFiles[0].text } });
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  console.log(`| step | plain page (ms/step) | playground (ms/step) | playground / plain |\n|---|---:|---:|---:|`);
  try {
    for (const c of CASES) {
      const p: number[] = [];
      const g: number[] = [];
      for (let r = 0; r < rounds; r++) {
        p.push(await plain(page, `${server.url}plain.html?${c.query}&backend=wasm`, c.steps, c.warmup));
        g.push(await playground(page, `${server.url}?${c.query}&backend=wasm&steps=${c.steps + c.warmup}`, c.warmup));
      }
      const ratio = median(g) / median(p);
      console.log(`| ${c.name} | ${median(p).toFixed(3)} (${p.map((x) => x.toFixed(3)).join(', ')}) | ${median(g).toFixed(3)} (${g.map((x) => x.toFixed(3)).join(', ')}) | **${ratio.toFixed(2)}** |`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
