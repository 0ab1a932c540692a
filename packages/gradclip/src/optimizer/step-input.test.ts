/** inspectGradients: present and missing names, own temporaries, Keras 3's rules for missing gradients. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { flattenGrads } from '../core/grad-forms.js';
import { inspectGradients } from './step-input.js';

describe('inspectGradients', () => {
  it('names the present and the missing gradients, in order, in every form', () => {
    const a = tf.scalar(1);
    const c = tf.scalar(3);
    const expected = { presentNames: ['a', 'c'], missing: ['b'], allOwn: false };
    assert.deepEqual(inspectGradients(flattenGrads({ a, b: null as unknown as tf.Tensor, c }), null), expected);
    assert.deepEqual(
      inspectGradients(flattenGrads([{ name: 'a', tensor: a }, { name: 'b', tensor: undefined as unknown as tf.Tensor }, { name: 'c', tensor: c }]), null),
      expected,
    );
    assert.deepEqual(inspectGradients(flattenGrads([a, null, c]), null), { presentNames: ['0', '2'], missing: ['1'], allOwn: false });
    tf.dispose([a, c]);
  });

  it('all own only when every present gradient was made at or after ownFrom', () => {
    const old = tf.scalar(1);
    const from = old.id + 1;
    const made = tf.scalar(2);
    assert.equal(inspectGradients(flattenGrads({ made }), from)!.allOwn, true);
    assert.equal(inspectGradients(flattenGrads({ made, m: null as unknown as tf.Tensor }), from)!.allOwn, true, 'holes do not count');
    assert.equal(inspectGradients(flattenGrads({ made, old }), from)!.allOwn, false);
    assert.equal(inspectGradients(flattenGrads({ made }), null)!.allOwn, false, 'never without ownFrom');
    assert.equal(inspectGradients(flattenGrads({ made }), Infinity)!.allOwn, false);
    tf.dispose([old, made]);
  });

  it('no gradients at all is a no-op (null); every gradient missing throws naming them', () => {
    assert.equal(inspectGradients(flattenGrads({}), null), null);
    assert.equal(inspectGradients(flattenGrads([]), null), null);
    assert.throws(
      () => inspectGradients(flattenGrads({ a: null as unknown as tf.Tensor, b: undefined as unknown as tf.Tensor }), null),
      (e: Error) =>
        e instanceof ValueError &&
        e.message ===
          'No gradients provided for any variable: ["a", "b"]. Every gradient in `variableGradients` is null or undefined; ' +
            'weights, optimizer state and iterations were not changed.',
    );
    assert.throws(() => inspectGradients(flattenGrads([null, null]), null), /No gradients provided for any variable: \[0, 1\]\./, 'positions for a plain list');
  });
});
