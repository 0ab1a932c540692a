/**
 * What the Node runner (browser.test.ts, harness.ts) hands the page and what the page hands back:
 * plain JSON, typed once for both sides (type-only imports, nothing that runs).
 */
import type { TrajectoryCase } from '../helpers/adaptive2-cases.js';
import type { Vector } from '../helpers/vector-compare.js';

/** The tfjs backends the page can run on. */
export type TfBackend = 'cpu' | 'wasm' | 'webgl' | 'webgpu';

export interface PageConfig {
  /** The suite's backend label: `cpu`, `wasm`, `wasm-threaded`, `webgl`, `webgl-f16`, `webgpu`. */
  label: string;
  /** The tfjs backend to set. */
  backend: TfBackend;
  /** tfjs flags set before the backend initialises (e.g. `WEBGL_FORCE_F16_TEXTURES`). */
  flags: Record<string, boolean | number>;
  /** The page must be cross-origin isolated and the wasm backend must run its threaded binary. */
  threaded: boolean;
  /** Values are stored as float16 (WEBGL_FORCE_F16_TEXTURES): comparisons use float16 tolerances. */
  float16: boolean;
  /** Where the tfjs-backend-wasm `.wasm` files are served. */
  wasmPath: string;
  /** The reference vectors (test/fixtures/clipping-vectors.json, or GRADCLIP_REFERENCE_DIR's). */
  vectors: Vector[];
  /** The adaptive2 trajectories (test/fixtures/adaptive2-vectors.json: AdaGC, SPAM, Stable-SPAM), or GRADCLIP_REFERENCE_DIR's. */
  trajectories: TrajectoryCase[];
  /** Only run checks whose name contains one of these (all when empty). */
  only: string[];
}

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** Why it failed or was skipped. */
  message?: string;
  ms: number;
  /** `tf.memory().numTensors` after the check minus before it (diagnostic only, printed with GRADCLIP_BROWSER_VERBOSE=1). */
  tensorsLeft?: number;
}

export interface PageSummary {
  label: string;
  /** Set when the backend cannot run in this Chromium (e.g. no WebGPU adapter): the backend is skipped. */
  unavailable?: string;
  /** What the page ran on: tfjs backend, renderer / adapter, isolation, thread count… */
  env: Record<string, unknown>;
  checks: CheckResult[];
  ms: number;
}

/** What the page exposes on `globalThis`. */
export interface PageApi {
  run(config: PageConfig): Promise<PageSummary>;
}

export const PAGE_GLOBAL = 'gradclipBrowserSuite';

/** Prefix of the page's progress lines (console.debug): `{"start": name}` or `{"result": CheckResult}`. */
export const PROGRESS_PREFIX = 'gradclip-browser-suite:';
