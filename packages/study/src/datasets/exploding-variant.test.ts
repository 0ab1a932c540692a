import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { explodingVariant } from './exploding-variant.js';

describe('explodingVariant', () => {
  it('applies sign(v)|v|^p by default and plain v^p on request', () => {
    assert.deepEqual(explodingVariant([[-3, 2], [0.5, -1]], [-10, 4]), { X: [[-9, 4], [0.25, -1]], y: [-100, 16] });
    assert.deepEqual(explodingVariant([[-3, 2]], [-10], { signPreserving: false }), { X: [[9, 4]], y: [100] });
    assert.deepEqual(explodingVariant([[-2]], [[3, -1]], { power: 3 }), { X: [[-8]], y: [[27, -1]] });
    assert.deepEqual(explodingVariant([[4]], [-4], { power: 0.5 }), { X: [[2]], y: [-2] });
    assert.ok(Number.isNaN(explodingVariant([[-4]], [1], { power: 0.5, signPreserving: false }).X[0][0]));
  });

  it('keeps the ordering of values (monotone) and leaves the inputs unchanged', () => {
    const X = [[-5], [-1], [0], [2], [7]];
    const y = [-3, -2, 0, 1, 9];
    const out = explodingVariant(X, y, { power: 4 });
    const col = out.X.map((r) => r[0]);
    assert.deepEqual([...col].sort((a, b) => a - b), col);
    assert.deepEqual(X, [[-5], [-1], [0], [2], [7]]);
  });

  it('rejects bad power and mismatched lengths', () => {
    assert.throws(() => explodingVariant([[1]], [1], { power: 0 }), /`power` must be a finite number > 0\. Received: power=0/);
    assert.throws(() => explodingVariant([[1]], [1, 2]), /`y.length` must be equal to X.length \(1\)\. Received: y.length=2/);
  });
});
