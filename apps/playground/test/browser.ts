/**
 * Headless Chromium for the playground's tests, screenshots and benchmark (playwright-core with
 * Debian's chromium; no browser download). The offline-friendly flags and the launch options are
 * the workspace's (@gradclip/testing/chromium), shared with gradclip's browser suite.
 */
import type { Browser } from 'playwright-core';
import { CHROMIUM_ARGS, SWIFTSHADER_GL_ARGS, chromiumLaunchOptions, chromiumPath } from '@gradclip/testing/chromium';

export { CHROMIUM_ARGS, chromiumPath };

/** WebGL on SwiftShader (software; slow), for the webgl smoke check. */
export const SWIFTSHADER_ARGS = [...SWIFTSHADER_GL_ARGS];

/** Launches headless Chromium (throws when it is absent: check {@link chromiumPath} first). */
export async function launch(extraArgs: string[] = []): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath == null) throw new Error('no Chromium: install Debian\'s chromium or set GRADCLIP_CHROMIUM');
  const { chromium } = await import('playwright-core');
  return chromium.launch(chromiumLaunchOptions(executablePath, extraArgs));
}
