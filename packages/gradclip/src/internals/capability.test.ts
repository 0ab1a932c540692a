/**
 * The capability check (issue 11 items 1 and 4): with a faked unverified TF.js version, a failing
 * kernel probe, or a failing fused-update probe, the fast path turns off for the process with one
 * warning, nothing of gradclip stays in TF.js (no backend hook, no wrapped factory, no fused
 * kernel), and every public function, fit included, returns what it returns with the fast path:
 * the same bits, norms included (the plain path computes sums of squares on the host in the fused
 * kernels' order, see core/host-sums.ts) — and bit for bit what `setFastPath(false)` gives.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { fastPathStatus, resetFastPathForTests, setFastPath } from './fast-path-switch.js';
import { versionMismatch } from './capability.js';
import { assertFastMatchesPlain, assertSameBits, fitBits, publicBits } from './testing/public-bits.js';
import { assertNothingInstalled, assertInstalled } from './testing/installed.js';
import { setKernelProbeFaultForTests } from '../core/fast/kernel-probe.js';
import { fusedUpdates, setFusedUpdateProbeFaultForTests } from '../optimizer/fused-update.js';

/** Runs `f` with console.warn captured; returns what was warned. */
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

const VERSIONS = { core: '4.22.0', cpu: '4.22.0', tfjs: '4.22.0' };

after(() => {
  setKernelProbeFaultForTests(false);
  setFusedUpdateProbeFaultForTests(false);
  resetFastPathForTests();
});

it('only the verified versions pass the version check, and the reason names the version', () => {
  assert.equal(versionMismatch(VERSIONS), null);
  assert.match(versionMismatch({ ...VERSIONS, core: '4.23.0' }) ?? '', /tfjs-core 4\.23\.0 is not a version .* verified on \(4\.22\.0\)/);
  assert.match(versionMismatch({ ...VERSIONS, core: '4.22.1' }) ?? '', /tfjs-core 4\.22\.1/);
  assert.match(versionMismatch({ ...VERSIONS, cpu: '5.0.0' }) ?? '', /tfjs-backend-cpu 5\.0\.0/);
  assert.equal(versionMismatch({ ...VERSIONS, cpu: null, tfjs: null }), null, 'a missing cpu version is not a mismatch');
  assert.deepEqual(tf.version_core, '4.22.0', 'this repository runs the verified tfjs-core');
});

describeBackends('the capability check', (backend) => {
  /** Every public function's bits with the fast path, and with it switched off. */
  let reference: Record<string, number[]>;
  let plain: Record<string, number[]>;

  before(async () => {
    resetFastPathForTests();
    const warned = await warnings(async () => {
      reference = await publicBits(true);
    });
    assert.deepEqual(warned, [], 'no warning on a verified TF.js');
    assert.equal(fastPathStatus().enabled, true);
    assertInstalled(backend);
    setFastPath(false);
    plain = await publicBits(false);
    setFastPath(true);
  });

  it('a faked unverified tfjs-core: off with one warning, nothing installed, the same bits everywhere (fit included)', async () => {
    resetFastPathForTests({ versions: { ...VERSIONS, core: '4.99.0' } });
    assertNothingInstalled(backend);
    let bits: Record<string, number[]> = {};
    const warned = await warnings(async () => {
      bits = await publicBits(false);
      await publicBits(false); // a second round: still one warning for the process
    });
    assert.equal(warned.length, 1, `one warning: ${JSON.stringify(warned)}`);
    assert.match(warned[0], /fast path .* is off for this process: tfjs-core 4\.99\.0 is not a version/);
    assert.match(warned[0], /please report this at https:\/\/github\.com\/gradclip\/gradclip\/issues/);
    assert.match(warned[0], /GRADCLIP_FAST_PATH=0/);
    const status = fastPathStatus();
    assert.equal(status.enabled, false);
    assert.match(status.reason ?? '', /tfjs-core 4\.99\.0/);
    assertNothingInstalled(backend);
    assertSameBits(plain, bits, 'unverified version vs setFastPath(false)');
    assertFastMatchesPlain(reference, bits, 'unverified version vs the fast path');
  });

  it('a failing kernel probe: off with one warning naming the kernel and backend, nothing installed, the same bits', async () => {
    resetFastPathForTests();
    setKernelProbeFaultForTests(true);
    let bits: Record<string, number[]> = {};
    const warned = await warnings(async () => {
      bits = await publicBits(false);
    });
    setKernelProbeFaultForTests(false);
    assert.equal(warned.length, 1, `one warning: ${JSON.stringify(warned)}`);
    assert.match(warned[0], new RegExp(`off for this process: on the ${backend} backend, GradclipSumOfSquares \\(finite\\): element 0 has bits`));
    assert.match(warned[0], new RegExp(`backend '${backend}'`));
    assert.match(fastPathStatus().reason ?? '', /GradclipSumOfSquares/);
    assertNothingInstalled(backend);
    assertSameBits(plain, bits, 'failed kernel probe vs setFastPath(false)');
    assertFastMatchesPlain(reference, bits, 'failed kernel probe vs the fast path');
  });

  it('a failing fused-update probe: the step that found it and every later one run through TF.js, the same bits', async () => {
    resetFastPathForTests();
    setFusedUpdateProbeFaultForTests(true);
    const steps = fusedUpdates.steps;
    let weights: number[] = [];
    const warned = await warnings(async () => {
      weights = await fitBits({ clipvalue: 0.5 });
    });
    setFusedUpdateProbeFaultForTests(false);
    assert.equal(fusedUpdates.steps, steps, 'no fused step');
    assert.equal(warned.length, 1, `one warning: ${JSON.stringify(warned)}`);
    assert.match(warned[0], new RegExp(`on the ${backend} backend, the fused SGD update gave bits`));
    assertNothingInstalled(backend);
    assert.deepEqual(weights, reference['fit (clipvalue)'], 'fit gives the same weights as with the fast path');
  });

  it('after a reset with verified versions and passing probes, the fast path is back and gives the same bits', async () => {
    resetFastPathForTests();
    const warned = await warnings(async () => assertSameBits(reference, await publicBits(true), 'the fast path again'));
    assert.deepEqual(warned, []);
    assertInstalled(backend);
  });
});
