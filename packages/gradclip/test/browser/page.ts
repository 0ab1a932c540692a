/**
 * The browser suite's page (bundled by browser.test.ts with esbuild: gradclip's public entry from
 * its built dist, and one copy of tfjs). It sets up one backend, runs every check in order and
 * returns a JSON summary; see protocol.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { adaptive2Checks } from './adaptive2-checks.js';
import { Checks, equal, ok } from './checks.js';
import { fastPathChecks, fitChecks, memoryChecks, transformFitChecks, useFloat16Textures, type FitTolerance } from './fit-checks.js';
import { float16Checks } from './float16-checks.js';
import { nonFiniteChecks } from './nonfinite-checks.js';
import { PAGE_GLOBAL, type PageApi, type PageConfig, type PageSummary } from './protocol.js';
import { saveChecks } from './save-checks.js';
import { vectorChecks } from './vector-checks.js';
import { wasmParityChecks } from './wasm-parity-checks.js';
import { webglClipChecks } from './webgl-clip-checks.js';

type Tol = { rtol: number; atol: number };

/**
 * Float16 storage (WEBGL_FORCE_F16_TEXTURES) keeps 11 significant bits (unit roundoff 2^-11 ≈ 4.9e-4)
 * and overflows above 65504: the reference vectors' float32 tolerances are widened to a few float16
 * roundings; overflow and NaN/Inf semantics are not relaxed.
 */
const F16_VECTOR_TOL: Tol = { rtol: 4e-3, atol: 1e-3 };
/** Final weights after the same fit steps, compared with the page's `cpu` backend. */
const F32_FIT_TOL: FitTolerance = { rtol: 1e-3, atol: 1e-4 };
const F16_FIT_TOL: FitTolerance = { rtol: 3e-2, atol: 3e-3 };

/** `SharedArrayBuffer` exists only in a cross-origin isolated page. */
function isShared(b: ArrayBufferLike | null): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer;
}

/** The wasm backend's emscripten heap (the threaded binary's is a SharedArrayBuffer). */
function wasmHeap(): ArrayBufferLike | null {
  const w = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array; wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  const mem = w?.asm?.memory ?? w?.wasmMemory;
  return mem?.buffer ?? w?.HEAPU8?.buffer ?? null;
}

function webglRenderer(): string | null {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (gl == null) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/** Why the backend cannot run in this browser (the suite then skips it), or null. */
async function unavailable(config: PageConfig, env: Record<string, unknown>): Promise<string | null> {
  if (config.backend === 'webgpu') {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<any> } }).gpu;
    if (gpu == null) return 'navigator.gpu is missing: this Chromium has no WebGPU (needs --enable-unsafe-webgpu on Linux and a secure context)';
    const adapter = await gpu.requestAdapter().catch((e: unknown) => {
      env.adapterError = String(e);
      return null;
    });
    if (adapter == null) return `navigator.gpu.requestAdapter() gave no adapter${env.adapterError ? ` (${env.adapterError})` : ''}: this Chromium cannot run WebGPU here (SwiftShader adapter: --use-webgpu-adapter=swiftshader)`;
    const info = adapter.info ?? {};
    env.adapter = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: adapter.isFallbackAdapter ?? info.isFallbackAdapter };
  }
  if (config.backend === 'webgl') {
    const renderer = webglRenderer();
    if (renderer == null) return 'no WebGL2 context in this Chromium';
    env.renderer = renderer;
  }
  return null;
}

/**
 * Keeps the webgpu backend usable after a check loses its GPU device (in this Chromium,
 * tfjs-webgpu's synchronous read does): that check fails, naming the loss, and the backend is
 * re-created for the next one. Returns the list of losses (filled as they happen).
 */
function watchWebgpuDevice(c: Checks): string[] {
  const factory = tf.findBackendFactory('webgpu');
  const losses: string[] = [];
  let lost: string | null = null;
  const watch = (): void => {
    const device = (tf.findBackend('webgpu') as unknown as { device?: { lost: Promise<{ reason: string; message: string }> } } | null)?.device;
    void device?.lost.then((i) => (lost = `${i.reason}: ${i.message}`));
  };
  watch();
  c.afterEach = async (r) => {
    if (lost == null) {
      // One asynchronous read on the device gives a loss the time to be reported.
      const probe = tf.tidy(() => tf.add(tf.zeros([1]), 1));
      await probe.data().catch(() => undefined);
      probe.dispose();
    }
    if (lost == null) return;
    losses.push(`${r.name} (${lost})`);
    r.status = 'fail';
    r.message = `the webgpu device was lost during this check (${lost})${r.message ? `; ${r.message}` : ''}`;
    lost = null;
    tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', factory, 3);
    if (!(await tf.setBackend('webgpu'))) throw new Error('could not re-create the webgpu backend after a device loss');
    watch();
  };
  return losses;
}

