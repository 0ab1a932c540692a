/**
 * Headless Chromium for the workspace's browser tests (gradclip's browser suite, the playground's
 * tests, screenshots and benchmark): playwright-core with Debian's chromium, no browser download.
 * Offline-friendly flags: without them Chromium reaches for the (closed) network.
 */
import { existsSync } from 'node:fs';

/** Headless, offline-friendly Chromium flags, under every launch. */
export const CHROMIUM_ARGS: readonly string[] = [
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

/** WebGL on SwiftShader (ANGLE, software; slow). */
export const SWIFTSHADER_GL_ARGS: readonly string[] = ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/** The Chromium to drive: GRADCLIP_CHROMIUM, else Debian's /usr/bin/chromium; null when absent. */
export function chromiumPath(): string | null {
  const p = process.env.GRADCLIP_CHROMIUM || '/usr/bin/chromium';
  return existsSync(p) ? p : null;
}

/** playwright-core's `chromium.launch` options: headless, {@link CHROMIUM_ARGS} then `extraArgs`, a 60 s launch timeout. */
export function chromiumLaunchOptions(executablePath: string, extraArgs: readonly string[] = []): { executablePath: string; headless: true; args: string[]; timeout: number } {
  return { executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 60_000 };
}
