/**
 * The browser suite: gradclip's public entry (built dist) and one copy of tfjs, bundled with
 * esbuild, run in headless Chromium once per backend — cpu, wasm, wasm threaded (page served
 * cross-origin isolated), webgl and webgl with float16 textures (SwiftShader), webgpu (SwiftShader
 * adapter). Each backend runs the float16 checks, the reference vectors, the adaptive2 trajectories
 * (AdaGC, SPAM, Stable-SPAM; adaptive2-checks.ts), the NaN/Inf cases (also
 * placed in vec4 tails and packed textures), the `withClipping` fit matrix, every transform in fit,
 * the numTensors checks and an IndexedDB save/load, prints one line, and fails on any failing
 * check. Float16 textures have explicit expectations where float16 cannot hold a value (see
 * nonfinite-checks.ts, vector-checks.ts, fit-checks.ts). See page.ts for the checks, harness.ts
 * for the flags.
 *
 *   npm run build && npm test -w gradclip                      # with the rest of the package
 *   node --import tsx --test packages/gradclip/test/browser/browser.test.ts
 *
 * Environment:
 * - GRADCLIP_BROWSER_BACKENDS=cpu,wasm   only these backends (labels: cpu, wasm, wasm-threaded,
 *   webgl, webgl-f16, webgpu)
 * - GRADCLIP_BROWSER_ONLY=fit/adam,nonfinite   only checks whose name contains one of these
 * - GRADCLIP_BROWSER_TIMEOUT_S=240   per backend (default 240)
 * - GRADCLIP_BROWSER_VERBOSE=1   also print what the page ran on, the time per group of checks, the
 *   slowest checks and the checks that left tensors behind
 * - GRADCLIP_CHROMIUM=/path/to/chromium   (default /usr/bin/chromium; absent: every backend is
 *   skipped with the reason)
 * - GRADCLIP_REFERENCE_DIR   other reference vectors, as for the Node tests
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { loadAllTrajectories } from '../helpers/spam-vectors.js';
import { loadVectors } from '../helpers/vectors.js';
import { DIST_ENTRY, bundlePage, chromiumPath, failureDetails, groupTimes, runBackend, selectedBackends, summaryLine, tally, type BackendResult } from './harness.js';
import { startServer, type SuiteServer } from './serve.js';

const chromium = chromiumPath();
const specs = selectedBackends();
const only = (process.env.GRADCLIP_BROWSER_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const verbose = process.env.GRADCLIP_BROWSER_VERBOSE === '1';
const timeoutMs = Number(process.env.GRADCLIP_BROWSER_TIMEOUT_S ?? 240) * 1000;
const NO_CHROMIUM = `no Chromium at ${process.env.GRADCLIP_CHROMIUM || '/usr/bin/chromium'} (apt-get install chromium, or set GRADCLIP_CHROMIUM): the browser suite did not run`;

/** The ten slowest checks (GRADCLIP_BROWSER_VERBOSE=1). */
function slowest(r: BackendResult): string[] {
  return [...(r.summary?.checks ?? [])]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10)
    .map((c) => `  ${(c.ms / 1000).toFixed(2)} s  ${c.name}`);
}

/** Checks after which more tensors were alive than before (GRADCLIP_BROWSER_VERBOSE=1). */
function leftovers(r: BackendResult): string[] {
  return (r.summary?.checks ?? []).filter((c) => (c.tensorsLeft ?? 0) !== 0).map((c) => `  ${c.tensorsLeft} tensor(s) left by ${c.name}`);
}

describe('browser suite (headless Chromium)', () => {
  let bundle: { code: string; inputs: string[] } | null = null;
  let server: SuiteServer | null = null;

  before(async () => {
    if (!existsSync(DIST_ENTRY)) throw new Error(`${DIST_ENTRY} is missing: run \`npm run build\` first (the page bundles gradclip's built dist)`);
    bundle = await bundlePage();
    if (chromium != null) server = await startServer(bundle.code);
  });

  after(async () => {
    await server?.close();
  });

  it("the page bundles gradclip's public entry (dist) with one copy of tfjs-core", () => {
    const inputs = bundle!.inputs;
    assert.ok(inputs.some((f) => /(^|\/)packages\/gradclip\/dist\/index\.js$/.test(f)), 'dist/index.js is in the bundle');
    assert.deepEqual(inputs.filter((f) => /packages\/gradclip\/src\//.test(f)), [], 'nothing from src/ (the page tests the built dist)');
    const cores = new Set(inputs.map((f) => /^(.*node_modules\/@tensorflow\/tfjs-core)\//.exec(f)?.[1]).filter(Boolean));
    assert.equal(cores.size, 1, `tfjs-core copies: ${[...cores].join(', ')}`);
  });

  for (const spec of specs) {
    it(`${spec.label}: every check passes`, async (t) => {
      if (chromium == null) {
        console.log(`${spec.label}: skipped, ${NO_CHROMIUM}`);
        t.skip(NO_CHROMIUM);
        return;
      }
      const r = await runBackend(spec, server!, chromium, loadVectors(), { timeoutMs, only, trajectories: loadAllTrajectories() });
      const line = summaryLine(r);
      const times = verbose ? [`  env: ${JSON.stringify(r.summary?.env ?? {})}`, `  time per group: ${groupTimes(r)}`, ...slowest(r), ...leftovers(r)] : [];
      console.log([line, ...failureDetails(r), ...times].join('\n'));
      if (r.summary?.unavailable) {
        t.skip(line);
        return;
      }
      assert.equal(r.error, null, line);
      const { passed, failed } = tally(r);
      assert.ok(passed > 0, `${spec.label}: no check ran`);
      assert.deepEqual(
        failed.map((c) => `${c.name}: ${c.message}`),
        [],
        line,
      );
    });
  }
});
