/**
 * Every ```ts block of the root README and of this package's README runs, and every `//=>` output
 * it documents is compared with what the statement printed (convention and tolerance:
 * @gradclip/testing/readme-examples). The blocks import `gradclip` and `gradclip/node`, which
 * resolve to the built package (`npm run build` first). Blocks that use `model`, `x` or `y` without
 * declaring them get a small regression model and data; gradclip's functions used without an import
 * are imported for them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { outputMatches, readmeBlocks, runReadmeBlocks, type ReadmeBlock } from '@gradclip/testing/readme-examples';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));

const PRELUDE = (code: string): string => {
  const declares = (name: string) => new RegExp(`\\b(const|let|var)\\s+${name}\\b`).test(code);
  const lines = ["import * as __tf from '@tensorflow/tfjs';", "import * as __g from 'gradclip';", "__tf.env().set('PROD', true);"];
  const bare = (n: string) => new RegExp(`(^|[^.\\w])${n}\\b`).test(code) && !declares(n);
  if (!/import \* as tf from/.test(code) && /\btf\./.test(code)) lines.push('const tf = __tf;');
  const exported = ['clipByNorm', 'clipByValue', 'globalNorm', 'clipByGlobalNorm', 'getTotalNorm', 'clipGradsWithNorm', 'clipGradNorm', 'clipGradValue', 'withClipping', 'adam', 'sgd'];
  for (const n of exported) if (bare(n) && !new RegExp(`import[^;]*\\b${n}\\b[^;]*from`).test(code)) lines.push(`const ${n} = __g.${n};`);
  if (bare('model')) {
    lines.push(
      'const model = __tf.sequential({ layers: [__tf.layers.dense({ units: 4, inputShape: [3], activation: "relu", name: "first" }), __tf.layers.dense({ units: 1, name: "out" })] });',
    );
  }
  if (bare('x')) lines.push('const x = __tf.randomNormal([64, 3], 0, 1, "float32", 1);');
  if (bare('y')) lines.push('const y = __tf.randomNormal([64, 1], 0, 1, "float32", 2);');
  if (bare('model') && !/model\.compile/.test(code)) lines.push("model.compile({ optimizer: __g.withClipping(__tf.train.adam(0.01)), loss: 'meanSquaredError' });");
  return lines.join('\n') + '\n';
};

/** A block that is not in a README: one output that must match and one that must not, so the check is seen to fail. */
const CANARY: ReadmeBlock = {
  source: 'canary',
  line: 1,
  code: "import * as tf from '@tensorflow/tfjs';\ntf.tensor([0.1 + 0.2, 3]).print(); //=> [0.3, 3]\nconsole.log(1 + 1); //=> 3\n",
};

describe('README examples', () => {
  it('the output check: tfjs print normalised, numbers with tolerance, remarks ignored', () => {
    assert.ok(outputMatches('Tensor\n     [[0.2696799, 0.5393598],]', '[[0.26968, 0.53936]]'));
    assert.ok(outputMatches('Tensor\n    [[-2.4, 0, 0],\n     [3.2 , 0, 3]]', '[[-2.4, 0, 0], [3.2, 0, 3]]'));
    assert.ok(outputMatches('true 1', 'true 1'));
    assert.ok(outputMatches('[ true ]', '[true]'));
    assert.ok(outputMatches('[NaN, Infinity, -Infinity]', '[NaN, Infinity, -Infinity]'));
    assert.ok(!outputMatches('[0.6, 0.8]', '[0.6, 0.81]'));
    assert.ok(!outputMatches('[0.6, 0.8]', '[0.6]'));
    assert.ok(!outputMatches('NaN', '0'));
    assert.ok(!outputMatches('Infinity', '1e308'));
    assert.ok(!outputMatches('true', 'false'));
  });

  it('every example in README.md and packages/gradclip/README.md runs and prints what it documents', { timeout: 300_000 }, () => {
    const blocks = [...readmeBlocks(`${repo}README.md`, 'README.md'), ...readmeBlocks(`${pkg}README.md`, 'packages/gradclip/README.md')];
    assert.ok(blocks.length >= 25, `found only ${blocks.length} blocks`);
    const r = runReadmeBlocks([...blocks, CANARY], { snippetsDir: `${pkg}test/.snippets`, prelude: PRELUDE });
    assert.deepEqual(r.failures, [], r.failures.join('\n\n'));
    const canary = r.mismatches.filter((m) => m.startsWith('canary:'));
    assert.deepEqual(canary, ['canary:3: documented "3", printed "2"'], 'the check must catch a wrong output');
    assert.deepEqual(
      r.mismatches.filter((m) => !m.startsWith('canary:')),
      [],
    );
    assert.ok(r.checked >= 25, `only ${r.checked} documented outputs were checked`);
  });
});
