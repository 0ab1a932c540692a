/**
 * The downloads: the CSV table and the TensorBoard ZIP. The ZIP is opened with Python's zipfile
 * and the event files decoded with gradclip's own test decoder (protobufjs, bitwise CRC32C), both
 * independent of the code that wrote them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeEvents, readRecords } from '../../../packages/gradclip/src/tensorboard/testing/decode-events.js';
import { TB_TAGS, runDirName, tensorBoardZip, toCsv } from '../src/export.js';
import type { StepBatch } from '../src/protocol.js';
import { RunSeries } from '../src/series.js';
import { crc32 } from '../src/zip.js';

const LAYERS = ['dense_Dense1', 'head'];

function batch(run: number, from: number, n: number, f: (step: number) => number): StepBatch {
  const steps = Array.from({ length: n }, (_, i) => from + i);
  return {
    run,
    step: Int32Array.from(steps),
    epoch: Int32Array.from(steps, () => 0),
    loss: Float64Array.from(steps, f),
    gradNorm: Float64Array.from(steps, (s) => 10 * f(s)),
    clippedNorm: Float64Array.from(steps, (s) => Math.min(1, 10 * f(s))),
    clipped: Uint8Array.from(steps, (s) => (10 * f(s) > 1 ? 1 : 0)),
    skipped: Uint8Array.from(steps, () => 0),
    nonFinite: Float64Array.from(steps, (s) => (Number.isFinite(f(s)) ? 0 : 3)),
    layerNorms: Float32Array.from(steps.flatMap((s) => [f(s), 2 * f(s)])),
  };
}

function twoRuns(): RunSeries[] {
  const a = new RunSeries(0, 'sgd 0.01 · no clipping', LAYERS);
  a.append(batch(0, 1, 3, (s) => (s < 3 ? 100 * s : Infinity)));
  a.append(batch(0, 4, 1, () => NaN));
  const b = new RunSeries(1, 'sgd 0.01 · norm 1', LAYERS);
  b.append(batch(1, 1, 4, (s) => 1 / s));
  return [a, b];
}

const python = (() => {
  try {
    execFileSync('python3', ['-c', 'import zipfile'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('downloads', () => {
  it('CRC-32 matches the standard check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  it('series: markers for NaN/Inf steps, and the rolling clip rate', () => {
    const [a, b] = twoRuns();
    assert.deepEqual(a.markers, [{ kind: 'nonfinite', step: 3 }, { kind: 'nonfinite', step: 4 }]);
    // Run 1 clips at steps 1-3 (norms 1000, 2000, Infinity) but not at step 4 (NaN is not > 1).
    assert.deepEqual(Array.from(a.clipRate.view()), [1, 1, 1, 0.75]);
    assert.deepEqual(Array.from(b.clipRate.view()), [1, 1, 1, 1]);
    assert.deepEqual(b.markers, []);
  });

  it('CSV: one row per run and step, NaN and Infinity spelled out, layer columns last', () => {
    const csv = toCsv(twoRuns()).trim().split('\n');
    assert.equal(csv[0], 'run,label,step,epoch,loss,grad_norm,grad_norm_clipped,clipped,skipped,nonfinite_count,clip_rate,grad_norm/dense_Dense1,grad_norm/head');
    assert.equal(csv.length, 1 + 4 + 4);
    assert.equal(csv[1], '1,"sgd 0.01 · no clipping",1,0,100,1000,1,1,0,0,1,100,200');
    assert.equal(csv[3], '1,"sgd 0.01 · no clipping",3,0,Infinity,Infinity,1,1,0,3,1,Infinity,Infinity');
    assert.match(csv[4], /^1,"sgd 0.01 · no clipping",4,0,NaN,NaN,NaN,0,0,3,/);
  });

  it('TensorBoard ZIP: one directory per run, each event file decodes with the expected tags and steps', { skip: python ? false : 'python3 (zipfile) is not installed' }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'playground-tb-'));
    try {
      const runs = twoRuns();
      const file = path.join(dir, 'logs.zip');
      writeFileSync(file, tensorBoardZip(runs, 1717000000000));
      execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2])', file, path.join(dir, 'out')]);
      const out = path.join(dir, 'out');
      assert.deepEqual(readdirSync(out).sort(), runs.map(runDirName));
      assert.deepEqual(runs.map(runDirName), ['run1-sgd-0.01-no-clipping', 'run2-sgd-0.01-norm-1']);
      for (const r of runs) {
        const files = readdirSync(path.join(out, runDirName(r)));
        assert.deepEqual(files, ['events.out.tfevents.1717000000.browser.v2']);
        const bytes = new Uint8Array(readFileSync(path.join(out, runDirName(r), files[0])));
        assert.equal(readRecords(bytes).stopped, undefined);
        const events = decodeEvents(bytes);
        assert.equal(events[0].fileVersion, 'brain.Event:2');
        const values = events.slice(1).map((e) => ({ step: e.step, tag: e.summary!.value[0].tag, v: e.summary!.value[0].simpleValue! }));
        const tags = [...new Set(values.map((v) => v.tag))];
        assert.deepEqual(tags, [...TB_TAGS, 'grad_norm/dense_Dense1', 'grad_norm/head']);
        const loss = values.filter((v) => v.tag === 'batch_loss');
        assert.deepEqual(loss.map((v) => v.step), [1, 2, 3, 4]);
        assert.deepEqual(loss.map((v) => v.v), Array.from(r.loss.view(), (x) => Math.fround(x)));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