async function run(config: PageConfig): Promise<PageSummary> {
  const t0 = performance.now();
  const c = new Checks(config.only);
  const env: Record<string, unknown> = { userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency };
  const done = (): PageSummary => ({ label: config.label, env, checks: c.results, ms: Math.round(performance.now() - t0) });

  const why = await unavailable(config, env);
  if (why != null) return { ...done(), unavailable: why };

  for (const [k, v] of Object.entries(config.flags)) tf.env().set(k, v);
  setWasmPaths(config.wasmPath);
  let ready = false;
  await c.run(`env: tfjs initialises the '${config.backend}' backend`, async () => {
    ok(await tf.setBackend(config.backend), `tf.setBackend('${config.backend}') returned false (see the browser console)`);
    await tf.ready();
    equal(tf.getBackend(), config.backend, 'tf.getBackend()');
    ready = true;
  }, { always: true });
  if (!ready) return done();
  env.tfjs = tf.version.tfjs;
  env.backend = tf.getBackend();
  env.flags = Object.fromEntries(Object.keys(config.flags).map((k) => [k, tf.env().get(k)]));

  if (config.backend === 'webgpu') {
    env.deviceLosses = watchWebgpuDevice(c);
    await c.run('env: webgpu synchronous reads (dataSync) return the data and keep the device', () => {
      const got = Array.from(tf.add(tf.tensor([1, 2]), 1).dataSync());
      equal(JSON.stringify(got), '[2,3]', "tf.add([1, 2], 1).dataSync() (tfjs-webgpu reads synchronously through a canvas; gradclip's errorIfNonfinite, nonFinite 'error'/'skip' and step gates read synchronously)");
    });
  }
  if (config.backend === 'wasm') {
    env.threads = getThreadsCount();
    env.sharedMemory = isShared(wasmHeap());
    if (config.threaded) {
      await c.run('env: wasm runs its threaded binary (page cross-origin isolated, SharedArrayBuffer heap)', async () => {
        ok(self.crossOriginIsolated, 'the page is not cross-origin isolated (COOP/COEP headers missing)');
        ok(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'), 'WASM_HAS_MULTITHREAD_SUPPORT is false');
        ok(isShared(wasmHeap()), `the wasm heap is a ${wasmHeap()?.constructor.name}, not a SharedArrayBuffer`);
      });
    } else {
      await c.run('env: wasm runs its single-threaded binary (not cross-origin isolated)', () => {
        ok(!self.crossOriginIsolated, 'the page is cross-origin isolated');
        ok(!isShared(wasmHeap()), 'the wasm heap is a SharedArrayBuffer');
      });
    }
  }
  if (config.backend === 'webgl') {
    env.webglVersion = tf.env().get('WEBGL_VERSION');
    env.float32Render = tf.env().get('WEBGL_RENDER_FLOAT32_ENABLED');
    if (config.float16) {
      await c.run('env: webgl stores float16 (1 + 2^-12 reads back as 1 after a GPU op)', async () => {
        const got = (await tf.add(tf.tensor([1 + 2 ** -12]), 0).data())[0];
        equal(got, 1, 'value after a GPU op');
      });
    } else {
      await c.run('env: webgl stores float32 (1 + 2^-12 survives a GPU op)', async () => {
        ok(tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'), 'WEBGL_RENDER_FLOAT32_ENABLED is false');
        const got = (await tf.add(tf.tensor([1 + 2 ** -12]), 0).data())[0];
        equal(got, 1 + 2 ** -12, 'value after a GPU op');
      });
    }
  }

  const widen = (tol: Tol): Tol => (config.float16 ? { rtol: Math.max(tol.rtol, F16_VECTOR_TOL.rtol), atol: Math.max(tol.atol, F16_VECTOR_TOL.atol) } : tol);
  const fitTol = config.float16 ? F16_FIT_TOL : F32_FIT_TOL;
  try {
    await fastPathChecks(c, config.backend);
    await wasmParityChecks(c, config.backend);
    if (config.float16) useFloat16Textures();
    await float16Checks(c, config.float16);
    await nonFiniteChecks(c, config.float16 ? { rtol: F16_VECTOR_TOL.rtol } : null, widen, config.float16);
    await webglClipChecks(c, config.backend, config.float16 === true);
    await vectorChecks(c, config.vectors, widen, config.float16 ? config.backend : null);
    await adaptive2Checks(c, config.trajectories, widen, config.float16);
    await fitChecks(c, config.backend, fitTol);
    await transformFitChecks(c, config.backend, fitTol);
    await memoryChecks(c);
    await saveChecks(c, config.label, config.backend === 'webgl' || config.backend === 'webgpu');
  } catch (e) {
    // Only the harness itself throws outside a check (checks catch their own errors).
    c.fail('page: the suite ran to the end', `the page stopped in '${c.current ?? 'between checks'}': ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
  env.numTensorsAtEnd = tf.memory().numTensors;
  return done();
}

const api: PageApi = { run };
(globalThis as Record<string, unknown>)[PAGE_GLOBAL] = api;
document.title = 'gradclip browser suite: ready';
