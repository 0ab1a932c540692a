/** StatsRecorder: statistics on demand, counted requests, and ownership of what it keeps. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackends } from '@gradclip/testing/backends';
import { ValueError } from '../errors.js';
import { StatsRecorder } from './stats-recorder.js';
import { PackedStepStats } from './step-stats.js';

const stats = (step: number) => new PackedStepStats({ packed: tf.tensor1d([5, 1, 1, 0, 0, 25]), skipped: false, step, variableNames: ['a'] });

describeBackends('StatsRecorder', () => {
  it('records nothing unasked; any request records the base statistics, counted per option', () => {
    const r = new StatsRecorder();
    assert.deepEqual(r.plan(), { record: false, perVariable: false, updateRatios: false, keepGradients: false });
    assert.equal(r.recording, false);
    const base = r.request();
    assert.deepEqual(r.plan(), { record: true, perVariable: false, updateRatios: false, keepGradients: false });
    const a = r.request({ perVariable: true, keepGradients: false });
    const b = r.request({ perVariable: true, updateRatios: true });
    assert.deepEqual(r.plan(), { record: true, perVariable: true, updateRatios: true, keepGradients: false });
    assert.deepEqual(r.enabled, { perVariable: true, updateRatios: true, keepGradients: false });
    b();
    b(); // idempotent
    assert.deepEqual(r.enabled, { perVariable: true, updateRatios: false, keepGradients: false });
    a();
    assert.deepEqual(r.plan(), { record: true, perVariable: false, updateRatios: false, keepGradients: false });
    base();
    assert.equal(r.recording, false);
  });

  it('validates requests, naming what it received', () => {
    const r = new StatsRecorder();
    assert.throws(() => r.request(null as never), (e: Error) => e instanceof ValueError && e.message === '`options` must be an object. Received: options=null');
    assert.throws(() => r.request(3 as never), /`options` must be an object\. Received: options=3/);
    assert.throws(
      () => r.request({ histograms: true } as never),
      (e: Error) => e instanceof ValueError && e.message === 'Unknown stats option `histograms`. Known options: perVariable, updateRatios, keepGradients.',
    );
    assert.equal(r.recording, false, 'a rejected request counts for nothing');
  });

  it('keeps the last statistics out of tidy scopes, replaces them, and disposes them when the last request goes', () => {
    const r = new StatsRecorder();
    const release = r.request();
    const n0 = tf.memory().numTensors;
    tf.tidy(() => {
      r.commit(stats(1));
    });
    assert.equal(r.current?.step, 1, 'kept through the tidy');
    assert.equal(tf.memory().numTensors, n0 + 1);
    assert.ok(r.current!.globalNorm instanceof tf.Tensor); // a lazily sliced scalar, owned by the stats
    assert.equal(tf.memory().numTensors, n0 + 2);
    r.commit(stats(2));
    assert.equal(r.current?.step, 2);
    assert.equal(tf.memory().numTensors, n0 + 1, 'the old statistics and their scalar disposed');
    release();
    assert.equal(r.current, null);
    assert.equal(tf.memory().numTensors, n0, 'nothing kept once nobody asks');
    r.commit(stats(3));
    assert.equal(r.current, null, 'statistics that arrive unasked are dropped');
    assert.equal(tf.memory().numTensors, n0);
  });

  it('keeps gradients while a keepGradients request lasts; dispose() drops everything', () => {
    const r = new StatsRecorder();
    const base = r.request();
    const keep = r.request({ keepGradients: true });
    const n0 = tf.memory().numTensors;
    tf.tidy(() => r.keepGradients([{ name: 'a', tensor: tf.tensor1d([1, 2]) }]));
    assert.equal(r.keptGradients?.[0].name, 'a');
    assert.equal(tf.memory().numTensors, n0 + 1);
    r.keepGradients([{ name: 'b', tensor: tf.scalar(3) }]);
    assert.equal(tf.memory().numTensors, n0 + 1, 'replaced');
    keep();
    assert.equal(r.keptGradients, null);
    assert.equal(tf.memory().numTensors, n0);
    r.commit(stats(1));
    r.dispose();
    assert.equal(r.current, null);
    assert.equal(tf.memory().numTensors, n0);
    assert.equal(r.recording, true, 'dispose keeps the requests');
    base();
  });
});
