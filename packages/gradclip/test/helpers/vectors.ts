/**
 * Loads the anchors' reference vectors (`test/fixtures/clipping-vectors.json`, copied from the
 * project's shared reference set; see test/fixtures/README.md) at test time
 * and compares results with each vector's tolerance: |got - exp| <= atol + rtol*|exp|, NaN == NaN.
 * The encoding and comparison live in vector-compare.ts (no Node built-ins, shared with the
 * browser suite in test/browser); this file adds the loading from disk.
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Vector } from './vector-compare.js';

export { assertClose, assertTensorClose, flatten, num, toTensor, toTensors, type EncodedTensor, type Vector } from './vector-compare.js';

/** Path of the reference fixtures (in the repository), overridable with GRADCLIP_REFERENCE_DIR (e.g. to run held-back vectors). */
export function referenceDir(): string {
  return process.env.GRADCLIP_REFERENCE_DIR ?? fileURLToPath(new URL('../fixtures/', import.meta.url));
}

export function loadVectors(file = 'clipping-vectors.json'): Vector[] {
  const path = `${referenceDir()}/${file}`;
  if (!existsSync(path)) throw new Error(`reference vectors not found at ${path} (test/fixtures is part of the repository; GRADCLIP_REFERENCE_DIR overrides it)`);
  return JSON.parse(readFileSync(path, 'utf8')).vectors as Vector[];
}
