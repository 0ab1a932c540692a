import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeRegression } from './make-regression.js';
import { RandomState } from './random-state.js';
import { SKIP_NO_SKLEARN, runPythonJson } from '../../test/python-live.js';

const REF_URL = new URL('../../test/fixtures/make-regression.json', import.meta.url);

interface SeedRef {
  X_first_rows: number[][];
  y_first: number[];
  X_sum: number;
  X_sq_sum: number;
  y_sum: number;
  y_sq_sum: number;
  X_last_row: number[];
  y_last: number;
  small: { args: Record<string, number>; X: number[][]; y: number[]; coef: number[] };
}

function loadReference(): { seeds: Record<string, SeedRef> } {
  const path = fileURLToPath(REF_URL);
  if (!existsSync(path)) {
    throw new Error(`reference file missing: ${path} (test/fixtures/make-regression.json is part of the repository)`);
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Relative error |a - b| / |b|, with exact zeros compared absolutely. */
function relErr(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
}

/** Asserts every value is within `tol` relative of the reference and returns the worst error. */
function assertClose(actual: number[], expected: number[], tol: number, label: string): number {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = 0;
  expected.forEach((e, i) => {
    const r = relErr(actual[i], e);
    assert.ok(r <= tol, `${label}[${i}]: ${actual[i]} vs ${e} (rel ${r})`);
    worst = Math.max(worst, r);
  });
  return worst;
}

const TOL = 1e-9;
const camel = (k: string): string => k.replace(/_(.)/g, (_, c: string) => c.toUpperCase());

describe('makeRegression', () => {
  const ref = loadReference();

  for (const [seed, r] of Object.entries(ref.seeds)) {
    it(`equals sklearn make_regression(n_samples=10000, n_features=30, random_state=${seed})`, () => {
      const { X, y } = makeRegression({ nSamples: 10000, nFeatures: 30, randomState: Number(seed) });
      const yy = y as number[];
      assert.equal(X.length, 10000);
      assert.ok(X.every((row) => row.length === 30));
      assert.equal(yy.length, 10000);
      let worst = 0;
      r.X_first_rows.forEach((row, i) => {
        worst = Math.max(worst, assertClose(X[i], row, TOL, `X[${i}]`));
      });
      worst = Math.max(worst, assertClose(X[9999], r.X_last_row, TOL, 'X[-1]'));
      worst = Math.max(worst, assertClose(yy.slice(0, r.y_first.length), r.y_first, TOL, 'y'));
      worst = Math.max(worst, assertClose([yy[9999]], [r.y_last], TOL, 'y[-1]'));
      let xs = 0;
      let xq = 0;
      for (const row of X) {
        for (const v of row) {
          xs += v;
          xq += v * v;
        }
      }
      const ys = yy.reduce((a, b) => a + b, 0);
      const yq = yy.reduce((a, b) => a + b * b, 0);
      // Sums: summation order differs from numpy's pairwise sum, so allow for rounding.
      assertClose([xs, xq, ys, yq], [r.X_sum, r.X_sq_sum, r.y_sum, r.y_sq_sum], TOL, 'sums');
      assert.ok(worst < TOL, `max relative error ${worst}`);
    });

    it(`equals the reference "small" case with coef=True (seed ${seed})`, () => {
      const args = Object.fromEntries(Object.entries(r.small.args).map(([k, v]) => [camel(k), v]));
      const out = makeRegression({ ...args, coef: true, randomState: Number(seed) });
      r.small.X.forEach((row, i) => assertClose(out.X[i], row, TOL, `small X[${i}]`));
      assertClose(out.y as number[], r.small.y, TOL, 'small y');
      assertClose(out.coef as number[], r.small.coef, TOL, 'small coef');
    });
  }

  it('y = X @ coef + bias exactly when noise is 0 (invariant)', () => {
    const { X, y, coef } = makeRegression({ nSamples: 50, nFeatures: 8, nInformative: 3, bias: 2.5, coef: true, randomState: 3 });
    const c = coef as number[];
    assert.equal(c.filter((v) => v !== 0).length, 3);
    X.forEach((row, i) => {
      const pred = row.reduce((s, v, j) => s + v * c[j], 0) + 2.5;
      assert.ok(Math.abs(pred - (y as number[])[i]) < 1e-9);
    });
  });

  it('returns row-shaped y and coef for several targets', () => {
    const out = makeRegression({ nSamples: 6, nFeatures: 5, nTargets: 3, coef: true, randomState: 1 });
    assert.equal((out.y as number[][])[0].length, 3);
    assert.equal((out.coef as number[][]).length, 5);
  });

  it('accepts a RandomState and advances it', () => {
    const rs = new RandomState(65);
    const a = makeRegression({ nSamples: 10, nFeatures: 3, randomState: rs });
    const b = makeRegression({ nSamples: 10, nFeatures: 3, randomState: rs });
    assert.notDeepEqual(a.X, b.X);
  });

  it('rejects invalid arguments naming the argument and value', () => {
    assert.throws(() => makeRegression({ nSamples: 0 }), /`nSamples` must be an integer >= 1\. Received: nSamples=0/);
    assert.throws(() => makeRegression({ noise: -1 }), /`noise` must be a finite number >= 0\. Received: noise=-1/);
    assert.throws(() => makeRegression({ effectiveRank: 5 }), /`effectiveRank` must be null.*Received: effectiveRank=5/);
    assert.throws(() => makeRegression({ randomState: -2 }), /`randomState`/);
  });

  describe('against live scikit-learn (/usr/bin/python3)', { skip: SKIP_NO_SKLEARN }, () => {
    const cases = [
      { seed: 7, n_samples: 40, n_features: 6, n_informative: 4, n_targets: 1, bias: 1.5, noise: 2.0, shuffle: true },
      { seed: 2024, n_samples: 25, n_features: 9, n_informative: 12, n_targets: 3, bias: -4.0, noise: 0.0, shuffle: true },
      { seed: 7, n_samples: 15, n_features: 4, n_informative: 2, n_targets: 2, bias: 0.0, noise: 0.3, shuffle: false },
    ];
    for (const c of cases) {
      it(`seed ${c.seed}, ${JSON.stringify(c)}`, () => {
        const py = runPythonJson<{ X: number[][]; y: number[] | number[][]; coef: number[] | number[][] }>(`
import json
from sklearn.datasets import make_regression
X, y, coef = make_regression(n_samples=${c.n_samples}, n_features=${c.n_features}, n_informative=${c.n_informative},
    n_targets=${c.n_targets}, bias=${c.bias}, noise=${c.noise}, shuffle=${c.shuffle ? 'True' : 'False'}, coef=True,
    random_state=${c.seed})
print(json.dumps({'X': X.tolist(), 'y': y.tolist(), 'coef': coef.tolist()}))
`);
        const out = makeRegression({
          nSamples: c.n_samples,
          nFeatures: c.n_features,
          nInformative: c.n_informative,
          nTargets: c.n_targets,
          bias: c.bias,
          noise: c.noise,
          shuffle: c.shuffle,
          coef: true,
          randomState: c.seed,
        });
        out.X.forEach((row, i) => assertClose(row, py.X[i], TOL, `X[${i}]`));
        assertClose((out.y as (number | number[])[]).flat(), (py.y as (number | number[])[]).flat(), TOL, 'y');
        assertClose((out.coef as (number | number[])[]).flat(), (py.coef as (number | number[])[]).flat(), TOL, 'coef');
      });
    }
  });
});
