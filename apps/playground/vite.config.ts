/**
 * Vite builds the playground into static files (`dist/`): relative URLs (`base: './'`), so it works
 * from any folder of any static host; the worker is a separate module; `public/` (the .wasm files
 * of tfjs-backend-wasm and the MNIST subset, written by scripts/make-assets.ts) is copied as is.
 * The dev and preview servers send COOP/COEP, which makes the page cross-origin isolated so that
 * tfjs-backend-wasm can use its threaded binary; without them it uses the single-threaded SIMD one.
 */
import { defineConfig } from 'vite';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  server: { headers: isolation, host: '127.0.0.1', port: 5173 },
  preview: { headers: isolation, host: '127.0.0.1', port: 4173 },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4000, minify: false },
});
