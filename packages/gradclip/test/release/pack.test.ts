/**
 * The library as a user gets it: `npm pack` (prepack builds), installed into an empty project that
 * has only `@tensorflow/tfjs` beside it. A strict `nodenext` TypeScript consumer typechecks and runs,
 * (`skipLibCheck`, as tfjs's own declarations need), a `node10` consumer gets the types, the production tree holds no report or CLI tooling, and the
 * shipped source maps and declaration maps resolve to shipped files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installProject, installedPackages, pack, tempDir, workspaceVersion } from '@gradclip/testing/packing';

const pkgDir = fileURLToPath(new URL('../..', import.meta.url));
const root = resolve(pkgDir, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** Runs the workspace's TypeScript compiler in `cwd`; a failure shows tsc's diagnostics. */
function typecheck(cwd: string): void {
  try {
    execFileSync(process.execPath, [tsc, '-p', '.'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`tsc failed in ${cwd}:\n${(e as { stdout?: string }).stdout ?? ''}`);
  }
}

const CONSUMER = `import * as tf from '@tensorflow/tfjs';
import { adam, clipByGlobalNorm, withClipping, type ClippingOptions } from 'gradclip';
import { summaryFileWriter } from 'gradclip/node';
import { ValueError } from 'gradclip/errors';

tf.env().set('PROD', true);
await tf.setBackend('cpu');
const options: ClippingOptions = { globalClipnorm: 1 };
const opt = withClipping(tf.train.sgd(0.1), options);
const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
model.compile({ optimizer: adam({ clipnorm: 1 }), loss: 'meanSquaredError' });
await model.fit(tf.ones([4, 2]), tf.ones([4, 1]).mul(10), { epochs: 1, verbose: 0 });
const [clipped, norm] = clipByGlobalNorm([tf.tensor([3, 4])], 1);
let error = '';
try {
  adam({ clipnorm: -1 });
} catch (e) {
  error = e instanceof ValueError ? e.message : 'not a ValueError';
}
console.log(JSON.stringify({ norm: (await norm.data())[0], clipped: Array.from(await clipped[0]!.data()), error, writer: typeof summaryFileWriter, inner: opt.getClassName() }));
`;

describe('the packed library, installed', () => {
  let dir: string;
  let files: string[];
  before(() => {
    dir = tempDir('gradclip-pack-');
    const dest = join(dir, 'tarballs');
    mkdirSync(dest);
    const packed = pack(pkgDir, dest);
    files = packed.files;
    const project = join(dir, 'project');
    mkdirSync(project);
    installProject(project, [packed.tarball, `@tensorflow/tfjs@${workspaceVersion(root, '@tensorflow/tfjs')}`]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const project = (): string => join(dir, 'project');

  it('ships dist, src (for the maps), types, LICENSE, CHANGELOG and README, and no tests', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/index.d.ts.map', 'dist/node.js', 'dist/errors.js', 'src/index.ts']) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    assert.deepEqual(files.filter((f) => /\.test\.|\/testing\//.test(f)), [], 'no test files');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.prepack, 'npm run build', 'a pack from a clean clone builds first');
  });

  it('pulls no report or CLI tooling into the production tree', () => {
    const names = installedPackages(project());
    assert.ok(names.has('gradclip') && names.has('@tensorflow/tfjs'));
    for (const heavy of ['vega', 'vega-lite', 'commander', 'mnist', '@gradclip/study']) assert.ok(!names.has(heavy), `${heavy} must not be installed`);
  });

  it('a strict nodenext TypeScript consumer typechecks and runs', () => {
    writeFileSync(join(project(), 'main.ts'), CONSUMER);
    writeFileSync(
      join(project(), 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, outDir: 'out', skipLibCheck: true, types: [] }, files: ['main.ts'] }),
    );
    typecheck(project());
    const out = execFileSync(process.execPath, ['out/main.js'], { cwd: project(), encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    assert.equal(r.norm, 5);
    assert.deepEqual(r.clipped.map((v: number) => Math.round(v * 1e6) / 1e6), [0.6, 0.8]);
    assert.equal(r.error, '`clipnorm` must be a finite number > 0. Received: clipnorm=-1');
    assert.equal(r.writer, 'function');
    assert.equal(r.inner, 'ClippedOptimizer');
  });

  it('a node10 (moduleResolution: node) consumer gets the types of every entry', () => {
    const sub = join(project(), 'legacy');
    mkdirSync(sub);
    writeFileSync(
      join(sub, 'main.ts'),
      "import { withClipping } from 'gradclip';\nimport { csvLogger } from 'gradclip/node';\nimport { ValueError } from 'gradclip/errors';\nexport const f: typeof withClipping = withClipping;\nexport const g: typeof csvLogger = csvLogger;\nexport const e = new ValueError('x');\n",
    );
    writeFileSync(join(sub, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node10', strict: true, noEmit: true, skipLibCheck: true, types: [], ignoreDeprecations: '5.0' }, files: ['main.ts'] }));
    typecheck(sub);
  });

  it('source maps and declaration maps point at shipped files', () => {
    const base = join(project(), 'node_modules/gradclip');
    for (const map of ['dist/index.js.map', 'dist/index.d.ts.map', 'dist/optimizer/clipped-optimizer.js.map', 'dist/core/clip-by-norm.d.ts.map']) {
      const m = JSON.parse(readFileSync(join(base, map), 'utf8')) as { sources: string[] };
      for (const s of m.sources) assert.ok(existsSync(resolve(dirname(join(base, map)), s)), `${map}: ${s} exists in the installed package`);
    }
  });

  it('sideEffects lists every module that registers with tfjs or hooks it at import, and nothing missing', () => {
    const pkg = JSON.parse(readFileSync(join(project(), 'node_modules/gradclip/package.json'), 'utf8')) as { sideEffects: string[] };
    for (const f of pkg.sideEffects) assert.ok(existsSync(join(project(), 'node_modules/gradclip', f)), `${f} exists`);
    // A top-level (unindented) call in a source file runs at import.
    // (`register…`: tfjs's registerClass/registerKernel and gradclip's own wrappers such as registerOptimizerClass.)
    const importTime = /^(tf\.serialization\.registerClass|serialization\.registerClass|register\w*|trackCpuBackends|tf\.registerKernel|tf\.registerBackend)\(/m;
    const withEffects = files
      .filter((f) => f.startsWith('src/') && f.endsWith('.ts'))
      .filter((f) => importTime.test(readFileSync(join(pkgDir, f), 'utf8')))
      .map((f) => `./dist/${f.slice(4, -3)}.js`);
    assert.ok(withEffects.length >= 1, 'found the import-time registrations');
    assert.deepEqual(pkg.sideEffects.slice().sort(), withEffects.sort());
  });
});
