import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@gradclip/testing/backends';
import { withClipping } from '../optimizer/clipped-optimizer.js';
import { progressBar, registerProgressBar } from './progress-bar.js';

it('registerProgressBar is opt-in, idempotent, and shows under verbose 1 only', async () => {
  await useBackend('cpu');
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputDim: 2 })] });
  m.compile({ optimizer: withClipping(tf.train.sgd(0.1), { clipnorm: 0.01 }), loss: 'meanSquaredError' });
  const x = tf.ones([8, 2]);
  const y = tf.ones([8, 1]);
  const printed: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (printed.push(String(s)), true)) as typeof process.stderr.write;
  try {
    await m.fit(x, y, { epochs: 1, batchSize: 4 }); // verbose 1, nothing registered yet
    assert.equal(printed.length, 0);
    assert.equal(registerProgressBar(), true);
    assert.equal(registerProgressBar(), false, 'a second call does not throw "Duplicate callback constructor"');
    await m.fit(x, y, { epochs: 2, batchSize: 4 });
    await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
  } finally {
    process.stderr.write = write;
  }
  const text = printed.join('');
  assert.match(text, /Epoch 1\/2: loss=/);
  assert.match(text, /Epoch 2\/2: loss=/);
  assert.equal(text.match(/Epoch \d\/\d: /g)!.length, 2, 'nothing under verbose 0');
  tf.dispose([x, y]);
  m.dispose();
});

it('draws epoch, batch, loss, gradient norm and clip rate', async () => {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputDim: 2 })] });
  m.compile({ optimizer: withClipping(tf.train.sgd(0.1), { clipnorm: 0.01 }), loss: 'meanSquaredError' });
  let drawn = '';
  const stream = { write: (s: string) => ((drawn += s), true) } as unknown as NodeJS.WritableStream;
  await m.fit(tf.ones([8, 2]), tf.ones([8, 1]), { epochs: 1, batchSize: 4, verbose: 0, callbacks: [progressBar({ stream, noTTYOutput: true })] });
  assert.match(drawn, /Epoch 1\/1 \[.*\] 2\/2 \| loss \d\.\d+ \| grad norm \d\.\d+ \| clip rate 100% \| ETA/);
  assert.throws(() => progressBar({ stream: 3 as never }), /`stream` must be a writable stream\. Received: stream=3/);
  m.dispose();
});
