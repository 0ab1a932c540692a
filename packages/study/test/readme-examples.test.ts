/**
 * Every ```ts block of this package's README runs, and every `//=>` output it documents is compared
 * with what the statement printed (convention and tolerance: @gradclip/testing/readme-examples).
 * The blocks import `@gradclip/study`, `@gradclip/study/node` and `gradclip`, which resolve to the
 * built packages (`npm run build` first).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readmeBlocks, runReadmeBlocks } from '@gradclip/testing/readme-examples';

const pkg = fileURLToPath(new URL('..', import.meta.url));

it('every example in packages/study/README.md runs and prints what it documents', { timeout: 300_000 }, () => {
  const blocks = readmeBlocks(`${pkg}README.md`, 'packages/study/README.md');
  assert.ok(blocks.length >= 5, `found only ${blocks.length} blocks`);
  const r = runReadmeBlocks(blocks, { snippetsDir: `${pkg}test/.snippets` });
  assert.deepEqual(r.failures, [], r.failures.join('\n\n'));
  assert.deepEqual(r.mismatches, []);
  assert.ok(r.checked >= 15, `only ${r.checked} documented outputs were checked`);
});
