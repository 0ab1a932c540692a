/**
 * Headless Chromium for the playground's tests, screenshots and benchmark (playwright-core with
 * Debian's chromium; no browser download). Offline-friendly flags: without them Chromium reaches
 * for the (closed) network.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-quic',
  '--disable-features=Translate,OptimizationHints,MediaRouter',
];

/** WebGL on SwiftShader (software; slow), for the webgl smoke check. */
export const SWIFTSHADER_ARGS = ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/** The Chromium to drive: GRADCLIP_CHROMIUM, else Debian's /usr/bin/chromium; null when absent. */
export function chromiumPath(): string | null {
  const p = process.env.GRADCLIP_CHROMIUM || '/usr/bin/chromium';
  return existsSync(p) ? p : null;
}

/** Launches headless Chromium (throws when it is absent: check {@link chromiumPath} first). */
export async function launch(extraArgs: string[] = []): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath == null) throw new Error('no Chromium: install Debian\'s chromium or set GRADCLIP_CHROMIUM');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 60_000 });
}
