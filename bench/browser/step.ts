/**
 * One training step of the article's MLP and CNN with and without clipping, in headless Chromium,
 * on `webgl` (SwiftShader: a CPU emulation of a GPU, so absolute times say nothing about a real GPU;
 * ratios say what gradclip adds per step) and threaded `wasm` (cross-origin-isolated page). Prints
 * medians and clipped/bare ratios measured in one run.
 *
 *   npm run build && npx tsx bench/browser/step.ts [--rounds 30] [--warmup 5] [--backends webgl,wasm-threaded] [--clip clipnorm=1]
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { BASE_ARGS, BACKENDS, chromiumPath } from '../../packages/gradclip/test/browser/harness.js';
import { startServer } from '../../packages/gradclip/test/browser/serve.js';
import type { BenchConfig, BenchRow, ProfileRow } from './step-page.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] != null ? process.argv[i + 1] : fallback;
}

const rounds = Number(arg('rounds', '30'));
const warmup = Number(arg('warmup', '5'));
const labels = arg('backends', 'webgl,wasm-threaded').split(',');
const [clipKey, clipValue] = arg('clip', 'clipnorm=1').split('=');
const profiling = process.argv.includes('--profile');
const exe = chromiumPath();
if (exe == null) {
  console.error('no Chromium found (Debian: apt-get install chromium)');
  process.exit(1);
}

const bundle = await build({
  entryPoints: [fileURLToPath(new URL('./step-page.ts', import.meta.url))],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  write: false,
  logLevel: 'silent',
});
const server = await startServer(bundle.outputFiles[0].text);
const { chromium } = await import('playwright-core');
console.log(`clip ${clipKey}=${clipValue}; ${rounds} rounds after ${warmup} warm-up; medians of per-step times (trainOnBatch, loss read)`);
try {
  for (const label of labels) {
    const spec = BACKENDS.find((b) => b.label === label);
    if (spec == null || (spec.backend !== 'webgl' && spec.backend !== 'wasm')) throw new Error(`unknown or unsupported backend '${label}'`);
    const browser = await chromium.launch({ executablePath: exe, args: [...BASE_ARGS, ...spec.args], headless: true });
    try {
      const page = await browser.newPage();
      const url = server.pageUrl(spec.threaded === true);
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => 'gradclipBench' in globalThis, undefined, { timeout: 60_000 });
      const config: BenchConfig = { backend: spec.backend, wasmPath: `${url}wasm/`, flags: spec.flags ?? {}, rounds, warmup, clip: { [clipKey]: Number(clipValue) } };
      if (profiling) {
        const rows = (await page.evaluate(
          (c) => (globalThis as unknown as { gradclipProfile: { profile: (c: BenchConfig) => Promise<unknown> } }).gradclipProfile.profile(c),
          config,
        )) as ProfileRow[];
        console.log(`\n${label}: kernels (tf.profile) and WebGL programs of one step`);
        for (const r of rows) {
          console.log(`${r.network} ${r.which}: ${r.kernels} kernels, ${r.programs} programs`);
          console.log('  ' + Object.entries(r.byKernel).map(([k, n]) => `${k} ${n}`).join(', '));
        }
        continue;
      }
      const out = (await page.evaluate(
        (c) => (globalThis as unknown as { gradclipBench: { run: (c: BenchConfig) => Promise<unknown> } }).gradclipBench.run(c),
        config,
      )) as { backend: string; threads: number | null; rows: BenchRow[] };
      console.log(`\n${label} (backend ${out.backend}${out.threads != null ? `, ${out.threads} thread(s)` : ''})`);
      console.log('network'.padEnd(42) + 'bare ms'.padStart(10) + 'clipped ms'.padStart(12) + 'clipped/bare'.padStart(14));
      for (const r of out.rows) console.log(r.network.padEnd(42) + r.bareMs.toFixed(2).padStart(10) + r.clippedMs.toFixed(2).padStart(12) + r.ratio.toFixed(3).padStart(14));
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
