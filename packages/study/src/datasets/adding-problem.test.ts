import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addingProblem } from './adding-problem.js';

describe('addingProblem', () => {
  it('has the [n, T, 2] layout, two markers (one per half) and target = sum of marked values', () => {
    for (const T of [2, 3, 10, 51]) {
      const n = 200;
      const { x, y, shape } = addingProblem({ n, seqLength: T, seed: 5 });
      assert.deepEqual(shape, [n, T, 2]);
      assert.equal(x.length, n * T * 2);
      assert.equal(y.length, n);
      const half = Math.floor(T / 2);
      for (let s = 0; s < n; s++) {
        const marks: number[] = [];
        for (let t = 0; t < T; t++) {
          const v = x[(s * T + t) * 2];
          const m = x[(s * T + t) * 2 + 1];
          assert.ok(v >= 0 && v < 1, `value ${v} in [0, 1)`);
          assert.ok(m === 0 || m === 1);
          if (m === 1) marks.push(t);
        }
        assert.equal(marks.length, 2, `sequence ${s} has two markers`);
        assert.ok(marks[0] < half && marks[1] >= half, `markers ${marks} split across halves of ${T}`);
        const expected = Math.fround(x[(s * T + marks[0]) * 2] + x[(s * T + marks[1]) * 2]);
        assert.equal(y[s], expected);
      }
    }
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = addingProblem({ n: 20, seqLength: 30, seed: 1 });
    const b = addingProblem({ n: 20, seqLength: 30, seed: 1 });
    const c = addingProblem({ n: 20, seqLength: 30, seed: 2 });
    assert.deepEqual(a.x, b.x);
    assert.deepEqual(a.y, b.y);
    assert.notDeepEqual(a.x, c.x);
  });

  it('has the statistics of the task: values ~ U[0,1), mean target ~ 1, constant-1 MSE ~ 1/6', () => {
    const { x, y } = addingProblem({ n: 20000, seqLength: 20, seed: 3 });
    let sum = 0;
    for (let i = 0; i < x.length; i += 2) sum += x[i];
    assert.ok(Math.abs(sum / (x.length / 2) - 0.5) < 0.01);
    const meanY = y.reduce((a, b) => a + b, 0) / y.length;
    assert.ok(Math.abs(meanY - 1) < 0.02, `mean target ${meanY}`);
    const mse = y.reduce((a, b) => a + (b - 1) ** 2, 0) / y.length;
    assert.ok(Math.abs(mse - 1 / 6) < 0.01, `baseline MSE ${mse}`);
  });

  it('rejects bad arguments naming them', () => {
    assert.throws(() => addingProblem({ n: 0, seqLength: 10, seed: 0 }), /`n` must be an integer >= 1\. Received: n=0/);
    assert.throws(() => addingProblem({ n: 1, seqLength: 1, seed: 0 }), /`seqLength` must be an integer >= 2\. Received: seqLength=1/);
    assert.throws(() => addingProblem({ n: 1, seqLength: 4, seed: -1 }), /`seed`/);
  });
});
