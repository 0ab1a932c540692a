/**
 * The published entry point: `import … from 'gradclip'` resolves through package.json `exports`
 * to the compiled dist/ (self-reference inside the repo), and exposes the documented API.
 * `npm test` builds first, so dist/ is current.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

it("import { withClipping } from 'gradclip' works from the compiled package and trains", () => {
  const script = `
    import * as tf from '@tensorflow/tfjs';
    import * as g from 'gradclip';
    const names = ['clipByNorm','clipByValue','globalNorm','clipByGlobalNorm','getTotalNorm','clipGradsWithNorm','clipGradNorm','clipGradValue',
      'withClipping','ClippedOptimizer','clipGradNorm_','clipGradValue_','sgd','momentum','adam','adamax','rmsprop','adagrad','adadelta','ValueError','NonFiniteError'];
    const missing = names.filter((n) => typeof g[n] !== 'function');
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    const opt = g.adam({ learningRate: 0.1, globalClipnorm: 1 });
    opt.enableStats();
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await m.fit(tf.ones([4, 2]), tf.ones([4, 1]).mul(10), { epochs: 2, verbose: 0 });
    const s = await opt.readLastStats();
    console.log(JSON.stringify({ missing, iterations: opt.iterations, clipped: s.clipped, instance: opt instanceof tf.Optimizer }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  assert.deepEqual(r, { missing: [], iterations: 2, clipped: true, instance: true });
});
