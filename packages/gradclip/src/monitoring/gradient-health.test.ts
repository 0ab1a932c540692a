import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { ValueError } from '../errors.js';
import { withClipping } from '../optimizer/clipped-optimizer.js';
import { gradientHealth } from './gradient-health.js';

const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

describe('gradientHealth', () => {
  before(async () => {
    await useBackend('cpu');
  });

  it('names the first layers of a deep sigmoid stack as vanishing, and not the output layer', async () => {
    const layers: tf.layers.Layer[] = [tf.layers.dense({ units: 16, activation: 'sigmoid', inputDim: 8, name: 'first', kernelInitializer: seeded(1) })];
    for (let i = 0; i < 8; i++) layers.push(tf.layers.dense({ units: 16, activation: 'sigmoid', name: `mid${i}`, kernelInitializer: seeded(2 + i) }));
    layers.push(tf.layers.dense({ units: 1, name: 'out', kernelInitializer: seeded(20) }));
    const m = tf.sequential({ layers });
    m.compile({ optimizer: withClipping(tf.train.sgd(0.1)), loss: 'meanSquaredError' });
    const x = tf.randomNormal([64, 8], 0, 1, 'float32', 3);
    const y = tf.randomNormal([64, 1], 0, 1, 'float32', 4);
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (s: string) => void warnings.push(s);
    const h = gradientHealth();
    try {
      await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [h] });
    } finally {
      console.warn = warn;
    }
    assert.equal(h.reports.length, 2, 'one report per epoch');
    const r = h.lastReport!;
    assert.equal(r.step, 8);
    assert.ok(r.vanishing.includes('first'), `vanishing: ${r.vanishing}`);
    assert.equal(r.vanishing[0], 'first');
    assert.ok(!r.vanishing.includes('out'));
    assert.deepEqual(r.exploding, []);
    const first = r.layers.find((l) => l.layer === 'first')!;
    assert.deepEqual(first.variables, [m.layers[0].trainableWeights[0].name, m.layers[0].trainableWeights[1].name]);
    assert.ok(first.ratio < 1e-5, `ratio ${first.ratio}`);
    assert.match(first.message!, /^Layer "first": gradients are vanishing: .* of its weight norm at step 8 \(epoch 1\), .*x less than layer "out".*ReLU-family activations/);
    assert.ok(warnings.some((w) => w.startsWith('gradclip: Layer "first": gradients are vanishing')));
    tf.dispose([x, y]);
    m.dispose();
  });

  it('names the branch with unnormalised inputs as exploding, and not the healthy branch', async () => {
    // Two independent branches with their own losses: "wild" sees inputs 30x larger, so SGD(0.01)
    // diverges on it (growth ~17x per step) while "steady" trains normally.
    const a = tf.input({ shape: [4], name: 'a' });
    const b = tf.input({ shape: [4], name: 'b' });
    const outA = tf.layers.dense({ units: 1, name: 'steady', kernelInitializer: seeded(5) }).apply(a) as tf.SymbolicTensor;
    const outB = tf.layers.dense({ units: 1, name: 'wild', kernelInitializer: seeded(6) }).apply(b) as tf.SymbolicTensor;
    const m = tf.model({ inputs: [a, b], outputs: [outA, outB] });
    m.compile({ optimizer: withClipping(tf.train.sgd(0.01)), loss: ['meanSquaredError', 'meanSquaredError'] });
    const xa = tf.randomNormal([64, 4], 0, 1, 'float32', 7);
    const xb = tf.mul(tf.randomNormal([64, 4], 0, 1, 'float32', 8), 30);
    const ya = tf.sum(xa, 1, true);
    const yb = tf.sum(tf.div(xb, 30), 1, true);
    const h = gradientHealth({ freq: 2, log: false });
    await m.fit([xa, xb], [ya, yb], { epochs: 1, batchSize: 8, shuffle: false, verbose: 0, callbacks: [h] });
    assert.equal(h.reports.length, 4, 'checks at steps 2, 4, 6, 8');
    const firstFlag = h.reports.find((r) => r.exploding.length > 0)!;
    assert.ok(firstFlag != null, JSON.stringify(h.reports.map((r) => r.layers.map((l) => [l.layer, l.gradNorm]))));
    assert.deepEqual(firstFlag.exploding, ['wild']);
    assert.ok(h.reports.every((r) => !r.exploding.includes('steady') && !r.vanishing.includes('steady')));
    const wild = firstFlag.layers.find((l) => l.layer === 'wild')!;
    assert.match(wild.message!, /^Layer "wild": gradients (are exploding: the gradient norm grew .*x, from .* at step 2 to|are not finite)/);
    tf.dispose([xa, xb, ya, yb]);
    m.dispose();
  });

  it('validates its options at construction', () => {
    assert.throws(() => gradientHealth({ freq: 0 }), (e: Error) => e instanceof ValueError && /`freq` must be an integer >= 1\. Received: freq=0/.test(e.message));
    assert.throws(() => gradientHealth({ explodingFactor: 1 }), /`explodingFactor` must be a finite number > 1\. Received: explodingFactor=1/);
    assert.throws(() => gradientHealth({ vanishingFactor: 2 }), /`vanishingFactor` must be a number in \(0, 1\)\. Received: vanishingFactor=2/);
    assert.throws(() => gradientHealth({ log: 'yes' as never }), /`log` must be a boolean\. Received: log="yes"/);
  });
});
