/**
 * Test harness: bundle an entry point for the browser with esbuild, as an app's bundler would, and
 * report what went in. A Node built-in anywhere in the graph fails the build on `platform: 'browser'`.
 */
import { build, type Metafile } from 'esbuild';

/** The bundle of `entry` (tfjs left external, as an app provides it), its inputs, and esbuild's errors. */
export async function bundleForBrowser(entry: string): Promise<{ inputs: string[]; bytes: number; errors: string[] }> {
  try {
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'],
    });
    const meta = r.metafile as Metafile;
    return { inputs: Object.keys(meta.inputs), bytes: r.outputFiles.reduce((a, f) => a + f.contents.length, 0), errors: [] };
  } catch (e) {
    const errors = (e as { errors?: { text: string }[] }).errors?.map((x) => x.text) ?? [String(e)];
    return { inputs: [], bytes: 0, errors };
  }
}
