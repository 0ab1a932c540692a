/**
 * Node side of the browser suite: the backends and their Chromium flags, the page bundle (esbuild),
 * and one headless Chromium per backend driven with playwright-core.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import type { Browser } from 'playwright-core';
import { CHROMIUM_ARGS, SWIFTSHADER_GL_ARGS, chromiumLaunchOptions, chromiumPath } from '@gradclip/testing/chromium';
import type { TrajectoryCase } from '../helpers/adaptive2-cases.js';
import type { Vector } from '../helpers/vector-compare.js';
import { PAGE_GLOBAL, PROGRESS_PREFIX, type CheckResult, type PageApi, type PageConfig, type PageSummary, type TfBackend } from './protocol.js';
import type { SuiteServer } from './serve.js';

export interface BackendSpec {
  label: string;
  backend: TfBackend;
  /** Serve the page cross-origin isolated (COOP/COEP) and require the threaded wasm binary. */
  threaded?: boolean;
  float16?: boolean;
  flags?: Record<string, boolean | number>;
  /** Chromium flags on top of {@link BASE_ARGS}. */
  args: string[];
}

/** Headless, offline-friendly Chromium (the workspace's flags, shared with the playground's tests). */
export const BASE_ARGS = CHROMIUM_ARGS;

/** WebGL on SwiftShader (the webgl backends and webgpu's canvas). */
const SWIFTSHADER_GL = [...SWIFTSHADER_GL_ARGS];

/**
 * The GPU backends run every op on the GPU: tfjs would otherwise run small ops (< 128 entries on
 * webgl, < 1000 on webgpu) whose inputs are on the CPU with its CPU kernels, and the checks' small
 * inputs stand for real, large gradients.
 */
const NO_CPU_FORWARD_WEBGL = { WEBGL_CPU_FORWARD: false };
const NO_CPU_FORWARD_WEBGPU = { WEBGPU_CPU_FORWARD: false };

export const BACKENDS: BackendSpec[] = [
  { label: 'cpu', backend: 'cpu', args: ['--disable-gpu'] },
  { label: 'wasm', backend: 'wasm', args: ['--disable-gpu'] },
  // The threaded binary and its shared memory are what this backend adds; tfjs picks the number of
  // threads itself (getThreadsCount() is 1 on a 2-core machine, even after setThreadsCount(2)).
  { label: 'wasm-threaded', backend: 'wasm', threaded: true, args: ['--disable-gpu'] },
  { label: 'webgl', backend: 'webgl', flags: { ...NO_CPU_FORWARD_WEBGL }, args: SWIFTSHADER_GL },
  { label: 'webgl-f16', backend: 'webgl', float16: true, flags: { ...NO_CPU_FORWARD_WEBGL, WEBGL_FORCE_F16_TEXTURES: true }, args: SWIFTSHADER_GL },
  // Vulkan on SwiftShader too: without it the adapter works but tfjs-webgpu's synchronous read (a
  // WebGPU canvas drawn into a 2D canvas) returns zeros and loses the device.
  {
    label: 'webgpu',
    backend: 'webgpu',
    flags: { ...NO_CPU_FORWARD_WEBGPU },
    args: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', ...SWIFTSHADER_GL, '--enable-features=Vulkan', '--use-vulkan=swiftshader'],
  },
];

