/**
 * Every ```ts block of the README runs: each block becomes a module in test/.snippets/ (so that
 * `import … from 'gradclip'` resolves to the built package), and all of them run in one Node
 * process, one after the other, from a temporary working directory. Blocks that use `model`, `x` or
 * `y` without declaring them get a small regression model and data. A block that throws fails the test.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);

const PRELUDE = (code: string): string => {
  const declares = (name: string) => new RegExp(`\\b(const|let|var)\\s+${name}\\b`).test(code);
  const lines = [
    "import * as __tf from '@tensorflow/tfjs';",
    "import * as __g from 'gradclip';",
    "__tf.env().set('PROD', true);",
  ];
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

it(`all ${blocks.length} TypeScript examples in the README run`, { timeout: 300_000 }, () => {
  assert.ok(blocks.length >= 20, `found only ${blocks.length} blocks`);
  const dir = join(root, 'test/.snippets');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = blocks.map((code, i) => {
    const body = code.replace(/^(import [^;]+;\n)+/m, (imports) => imports);
    const imports = body.match(/^import [^\n]+\n/gm)?.join('') ?? '';
    const rest = body.replace(/^import [^\n]+\n/gm, '');
    const file = join(dir, `block-${String(i).padStart(2, '0')}.ts`);
    writeFileSync(file, `${imports}${PRELUDE(code)}\n${rest}\nexport {};\n`);
    return file;
  });
  const runner = join(dir, 'run.mjs');
  writeFileSync(
    runner,
    `const files = ${JSON.stringify(files)};\nconst failures = [];\nfor (const f of files) {\n  try { await import(f); } catch (e) { failures.push(f + ': ' + (e && e.stack || e)); }\n}\nprocess.stdout.write('\\n@@RESULT@@' + JSON.stringify(failures));\n`,
  );
  const cwd = mkdtempSync(join(tmpdir(), 'gradclip-readme-'));
  try {
    const out = execFileSync(process.execPath, ['--import', pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href, runner], { cwd, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    const failures = JSON.parse(out.slice(out.lastIndexOf('@@RESULT@@') + 10)) as string[];
    assert.deepEqual(failures, [], failures.join('\n\n'));
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
