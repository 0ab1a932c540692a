/**
 * The built playground in headless Chromium (playwright-core + Debian's chromium), served as a
 * static host would serve dist/. Skips, saying why, when Chromium is absent. Writes screenshots of
 * three states to test-output/ (start, a diverging run, four runs side by side).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { decodeEvents } from '../../../packages/gradclip/src/tensorboard/testing/decode-events.js';
import { configToQuery, queryToConfig } from '../src/url-state.js';
import type { PlaygroundConfig } from '../src/config.js';
import { SWIFTSHADER_ARGS, chromiumPath, launch } from './browser.js';
import { serveStatic, type StaticServer } from './serve.js';

const app = fileURLToPath(new URL('..', import.meta.url));
const STEPS = 1003;
const outDir = path.join(app, 'test-output');
const chromium = chromiumPath();
const skip = chromium == null ? 'no Chromium at /usr/bin/chromium (set GRADCLIP_CHROMIUM): browser tests skipped' : false;
if (skip) console.log(`# playground: ${skip}`);

interface Snapshot {
  stepsDone: number;
  points: { loss: number[]; gradNorm: number[]; clipRate: number[] };
  runs: { label: string; status: string; steps: number; finiteLosses: number; clippedSteps: number; markers: { kind: string; step: number }[]; events: { kind: string; step: number; message: string }[] }[];
}

/** A page that records console errors, page errors and failed requests. */
async function open(browser: Browser, url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console.error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as { __playground?: { configured(): boolean } }).__playground?.configured() === true, null, { timeout: 60_000 });
  return { page, problems };
}

const snapshot = (page: Page): Promise<Snapshot> => page.evaluate(() => (globalThis as unknown as { __playground: { snapshot(): Snapshot } }).__playground.snapshot());
const pageConfig = (page: Page): Promise<PlaygroundConfig> => page.evaluate(() => (globalThis as unknown as { __playground: { config(): PlaygroundConfig } }).__playground.config());
const memory = (page: Page): Promise<{ numTensors: number; steps: number }> =>
  page.evaluate(() => (globalThis as unknown as { __playground: { memory(): Promise<{ numTensors: number; steps: number }> } }).__playground.memory());

/** Waits until no run is training any more (each is done, diverged or stopped by an error). */
async function waitFinished(page: Page, timeout = 90_000): Promise<Snapshot> {
  await page.waitForFunction(
    () => {
      const s = (globalThis as unknown as { __playground: { snapshot(): Snapshot } }).__playground.snapshot();
      return s.stepsDone > 0 && s.runs.every((r) => r.status !== 'training' && r.status !== 'ready' && r.status !== 'paused');
    },
    null,
    { timeout, polling: 200 },
  );
  return snapshot(page);
}

