/**
 * A static file server for the built playground (node:http on 127.0.0.1, a free port), as any
 * static host would serve `dist/`: with COOP/COEP (`isolated: true`, for threaded wasm) or without.
 * It records every request that failed (404), for the "no failed requests" check.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.json': 'application/json',
  '.png': 'image/png',
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Paths that were requested but not found. */
  failed: string[];
  close(): Promise<void>;
}

/** Serves `root` (a directory); `extra` maps URL paths to files outside it (the benchmark's page). */
export async function serveStatic(root: string, options: { isolated?: boolean; extra?: Record<string, () => string | Buffer> } = {}): Promise<StaticServer> {
  const failed: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let rel = decodeURIComponent(url.pathname);
    const extra = options.extra?.[rel];
    let body: string | Buffer | null = null;
    if (extra != null) body = extra();
    else {
      if (rel.endsWith('/')) rel += 'index.html';
      const file = path.join(root, path.normalize(rel));
      if (file.startsWith(root) && existsSync(file) && statSync(file).isFile()) body = readFileSync(file);
    }
    if (req.method !== 'GET' || body == null) {
      failed.push(url.pathname);
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'Content-Type': TYPES[path.extname(rel)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' };
    if (options.isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    failed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
