import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends, expectNoLeak } from '@gradclip/testing/backends';
import { addingLstm, addingRnn, cifarCnn, mnistMlp, regressionMlp, softmaxCrossEntropyFromLogits, sparseSoftmaxCrossEntropy } from './index.js';

describeBackends('model builders', () => {
  it('have the article\'s parameter counts', () => {
    const cases: [tf.Sequential, number][] = [
      [regressionMlp(), 30 * 35 + 35 + 35 + 1],
      [mnistMlp(), 784 * 128 + 128 + 128 * 10 + 10],
      [cifarCnn(), 62006],
      [addingRnn({ seqLength: 10 }), 2 * 32 + 32 * 32 + 32 + 33],
      [addingLstm({ seqLength: 10 }), 4 * (2 * 32 + 32 * 32 + 32) + 33],
    ];
    for (const [m, n] of cases) {
      assert.equal(m.countParams(), n, m.name);
      m.dispose();
    }
  });

  it('give identical weights for the same seed and different ones for another seed', () => {
    const w = (seed: number): number[] => {
      const m = regressionMlp({ seed });
      const v = Array.from(m.getWeights()[0].dataSync());
      m.dispose();
      return v;
    };
    assert.deepEqual(w(3), w(3));
    assert.notDeepEqual(w(3), w(4));
  });

  it('rejects a bad seed with the value received', () => {
    assert.throws(() => regressionMlp({ seed: -1 }), /`seed` must be an integer >= 0. Received: seed=-1/);
  });
});

describeBackends('cross-entropy from logits', () => {
  it('sparse labels and one-hot targets give the same loss (ln 2 for equal logits)', async () => {
    await expectNoLeak(() => {
      const logits = tf.tensor2d([[0, 0], [2, -1]]);
      const labels = tf.tensor1d([0, 1]);
      const onehot = tf.tensor2d([[1, 0], [0, 1]]);
      const sparse = sparseSoftmaxCrossEntropy(labels, logits);
      const dense = softmaxCrossEntropyFromLogits(onehot, logits);
      const expected = (Math.log(2) + (Math.log(Math.exp(2) + Math.exp(-1)) + 1)) / 2;
      assert.ok(Math.abs(sparse.dataSync()[0] - expected) < 1e-5);
      assert.ok(Math.abs(dense.dataSync()[0] - expected) < 1e-5);
      tf.dispose([logits, labels, onehot, sparse, dense]);
    });
  });

  it('propagates NaNs', () => {
    const l = tf.tidy(() => sparseSoftmaxCrossEntropy(tf.tensor1d([0]), tf.tensor2d([[NaN, 0]])));
    assert.ok(Number.isNaN(l.dataSync()[0]));
    l.dispose();
  });
});