describe('playground in the browser', { skip, timeout: 240_000 }, () => {
  let browser: Browser;
  let server: StaticServer;
  before(async () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: app, stdio: 'pipe' });
    mkdirSync(outDir, { recursive: true });
    server = await serveStatic(path.join(app, 'dist'));
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads with no console errors or failed requests; the diverging preset: NaN/Inf marker within 20 steps for the unclipped run, finite clipped runs, charts with points; responsive; no tensor leaks; downloads decode', async () => {
    // The default comparison, 1003 steps: the last step is then, like step 3, one where neither the
    // per-layer norms (every 10th step) nor gradientHealth (every 50th) keep per-variable statistics
    // tensors, so the worker's tensor counts after step 3 and after the last step must be equal.
    const { page, problems } = await open(browser, `${server.url}?steps=${STEPS}`);
    assert.match((await page.textContent('#backend-info')) ?? '', /backend wasm/);
    await page.screenshot({ path: path.join(outDir, 'start.png'), fullPage: true });

    // Three single steps create the optimizer slots; then the worker's tensor count must not grow.
    for (let i = 1; i <= 3; i++) {
      await page.click('[data-testid=step]');
      await page.waitForFunction((n) => (globalThis as unknown as { __playground: { snapshot(): Snapshot } }).__playground.snapshot().stepsDone >= n, i);
    }
    const m1 = await memory(page);
    assert.equal(m1.steps, 3);

    await page.click('[data-testid=play]');
    // The main thread answers clicks while the worker trains: each click's handler runs within
    // 100 ms of the input event (performance.now() - event.timeStamp, recorded by the page).
    const latencies = await page.evaluate(() => (globalThis as unknown as { __playground: { inputLatencies(): number[] } }).__playground.inputLatencies());
    let whileTraining = 0;
    for (let i = 0; i < 8; i++) {
      await page.click('.help summary');
      const st = await snapshot(page);
      if (st.runs.some((r) => r.status === 'training')) whileTraining += 1;
    }
    const all = await page.evaluate(() => (globalThis as unknown as { __playground: { inputLatencies(): number[] } }).__playground.inputLatencies());
    const clicks = all.slice(latencies.length);
    assert.ok(whileTraining >= 3, `${whileTraining} of 8 clicks happened while training`);
    assert.equal(clicks.length, 8);
    assert.ok(Math.max(...clicks) < 100, `click latencies while training: ${clicks.map((x) => x.toFixed(1)).join(', ')} ms`);

    await waitFinished(page);
    // The charts take a finished run's last points on their next redraw (an animation frame, at
    // most every MIN_REDRAW_MS): wait for it rather than race it.
    await page.waitForFunction(
      (steps) => {
        const p = (globalThis as unknown as { __playground: { snapshot(): Snapshot } }).__playground.snapshot().points;
        return p.loss.slice(1).every((n) => n === steps);
      },
      STEPS,
      { timeout: 10_000, polling: 100 },
    );
    const s = await snapshot(page);
    const [unclipped, ...clipped] = s.runs;
    const nan = unclipped.markers.find((m) => m.kind === 'nonfinite');
    assert.ok(nan != null && nan.step <= 20, `NaN/Inf marker of run 1: ${JSON.stringify(nan)}`);
    assert.equal(unclipped.status, 'diverged');
    assert.ok(unclipped.events.some((e) => e.kind === 'nonfinite'));
    assert.equal(await page.locator('#events [data-kind=nonfinite][data-run="0"]').count(), 1, 'the NaN/Inf message is shown');
    for (const r of clipped) {
      assert.equal(r.status, 'done', r.label);
      assert.equal(r.steps, STEPS, r.label);
      assert.equal(r.finiteLosses, r.steps, `${r.label}: every loss finite`);
      assert.ok(r.clippedSteps > 0, r.label);
    }
    assert.ok(s.points.loss.every((n) => n > 0), `loss points ${s.points.loss}`);
    assert.deepEqual(s.points.loss.slice(1), [STEPS, STEPS, STEPS]);
    assert.ok(s.points.gradNorm.every((n) => n > 0) && s.points.clipRate.every((n) => n > 0));
    const heat = await page.evaluate(() => {
      const c = document.querySelector('#heatmap canvas[data-run="1"]') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < d.length; i += 4) painted += d[i] > 0 ? 1 : 0;
      return painted / (d.length / 4);
    });
    assert.ok(heat > 0.5, `heat map painted ${heat}`);
    const m2 = await memory(page);
    assert.equal(m2.steps, STEPS);
    assert.equal(m2.numTensors, m1.numTensors, `worker tensors after 3 steps: ${m1.numTensors}, after ${STEPS}: ${m2.numTensors}`);
    await page.screenshot({ path: path.join(outDir, 'side-by-side.png'), fullPage: true });

    // Downloads: the CSV has a row per run and step; the TensorBoard ZIP decodes with the expected tags.
    const dir = mkdtempSync(path.join(tmpdir(), 'playground-dl-'));
    try {
      const [csvDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-csv]')]);
      const csvFile = path.join(dir, csvDl.suggestedFilename());
      await csvDl.saveAs(csvFile);
      const rows = readFileSync(csvFile, 'utf8').trim().split('\n');
      assert.equal(rows.length, 1 + s.runs.reduce((a, r) => a + r.steps, 0));
      assert.match(rows[0], /^run,label,step,epoch,loss,grad_norm,grad_norm_clipped,clipped,skipped,nonfinite_count,clip_rate,grad_norm\/dense_Dense\d+,grad_norm\/head$/);
      const [tbDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-tb]')]);
      const zipFile = path.join(dir, tbDl.suggestedFilename());
      await tbDl.saveAs(zipFile);
      execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zipFile, path.join(dir, 'tb')]);
      const runDirs = readdirSync(path.join(dir, 'tb')).sort();
      assert.equal(runDirs.length, 4);
      for (const [i, d] of runDirs.entries()) {
        const files = readdirSync(path.join(dir, 'tb', d));
        assert.equal(files.length, 1);
        assert.match(files[0], /^events\.out\.tfevents\.\d{10}\.browser\.v2$/);
        const events = decodeEvents(new Uint8Array(readFileSync(path.join(dir, 'tb', d, files[0]))));
        const tags = new Set(events.flatMap((e) => e.summary?.value.map((v) => v.tag) ?? []));
        for (const t of ['batch_loss', 'batch_grad_norm', 'batch_grad_norm_clipped', 'batch_clip_rate', 'batch_skipped', 'grad_norm/head']) assert.ok(tags.has(t), `${d}: tag ${t}`);
        const lossSteps = events.filter((e) => e.summary?.value[0].tag === 'batch_loss').map((e) => e.step);
        assert.equal(lossSteps.length, s.runs[i].steps, d);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(server.failed, []);
    await page.close();
  });

  it('a single unclipped run diverges and says so (screenshot)', async () => {
    const { page, problems } = await open(browser, `${server.url}?run=sgd,0.01,none,1,propagate&steps=200`);
    await page.click('[data-testid=play]');
    const s = await waitFinished(page);
    assert.equal(s.runs[0].status, 'diverged');
    assert.ok(s.runs[0].steps < 60);
    await page.screenshot({ path: path.join(outDir, 'diverging.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('the URL round-trips a configuration: loaded into the controls, and a changed control rewrites it', async () => {
    const query = 'problem=mnist&seed=7&batch=16&backend=cpu&steps=40&run=adam,0.002,agc,0.02,skip&run=rmsprop,0.0005,zclip,3,propagate';
    const expected: PlaygroundConfig = {
      problem: 'mnist',
      seed: 7,
      batchSize: 16,
      backend: 'cpu',
      steps: 40,
      runs: [
        { optimizer: 'adam', lr: 0.002, clip: 'agc', threshold: 0.02, nonFinite: 'skip' },
        { optimizer: 'rmsprop', lr: 0.0005, clip: 'zclip', threshold: 3, nonFinite: 'propagate' },
      ],
    };
    const { page, problems } = await open(browser, `${server.url}?${query}`);
    assert.deepEqual(await pageConfig(page), expected);
    assert.equal(await page.inputValue('[data-testid=problem]'), 'mnist');
    assert.equal(await page.inputValue('[data-testid=seed]'), '7');
    assert.equal(await page.inputValue('[data-testid=run0-clip]'), 'agc');
    assert.equal(await page.inputValue('[data-testid=run1-lr]'), '0.0005');
    assert.match((await page.textContent('#backend-info')) ?? '', /backend cpu .*2400 real MNIST digits/);
    assert.equal(new URL(page.url()).search.slice(1), configToQuery(expected));
    // Change one control: the URL follows, and opening it gives the same settings.
    await page.selectOption('[data-testid=run1-clip]', 'value');
    await page.waitForFunction(() => location.search.includes('value'));
    const changed = { ...expected, runs: [expected.runs[0], { ...expected.runs[1], clip: 'value' as const, threshold: 3 }] };
    assert.deepEqual(queryToConfig(new URL(page.url()).search), changed);
    const again = await open(browser, page.url());
    assert.deepEqual(await pageConfig(again.page), changed);
    assert.equal(await again.page.inputValue('[data-testid=run1-clip]'), 'value');
    // A bad link falls back to the default and says what was wrong.
    const bad = await open(browser, `${server.url}?seed=-4`);
    assert.match((await bad.page.textContent('#events')) ?? '', /`seed` must be an integer in \[0, 4294967295\]. Received: seed=-4/);
    assert.deepEqual([...problems, ...again.problems], []);
    await Promise.all([page.close(), again.page.close(), bad.page.close()]);
  });

  it('cross-origin isolated (COOP/COEP, as documented): wasm loads with threads', async () => {
    const isolated = await serveStatic(path.join(app, 'dist'), { isolated: true });
    try {
      const { page, problems } = await open(browser, `${isolated.url}?steps=20&run=adam,0.001,norm,1,propagate`);
      assert.equal(await page.evaluate(() => crossOriginIsolated), true);
      assert.match((await page.textContent('#backend-info')) ?? '', /backend wasm \(\d+ threads?\)/);
      await page.click('[data-testid=play]');
      const s = await waitFinished(page);
      assert.equal(s.runs[0].steps, 20);
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await isolated.close();
    }
  });

  it('webgl smoke (SwiftShader, in the worker through OffscreenCanvas): a few steps train', async () => {
    const gl = await launch(SWIFTSHADER_ARGS);
    try {
      const { page, problems } = await open(gl, `${server.url}?backend=webgl&steps=3&run=adam,0.001,norm,1,propagate`);
      assert.match((await page.textContent('#backend-info')) ?? '', /backend webgl/);
      await page.click('[data-testid=play]');
      const s = await waitFinished(page, 120_000);
      assert.equal(s.runs[0].steps, 3);
      assert.equal(s.runs[0].finiteLosses, 3);
      assert.deepEqual(problems, []);
    } finally {
      await gl.close();
    }
  });
});