/** The backends named by GRADCLIP_BROWSER_BACKENDS (comma-separated labels; all when unset or empty). */
export function selectedBackends(env = process.env.GRADCLIP_BROWSER_BACKENDS): BackendSpec[] {
  const names = (env ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return BACKENDS;
  const unknown = names.filter((n) => !BACKENDS.some((b) => b.label === n));
  if (unknown.length > 0) throw new Error(`GRADCLIP_BROWSER_BACKENDS: unknown backend(s) ${unknown.join(', ')}; known: ${BACKENDS.map((b) => b.label).join(', ')}`);
  return BACKENDS.filter((b) => names.includes(b.label));
}

/** The Chromium to drive (GRADCLIP_CHROMIUM, else Debian's /usr/bin/chromium; null when absent). */
export { chromiumPath };

export const DIST_ENTRY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Bundles page.ts (with gradclip's dist and tfjs) for the browser; returns the code and its inputs. */
export async function bundlePage(): Promise<{ code: string; inputs: string[] }> {
  const r = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // tfjs-backend-wasm's emscripten glue mentions Node built-ins behind runtime checks.
    external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto'],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  // Metafile inputs are relative to the working directory.
  return { code: r.outputFiles[0].text, inputs: Object.keys((r.metafile as Metafile).inputs).map((f) => path.resolve(f)) };
}

export interface BackendResult {
  label: string;
  summary: PageSummary | null;
  /** The runner's own failure (launch, page crash, timeout), or null. */
  error: string | null;
  /** Page errors and console errors seen while the suite ran. */
  console: string[];
  ms: number;
}

/** Runs the page for one backend in a fresh Chromium and returns what it reported. */
export async function runBackend(
  spec: BackendSpec,
  server: SuiteServer,
  executablePath: string,
  vectors: Vector[],
  options: { timeoutMs: number; only: string[]; trajectories?: TrajectoryCase[] },
): Promise<BackendResult> {
  const { chromium } = await import('playwright-core');
  const t0 = Date.now();
  const consoleLines: string[] = [];
  // The page's progress lines: what ran so far survives a crash or a timeout.
  const progress: { current: string | null; checks: CheckResult[] } = { current: null, checks: [] };
  let browser: Browser | null = null;
  const result = (summary: PageSummary | null, error: string | null): BackendResult => ({ label: spec.label, summary, error, console: consoleLines, ms: Date.now() - t0 });
  const partial = (error: string): BackendResult =>
    result({ label: spec.label, env: {}, checks: progress.checks, ms: Date.now() - t0 }, `${error}${progress.current ? ` (in check '${progress.current}')` : ''}`);
  try {
    browser = await chromium.launch(chromiumLaunchOptions(executablePath, spec.args));
    const page = await browser.newPage();
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      const text = m.text();
      if (m.type() === 'debug' && text.startsWith(PROGRESS_PREFIX)) {
        const p = JSON.parse(text.slice(PROGRESS_PREFIX.length)) as { start?: string; result?: CheckResult };
        if (p.start != null) progress.current = p.start;
        if (p.result != null) {
          progress.checks.push(p.result);
          progress.current = null;
        }
      } else if (m.type() === 'error') consoleLines.push(`console.error: ${text}`);
    });
    page.on('crash', () => consoleLines.push('page crashed'));
    const url = server.pageUrl(spec.threaded === true);
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction((g) => g in globalThis, PAGE_GLOBAL, { timeout: 60_000 });
    const config: PageConfig = {
      label: spec.label,
      backend: spec.backend,
      flags: spec.flags ?? {},
      threaded: spec.threaded === true,
      float16: spec.float16 === true,
      wasmPath: `${url}wasm/`,
      vectors,
      trajectories: options.trajectories ?? [],
      only: options.only,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs)));
    const run = page.evaluate(([g, c]) => ((globalThis as Record<string, unknown>)[g as string] as PageApi).run(c as PageConfig), [PAGE_GLOBAL, config] as const);
    const out = await Promise.race([run, timeout]).finally(() => clearTimeout(timer));
    if (out === 'timeout') {
      run.catch(() => undefined);
      return partial(`timed out after ${options.timeoutMs / 1000} s`);
    }
    return result(out, null);
  } catch (e) {
    return partial(e instanceof Error ? e.message.split('\n')[0].trim() : String(e));
  } finally {
    await browser?.close().catch(() => undefined);
  }
}

/** Counts of a backend's checks, and the failing ones. */
export function tally(r: BackendResult): { passed: number; failed: CheckResult[]; skipped: CheckResult[] } {
  const checks = r.summary?.checks ?? [];
  return {
    passed: checks.filter((c) => c.status === 'pass').length,
    failed: checks.filter((c) => c.status === 'fail'),
    skipped: checks.filter((c) => c.status === 'skip'),
  };
}

/** The backend's one-line report: `webgl: 212 passed, 3 failed (a, b, c), 5 skipped [41.2 s]`. */
export function summaryLine(r: BackendResult): string {
  const secs = `[${(r.ms / 1000).toFixed(1)} s]`;
  if (r.summary?.unavailable) return `${r.label}: skipped, backend unavailable: ${r.summary.unavailable} ${secs}`;
  const { passed, failed, skipped } = tally(r);
  const parts = [`${passed} passed`, `${failed.length} failed${failed.length ? ` (${failed.map((c) => c.name).join('; ')})` : ''}`];
  if (skipped.length) parts.push(`${skipped.length} skipped`);
  if (r.error) parts.push(`ERROR: ${r.error}`);
  return `${r.label}: ${parts.join(', ')} ${secs}`;
}

/** Lines that explain each failure (printed under the summary line). */
export function failureDetails(r: BackendResult): string[] {
  const lines = tally(r).failed.map((c) => `  ✗ ${c.name}\n      ${c.message ?? ''}`);
  if (r.console.length) lines.push(...r.console.slice(0, 20).map((l) => `  browser ${l}`));
  return lines;
}

/** Seconds spent per group of checks (the part of the name before the first '/' or ':'), slowest first. */
export function groupTimes(r: BackendResult): string {
  const groups = new Map<string, { ms: number; n: number }>();
  for (const c of r.summary?.checks ?? []) {
    const g = /^[^/:]+/.exec(c.name)?.[0] ?? c.name;
    const e = groups.get(g) ?? { ms: 0, n: 0 };
    e.ms += c.ms;
    e.n += 1;
    groups.set(g, e);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([g, e]) => `${g} ${(e.ms / 1000).toFixed(1)} s (${e.n})`)
    .join(', ');
}
