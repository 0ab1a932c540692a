import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RandomState, checkRandomState } from './random-state.js';
import { SKIP_NO_NUMPY, runPythonJson } from '../../test/python-live.js';

// Constants below are published/documented outputs of MT19937 and numpy, not this code's output.
describe('RandomState (numpy legacy MT19937)', () => {
  it('matches the reference MT19937 first outputs for init_genrand(5489)', () => {
    // Matsumoto & Nishimura's mt19937ar reference / C++ std::mt19937 default seed.
    const rs = new RandomState(5489);
    assert.equal(rs.nextUint32(), 3499211612);
    assert.equal(rs.nextUint32(), 581869302);
  });

  it('gives the 10000th output of std::mt19937 (C++ standard requirement)', () => {
    const rs = new RandomState(5489);
    let v = 0;
    for (let i = 0; i < 10000; i++) v = rs.nextUint32();
    assert.equal(v, 4123659995);
  });

  it('reproduces well-known numpy seed-0 values', () => {
    assert.equal(new RandomState(0).randomSample(), 0.5488135039273248);
    const rs = new RandomState(0);
    // np.random.seed(0); np.random.randn(3) -> 1.764052345967664, 0.4001572083672233, 0.9787379841057392
    assert.deepEqual([rs.standardNormal(), rs.standardNormal(), rs.standardNormal()], [
      1.764052345967664, 0.4001572083672233, 0.9787379841057392,
    ]);
    assert.deepEqual(new RandomState(0).permutation(10), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
    const ri = new RandomState(0);
    assert.deepEqual([0, 1, 2, 3, 4].map(() => ri.randint(0, 10)), [5, 0, 3, 3, 7]);
  });

  it('uniform(low, high) is low + (high - low) * randomSample()', () => {
    const u = new RandomState(0).uniform(-1, 1);
    assert.equal(u, -1 + 2 * 0.5488135039273248);
  });

  it('randomInterval stays in [0, max] and hits every value', () => {
    const rs = new RandomState(123);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rs.randomInterval(6);
      assert.ok(Number.isInteger(v) && v >= 0 && v <= 6);
      seen.add(v);
    }
    assert.equal(seen.size, 7);
    assert.equal(rs.randomInterval(0), 0);
  });

  it('permutation is a permutation', () => {
    const p = new RandomState(9).permutation(1000);
    assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  });

  it('rejects bad seeds with a message naming the argument and value', () => {
    assert.throws(() => new RandomState(-1), /`seed` must be an integer in \[0, 2\*\*32 - 1\].*Received: seed=-1/);
    assert.throws(() => new RandomState(2 ** 32), /Received: seed=4294967296/);
    assert.throws(() => new RandomState(1.5), /seed/);
    assert.throws(() => new RandomState([]), /non-empty/);
    assert.throws(() => checkRandomState(-3), /`randomState` must be/);
    assert.throws(() => new RandomState(0).randint(5, 5), /`high` must be an integer > low/);
  });

  it('checkRandomState passes a RandomState through and seeds from an integer', () => {
    const rs = new RandomState(1);
    assert.equal(checkRandomState(rs), rs);
    assert.equal(checkRandomState(0).randomSample(), 0.5488135039273248);
    assert.ok(checkRandomState(undefined) instanceof RandomState);
  });

  describe('against live numpy (/usr/bin/python3)', { skip: SKIP_NO_NUMPY }, () => {
    for (const seed of [1, 42, 4294967295]) {
      it(`seed ${seed}: random_sample, randn, uniform, normal, randint, shuffle of rows, permutation`, () => {
        const ref = runPythonJson<{
          rs: number[];
          rn: number[];
          un: number[];
          no: number[];
          ri: number[];
          rb: number[];
          sh: number[];
          pe: number[];
          u32: number[];
        }>(`
import json, numpy as np
r = np.random.RandomState(${seed})
out = {}
out['rs'] = r.random_sample(5).tolist()
out['rn'] = r.randn(7).tolist()
out['un'] = r.uniform(-3, 5, size=4).tolist()
out['no'] = r.normal(2.0, 0.5, size=3).tolist()
out['ri'] = r.randint(0, 1000, size=6).tolist()
out['rb'] = [int(r.randint(-7, 2**40)), int(r.randint(0, 2**33 + 5))]
a = np.arange(40).reshape(20, 2); r.shuffle(a); out['sh'] = a[:, 0].tolist()
out['pe'] = r.permutation(53).tolist()
out['u32'] = r.randint(0, 2**32, size=3, dtype=np.uint64).tolist()
print(json.dumps(out))
`);
        const rs = new RandomState(seed);
        assert.deepEqual(Array.from({ length: 5 }, () => rs.randomSample()), ref.rs);
        const rn = Array.from({ length: 7 }, () => rs.standardNormal());
        rn.forEach((v, i) => assert.ok(Math.abs(v - ref.rn[i]) <= 1e-15 * Math.abs(ref.rn[i]), `randn[${i}] ${v} vs ${ref.rn[i]}`));
        const un = Array.from({ length: 4 }, () => rs.uniform(-3, 5));
        assert.deepEqual(un, ref.un);
        const no = Array.from({ length: 3 }, () => rs.normal(2.0, 0.5));
        no.forEach((v, i) => assert.ok(Math.abs(v - ref.no[i]) <= 1e-15 * Math.abs(ref.no[i])));
        assert.deepEqual(Array.from({ length: 6 }, () => rs.randint(0, 1000)), ref.ri);
        assert.deepEqual([rs.randint(-7, 2 ** 40), rs.randint(0, 2 ** 33 + 5)], ref.rb);
        const rows = Array.from({ length: 20 }, (_, i) => [2 * i, 2 * i + 1]);
        rs.shuffle(rows);
        assert.deepEqual(rows.map((r) => r[0]), ref.sh);
        assert.deepEqual(rs.permutation(53), ref.pe);
        assert.deepEqual([rs.nextUint32(), rs.nextUint32(), rs.nextUint32()], ref.u32);
      });
    }

    it('array seed goes through init_by_array like RandomState([1, 2, 3])', () => {
      const ref = runPythonJson<number[]>(`import json, numpy as np; print(json.dumps(np.random.RandomState([1, 2, 3]).random_sample(3).tolist()))`);
      const rs = new RandomState([1, 2, 3]);
      assert.deepEqual([rs.randomSample(), rs.randomSample(), rs.randomSample()], ref);
    });
  });
});
