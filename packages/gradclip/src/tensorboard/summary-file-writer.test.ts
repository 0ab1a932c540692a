import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GradclipError, ValueError } from '../errors.js';
import { summaryFileWriter, type SummaryFileWriter, type SummaryFileWriterOptions } from './summary-file-writer.js';
import { decodeEvents, readEventFile, readRecords, tensorShape, tensorValues, type DecodedEvent } from './testing/decode-events.js';

const T0 = 1717000000123; // ms
const open: SummaryFileWriter[] = [];
const tmpdirs: string[] = [];

function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gradclip-tb-'));
  tmpdirs.push(d);
  return d;
}

/** A writer on a fresh logdir with a fake clock starting at T0 that the test can advance. */
function makeWriter(options: SummaryFileWriterOptions = {}) {
  const clock = { t: T0 };
  const logdir = path.join(tmpdir(), 'run', 'train');
  const w = summaryFileWriter(logdir, { now: () => clock.t, ...options });
  open.push(w);
  return { w, clock, logdir };
}

afterEach(() => {
  for (const w of open.splice(0)) w.close();
  for (const d of tmpdirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const summaries = (events: DecodedEvent[]) =>
  events.filter((e) => e.summary).flatMap((e) => e.summary!.value.map((v) => ({ step: e.step, wallTime: e.wallTime, ...v })));

describe('summaryFileWriter: file', () => {
  it('creates logdir (mkdir -p) and one events.out.tfevents.<secs>.<host>.<pid>.<n>.v2 file', () => {
    const { w, logdir } = makeWriter();
    const files = fs.readdirSync(logdir);
    assert.equal(files.length, 1);
    assert.equal(path.join(logdir, files[0]), w.filePath);
    const host = os.hostname().replace(/[\\/]/g, '_');
    const m = /^events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)\.v2$/.exec(files[0]);
    assert.ok(m, files[0]);
    assert.equal(m[1], '1717000000');
    assert.equal(m[2], host);
    assert.equal(Number(m[3]), process.pid);
  });

  it('pads the seconds to 10 digits and honours filenameSuffix', () => {
    const logdir = tmpdir();
    const w = summaryFileWriter(logdir, { now: () => 5000, filenameSuffix: '.custom' });
    open.push(w);
    assert.match(path.basename(w.filePath), /^events\.out\.tfevents\.0000000005\..*\.custom$/);
  });

  it('starts with Event{file_version: "brain.Event:2"} stamped by the injected clock', () => {
    const { w } = makeWriter();
    const events = readEventFile(w.filePath);
    assert.equal(events.length, 1);
    assert.equal(events[0].fileVersion, 'brain.Event:2');
    assert.equal(events[0].wallTime, T0 / 1000);
    assert.equal(events[0].sourceMetadata?.writer, 'gradclip');
  });
});

describe('summaryFileWriter: scalar', () => {
  it('writes simple_value scalars (float32) with their steps and clock wall_time', () => {
    const { w, clock } = makeWriter();
    const written = [1, 0.5, 1 / 3, 1e-8, -123.456];
    written.forEach((v, i) => {
      clock.t = T0 + 1000 * i;
      w.scalar('loss', v, i + 1);
    });
    w.scalar('weird', NaN, 0);
    w.flush();
    const vals = summaries(readEventFile(w.filePath));
    assert.deepEqual(
      vals.filter((v) => v.tag === 'loss').map((v) => [v.step, v.simpleValue, v.wallTime]),
      written.map((v, i) => [i + 1, Math.fround(v), (T0 + 1000 * i) / 1000]),
    );
    const weird = vals.find((v) => v.tag === 'weird')!;
    assert.ok(Number.isNaN(weird.simpleValue));
    assert.equal(weird.step, 0);
  });

  it('accepts large integer steps', () => {
    const { w } = makeWriter();
    w.scalar('s', 1, Number.MAX_SAFE_INTEGER);
    w.flush();
    assert.equal(summaries(readEventFile(w.filePath))[0].step, Number.MAX_SAFE_INTEGER);
  });
});

describe('summaryFileWriter: histogram', () => {
  it('writes a [30,3] DT_DOUBLE tensor whose counts sum to the number of finite values', () => {
    const { w } = makeWriter();
    const data = Array.from({ length: 1000 }, (_, i) => Math.sin(i * 1.7) * 3);
    data.push(NaN, NaN, Infinity, -Infinity, -Infinity, -Infinity);
    w.histogram('weights', data, 7);
    w.flush();
    const vals = summaries(readEventFile(w.filePath));
    const h = vals.find((v) => v.tag === 'weights')!;
    assert.equal(h.step, 7);
    assert.equal(h.tensor?.dtype, 'DT_DOUBLE');
    assert.equal(h.metadata?.pluginData?.pluginName, 'histograms');
    assert.deepEqual(tensorShape(h.tensor!), [30, 3]);
    const flat = tensorValues(h.tensor!);
    let total = 0;
    for (let i = 2; i < flat.length; i += 3) total += flat[i];
    assert.equal(total, 1000);
    const counts = Object.fromEntries(vals.filter((v) => v.tag !== 'weights').map((v) => [v.tag, [v.step, v.simpleValue]]));
    assert.deepEqual(counts, {
      'weights/nan_count': [7, 2],
      'weights/pos_inf_count': [7, 1],
      'weights/neg_inf_count': [7, 3],
    });
  });

  it('always logs the non-finite counts, 0 included', () => {
    const { w } = makeWriter();
    w.histogram('b', [1, 2, 3], 1);
    w.flush();
    const vals = summaries(readEventFile(w.filePath));
    assert.deepEqual(
      vals.filter((v) => v.tag !== 'b').map((v) => [v.tag, v.simpleValue]),
      [
        ['b/nan_count', 0],
        ['b/pos_inf_count', 0],
        ['b/neg_inf_count', 0],
      ],
    );
  });

  it('accepts number[], Float32Array, Float64Array and tensors (dataSync), and a bucket count', () => {
    const { w } = makeWriter();
    const src = [0.5, -1, 2, 3.25, 7];
    const fake = { dataSync: () => Float32Array.from(src) };
    w.histogram('a', src, 1, 4);
    w.histogram('f32', Float32Array.from(src), 1, 4);
    w.histogram('f64', Float64Array.from(src), 1, 4);
    w.histogram('t', fake, 1, 4);
    w.flush();
    const hs = summaries(readEventFile(w.filePath)).filter((v) => v.tensor);
    assert.deepEqual(
      hs.map((v) => v.tag),
      ['a', 'f32', 'f64', 't'],
    );
    for (const h of hs) {
      assert.deepEqual(tensorShape(h.tensor!), [4, 3]);
      assert.deepEqual(tensorValues(h.tensor!), tensorValues(hs[0].tensor!));
    }
  });

  it('writes shape [0,3] for empty or all-NaN data and one bucket for constant data', () => {
    const { w } = makeWriter();
    w.histogram('empty', [], 1);
    w.histogram('nan', [NaN], 1);
    w.histogram('const', [3, 3, 3], 1);
    w.flush();
    const byTag = new Map(summaries(readEventFile(w.filePath)).map((v) => [v.tag, v]));
    assert.deepEqual(tensorShape(byTag.get('empty')!.tensor!), [0, 3]);
    assert.deepEqual(tensorShape(byTag.get('nan')!.tensor!), [0, 3]);
    assert.equal(byTag.get('nan/nan_count')!.simpleValue, 1);
    assert.deepEqual(tensorValues(byTag.get('const')!.tensor!), [2.5, 3.5, 3]);
  });
});

describe('summaryFileWriter: queue and flush', () => {
  const recordCount = (w: SummaryFileWriter) => readRecords(new Uint8Array(fs.readFileSync(w.filePath))).records.length;

  it('keeps up to maxQueue events in memory, writes when one more arrives', () => {
    const { w } = makeWriter({ maxQueue: 3 });
    for (let i = 0; i < 3; i++) w.scalar('x', i, i);
    assert.equal(recordCount(w), 1, 'only file_version written');
    w.scalar('x', 3, 3);
    assert.equal(recordCount(w), 5);
  });

  it('writes queued events on flush()', () => {
    const { w } = makeWriter();
    w.scalar('x', 1, 1);
    assert.equal(recordCount(w), 1);
    w.flush();
    assert.equal(recordCount(w), 2);
    w.flush();
    assert.equal(recordCount(w), 2, 'flush of an empty queue writes nothing');
  });

  it('writes once flushMillis has passed since the last write', () => {
    const { w, clock } = makeWriter({ flushMillis: 1000 });
    w.scalar('x', 1, 1);
    clock.t += 999;
    w.scalar('x', 2, 2);
    assert.equal(recordCount(w), 1);
    clock.t += 1;
    w.scalar('x', 3, 3);
    assert.equal(recordCount(w), 4);
  });

  it('writes every event at once with maxQueue 0', () => {
    const { w } = makeWriter({ maxQueue: 0 });
    w.scalar('x', 1, 1);
    assert.equal(recordCount(w), 2);
  });

  it('writes queued events when the process exits', () => {
    const logdir = path.join(tmpdir(), 'child');
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = `
      import { summaryFileWriter } from ${JSON.stringify(path.join(here, 'summary-file-writer.ts'))};
      const w = summaryFileWriter(${JSON.stringify(logdir)});
      for (let i = 0; i < 5; i++) w.scalar('x', i, i);
    `;
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' });
    const [file] = fs.readdirSync(logdir);
    assert.deepEqual(
      summaries(readEventFile(path.join(logdir, file))).map((v) => v.step),
      [0, 1, 2, 3, 4],
    );
  });
});

describe('summaryFileWriter: cache and close', () => {
  it('returns the cached writer for the same logdir (resolved path)', () => {
    const { w, logdir } = makeWriter();
    const rel = path.relative(process.cwd(), logdir);
    assert.equal(summaryFileWriter(rel), w);
    assert.equal(summaryFileWriter(logdir + path.sep), w);
  });

  it('close() flushes, removes the writer from the cache and is idempotent', () => {
    const { w, logdir } = makeWriter();
    w.scalar('x', 1, 1);
    w.close();
    w.close();
    assert.equal(w.closed, true);
    assert.equal(readEventFile(w.filePath).length, 2);
    const w2 = summaryFileWriter(logdir, { now: () => T0 });
    open.push(w2);
    assert.notEqual(w2, w);
    assert.notEqual(w2.filePath, w.filePath);
    assert.equal(fs.readdirSync(logdir).length, 2);
  });

  it('throws on use after close()', () => {
    const { w } = makeWriter();
    w.close();
    assert.throws(() => w.scalar('x', 1, 1), (e: unknown) => e instanceof GradclipError && /is closed/.test((e as Error).message));
    assert.throws(() => w.flush(), /is closed/);
  });
});

describe('summaryFileWriter: crash safety (independent reader)', () => {
  /** A file with a file_version event and five scalar events, and the byte offset where each record starts. */
  function fiveScalars() {
    const { w } = makeWriter();
    for (let i = 1; i <= 5; i++) w.scalar('loss', 1 / i, i);
    w.flush();
    const bytes = new Uint8Array(fs.readFileSync(w.filePath));
    const { records } = readRecords(bytes);
    assert.equal(records.length, 6);
    const starts = [0];
    for (const r of records) starts.push(starts[starts.length - 1] + r.length + 16);
    assert.equal(starts[6], bytes.length);
    return { bytes, starts };
  }

  it('a file cut at any byte yields exactly the records completed before the cut', () => {
    const { bytes, starts } = fiveScalars();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const complete = starts.filter((s, i) => i > 0 && s <= cut).length;
      const events = decodeEvents(bytes.subarray(0, cut));
      assert.equal(events.length, complete, `cut at ${cut}`);
      assert.deepEqual(
        summaries(events).map((v) => v.step),
        Array.from({ length: Math.max(0, complete - 1) }, (_, i) => i + 1),
      );
    }
  });

  it('a corrupted byte anywhere in record N yields exactly records 0..N-1', () => {
    const { bytes, starts } = fiveScalars();
    const N = 3;
    for (let pos = starts[N]; pos < starts[N + 1]; pos++) {
      const bad = bytes.slice();
      bad[pos] ^= 0x40;
      const { records, stopped } = readRecords(bad);
      assert.equal(records.length, N, `byte ${pos - starts[N]} of record ${N}`);
      assert.equal(stopped?.offset, starts[N]);
    }
  });
});

describe('summaryFileWriter: validation', () => {
  const isValueError = (re: RegExp) => (e: unknown) => e instanceof ValueError && re.test((e as Error).message);

  it('rejects an empty or non-string logdir', () => {
    assert.throws(() => summaryFileWriter(''), isValueError(/^`logdir` must be a non-empty string\. Received: logdir=""$/));
    assert.throws(() => summaryFileWriter(42 as unknown as string), isValueError(/`logdir` must be a non-empty string\. Received: logdir=42/));
  });

  it('rejects a step that is not an integer >= 0', () => {
    const { w } = makeWriter();
    assert.throws(() => w.scalar('x', 1, 1.5), isValueError(/^`step` must be an integer >= 0\. Received: step=1\.5$/));
    assert.throws(() => w.scalar('x', 1, -1), isValueError(/`step` must be an integer >= 0\. Received: step=-1/));
    assert.throws(() => w.scalar('x', 1, NaN), isValueError(/Received: step=NaN/));
    assert.throws(() => w.histogram('x', [1], 2 ** 60), isValueError(/`step` must be an integer >= 0/));
    assert.throws(() => w.scalar('x', 1, undefined as unknown as number), isValueError(/Received: step=undefined/));
  });

  it('rejects an empty or non-string name', () => {
    const { w } = makeWriter();
    assert.throws(() => w.scalar('', 1, 1), isValueError(/^`name` must be a non-empty string\. Received: name=""$/));
    assert.throws(() => w.histogram(3 as unknown as string, [1], 1), isValueError(/`name` must be a non-empty string\. Received: name=3/));
  });

  it('rejects a bucket count that is not an integer >= 1', () => {
    const { w } = makeWriter();
    assert.throws(() => w.histogram('h', [1], 1, 0), isValueError(/^`buckets` must be an integer >= 1\. Received: buckets=0$/));
    assert.throws(() => w.histogram('h', [1], 1, 2.5), isValueError(/Received: buckets=2\.5/));
  });

  it('rejects a scalar value that is not a number', () => {
    const { w } = makeWriter();
    assert.throws(() => w.scalar('x', '1' as unknown as number, 1), isValueError(/^`value` must be a number\. Received: value="1"$/));
  });

  it('rejects histogram data of the wrong type', () => {
    const { w } = makeWriter();
    assert.throws(() => w.histogram('h', 'abc' as unknown as number[], 1), isValueError(/^`data` must be a number\[\], Float32Array/));
    assert.throws(() => w.histogram('h', [1, 'x'] as unknown as number[], 1), isValueError(/^`data\[1\]` must be a number\. Received: data\[1\]="x"$/));
  });

  it('rejects bad options', () => {
    const d = tmpdir();
    assert.throws(() => summaryFileWriter(d, { maxQueue: -1 }), isValueError(/`maxQueue` must be an integer >= 0\. Received: maxQueue=-1/));
    assert.throws(() => summaryFileWriter(d, { flushMillis: -5 }), isValueError(/`flushMillis` must be a finite number >= 0/));
    assert.throws(() => summaryFileWriter(d, { filenameSuffix: '/x' }), isValueError(/`filenameSuffix` must be a string without path separators/));
    assert.throws(() => summaryFileWriter(d, { now: 5 as unknown as () => number }), isValueError(/`now` must be a function/));
    assert.equal(fs.readdirSync(d).length, 0, 'nothing created on a validation error');
  });

  it('writes nothing for a call that fails validation', () => {
    const { w } = makeWriter({ maxQueue: 0 });
    assert.throws(() => w.scalar('x', 1, -1));
    assert.equal(readEventFile(w.filePath).length, 1);
  });
});
