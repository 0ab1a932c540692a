/**
 * The public switch (issue 11 items 3 and 4): `setFastPath(false)` removes everything gradclip
 * installed in TF.js and every public function keeps its bits; `setFastPath(true)` in the same
 * process brings the fast path back; `GRADCLIP_FAST_PATH=0` turns it off and code cannot override
 * it; `setFusedUpdateEnabled` stays a finer switch.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { FAST_PATH_ENV, fastPathStatus, resetFastPathForTests, setFastPath } from './fast-path-switch.js';
import { assertFastMatchesPlain, assertSameBits, bitsOf, publicBits } from './testing/public-bits.js';
import { assertInstalled, assertNothingInstalled } from './testing/installed.js';
import { clipGradValue, clipGradValue_, setFusedUpdateEnabled } from '../index.js';
import { fusedUpdates } from '../optimizer/fused-update.js';
import { cpuCountedFromStart } from '../core/fast/cpu-buffer-pool.js';
import { readWeights, tinyRegressionData, tinyRegressionModel } from '../../test/helpers/tiny-regression.js';
import { withClipping } from '../index.js';

const g = globalThis as Record<string, unknown>;

function clearEnv(): void {
  delete process.env[FAST_PATH_ENV];
  delete g[FAST_PATH_ENV];
}

async function warnings(f: () => unknown): Promise<string[]> {
  const seen: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void seen.push(args.map(String).join(' '));
  try {
    await f();
  } finally {
    console.warn = original;
  }
  return seen;
}

after(() => {
  clearEnv();
  resetFastPathForTests();
  setFusedUpdateEnabled(true);
});

it('setFastPath takes a boolean and returns the previous setting', () => {
  resetFastPathForTests();
  assert.throws(() => setFastPath('no' as unknown as boolean), /setFastPath takes a boolean\. Received: on=no/);
  assert.equal(setFastPath(false), true);
  assert.equal(setFastPath(false), false);
  assert.equal(setFastPath(true), false);
  assert.equal(setFastPath(true), true);
});

describeBackends('setFastPath', (backend) => {
  let reference: Record<string, number[]>;

  before(async () => {
    clearEnv();
    resetFastPathForTests();
    reference = await publicBits(true);
    assertInstalled(backend);
  });

  afterEach(() => {
    clearEnv();
    resetFastPathForTests();
  });

  it('off and on again in one process: off removes every hook and kernel, on brings them back, the bits never change', async () => {
    assert.equal(setFastPath(false), true);
    assert.deepEqual([fastPathStatus().enabled, fastPathStatus().reason], [false, 'setFastPath(false)']);
    assertNothingInstalled(`${backend}, off`);
    const off = await publicBits(false);
    assertFastMatchesPlain(reference, off, 'off');
    assertNothingInstalled(`${backend}, off, after every function ran`);
    assert.equal(setFastPath(true), false);
    assertInstalled(backend); // set up at once on the active backend, before any clip
    assertSameBits(reference, await publicBits(true), 'on again');
    setFastPath(false);
    assertSameBits(off, await publicBits(false), 'off again');
    setFastPath(true);
    assertSameBits(reference, await publicBits(true), 'on once more');
  });

  it(`${FAST_PATH_ENV}=0 turns it off (nothing installed, same bits) and setFastPath(true) cannot override it`, async () => {
    for (const value of ['0', 'false', 'OFF', ' no ']) {
      resetFastPathForTests();
      process.env[FAST_PATH_ENV] = value;
      assert.deepEqual([fastPathStatus().enabled, fastPathStatus().reason], [false, `${FAST_PATH_ENV}=${value}`]);
      setFastPath(true);
      assert.equal(fastPathStatus().enabled, false, `${value}: the environment wins`);
      assertNothingInstalled(`${FAST_PATH_ENV}=${value}`);
    }
    assertFastMatchesPlain(reference, await publicBits(false), 'environment off');
    assertNothingInstalled(`${FAST_PATH_ENV}=0 after every function ran`);
  });

  it(`${FAST_PATH_ENV}=1 (or unset) keeps it on; another value warns once and keeps it on; the browser global works too`, async () => {
    process.env[FAST_PATH_ENV] = '1';
    assert.equal(fastPathStatus().enabled, true);
    resetFastPathForTests();
    process.env[FAST_PATH_ENV] = 'maybe';
    const warned = await warnings(() => assert.equal(fastPathStatus().enabled, true));
    assert.equal(warned.length, 1);
    assert.match(warned[0], /ignoring GRADCLIP_FAST_PATH="maybe"; use 0 \(off\) or 1 \(on\)/);
    clearEnv();
    resetFastPathForTests();
    g[FAST_PATH_ENV] = '0'; // a page: globalThis.GRADCLIP_FAST_PATH = '0' before gradclip's first use
    assert.deepEqual([fastPathStatus().enabled, fastPathStatus().reason], [false, `${FAST_PATH_ENV}=0`]);
  });

  it('setFusedUpdateEnabled(false) is a finer switch: the clipping fast path stays, the update goes through TF.js, same bits', async () => {
    const before = setFusedUpdateEnabled(false);
    const steps = fusedUpdates.steps;
    try {
      assertSameBits(reference, await publicBits(true), 'fused update off');
      assert.equal(fusedUpdates.steps, steps, 'no fused step');
      assertInstalled(backend);
    } finally {
      setFusedUpdateEnabled(before);
    }
  });

  it('fit gives the same weights with the fast path off as on (a model trained across a switch, too)', async () => {
    const train = async (switchAt: number | null): Promise<number[]> => {
      const data = tinyRegressionData(32);
      const model = tinyRegressionModel();
      model.compile({ optimizer: withClipping(tf.train.adam(0.01), { clipvalue: 0.5 }), loss: 'meanSquaredError' });
      for (let epoch = 0; epoch < 4; ++epoch) {
        if (epoch === switchAt) setFastPath(false);
        await model.fit(data.x, data.y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
      }
      setFastPath(true);
      const w = (await readWeights(model)).flatMap((a) => Array.from(new Uint32Array(a.buffer)));
      model.optimizer.dispose();
      model.dispose();
      tf.dispose([data.x, data.y]);
      return w;
    };
    const on = await train(null);
    assert.deepEqual(await train(0), on, 'off from the start');
    assert.deepEqual(await train(2), on, 'off after two epochs');
  });
});

describeBackends('clipGradValue_ on cpu, by when the fast path was set up', (backend) => {
  afterEach(() => resetFastPathForTests());

  it('made before the fast path was set up on the backend: the tensor gets a new array with the same values (its old array is left alone)', () => {
    if (backend !== 'cpu') return;
    setFastPath(false); // removes the hooks: the backend's arrays from here on are not tracked
    const array = new Float32Array([3, -4, 0.5, NaN]);
    const t = tf.tensor(array);
    setFastPath(true);
    assert.equal(cpuCountedFromStart(tf.engine().backend), false, 'the backend held tensors when it was hooked');
    clipGradValue_([t], 1);
    assert.deepEqual(bitsOf(t), tf.tidy(() => bitsOf(clipGradValue([tf.tensor([3, -4, 0.5, NaN])], 1))));
    assert.deepEqual(Array.from(array).map(String), ['3', '-4', '0.5', 'NaN'], 'the old array is not written');
    t.dispose();
  });
});
