/** The root entry (`gradclip`) bundles for the browser with no Node built-ins; `gradclip/node` does not. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { bundleForBrowser } from '@gradclip/testing/bundle';

const dist = (f: string): string => fileURLToPath(new URL(`../../dist/${f}`, import.meta.url));

it('gradclip bundles for the browser: no node: modules and no terminal or report libraries', async () => {
  const r = await bundleForBrowser(dist('index.js'));
  assert.deepEqual(r.errors, []);
  assert.ok(r.inputs.some((f) => f.endsWith('optimizer/clipped-optimizer.js')));
  for (const bad of [/^node:/, /node_modules\/(vega|vega-lite|commander|cli-progress)\//]) {
    assert.deepEqual(r.inputs.filter((f) => bad.test(f)), [], `nothing matching ${bad}`);
  }
});

it('gradclip/node does not bundle for the browser (it writes files): the check can fail', async () => {
  const r = await bundleForBrowser(dist('node.js'));
  assert.ok(r.errors.some((e) => /node:(fs|path|os)|"fs"|"path"/.test(e)), r.errors.join('\n'));
});
