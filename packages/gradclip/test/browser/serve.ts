/**
 * A tiny static server for the browser suite (node:http, 127.0.0.1, a free port): the page, its
 * bundle and tfjs-backend-wasm's .wasm files. Paths under `/isolated/` are served with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`
 * (a cross-origin isolated page, which tfjs-backend-wasm's threaded binary needs); the same files
 * under `/plain/` are served without them.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface SuiteServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** The page's URL, cross-origin isolated or not. */
  pageUrl(isolated: boolean): string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.map': 'application/json' };

/** The directory holding tfjs-backend-wasm's .wasm files. */
export function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>gradclip browser suite</title></head>
<body><script type="module" src="page.js"></script></body></html>
`;

/** Serves `bundle` (the page's JavaScript) and the wasm files; resolves once listening. */
export async function startServer(bundle: string): Promise<SuiteServer> {
  const wasm = wasmDir();
  const files = new Map<string, () => Buffer | string>([
    ['index.html', () => PAGE_HTML],
    ['page.js', () => bundle],
  ]);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/(isolated|plain)\/(.*)$/.exec(url.pathname);
    if (req.method !== 'GET' || m == null) {
      res.writeHead(404).end();
      return;
    }
    const [, mode, rest] = m;
    const name = rest === '' ? 'index.html' : rest;
    let body: Buffer | string | null = null;
    const page = files.get(name);
    if (page != null) body = page();
    else if (/^wasm\/[\w.-]+\.wasm$/.test(name)) {
      try {
        body = readFileSync(path.join(wasm, path.basename(name)));
      } catch {
        body = null;
      }
    }
    if (body == null) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'Content-Type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' };
    if (mode === 'isolated') {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    pageUrl: (isolated) => `${origin}/${isolated ? 'isolated' : 'plain'}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
