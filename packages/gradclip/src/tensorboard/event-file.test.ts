import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForBrowser } from '@gradclip/testing/bundle';
import { ValueError } from '../errors.js';
import { eventFile, eventFileName } from './event-file.js';
import { summaryFileWriter } from './summary-file-writer.js';
import { decodeEvents, readRecords, tensorShape, tensorValues } from './testing/decode-events.js';

const T0 = 1717000000123;
const tmpdirs: string[] = [];
afterEach(() => {
  for (const d of tmpdirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('eventFile (in memory, browser-safe)', () => {
  it('decodes with the independent reader: file_version first, then scalars with steps, NaN and Infinity kept', () => {
    const f = eventFile({ now: () => T0 });
    f.scalar('loss', 0.25, 1);
    f.scalar('loss', NaN, 2);
    f.scalar('grad_norm', Infinity, 2, T0 + 5000);
    const buf = f.bytes();
    assert.equal(readRecords(buf).stopped, undefined, 'every record frames and checks');
    const events = decodeEvents(buf);
    assert.equal(events.length, 4);
    assert.equal(f.events, 4);
    assert.equal(f.byteLength, buf.length);
    assert.equal(events[0].fileVersion, 'brain.Event:2');
    assert.equal(events[0].wallTime, T0 / 1000);
    const values = events.slice(1).map((e) => ({ step: e.step, wall: e.wallTime, tag: e.summary!.value[0].tag, v: e.summary!.value[0].simpleValue }));
    assert.deepEqual(values.map((x) => [x.step, x.tag]), [[1, 'loss'], [2, 'loss'], [2, 'grad_norm']]);
    assert.equal(values[0].v, 0.25);
    assert.ok(Number.isNaN(values[1].v));
    assert.equal(values[2].v, Infinity);
    assert.equal(values[2].wall, (T0 + 5000) / 1000);
  });

  it('histograms: a [k, 3] DT_DOUBLE tensor over the finite values plus the non-finite counts', () => {
    const f = eventFile({ now: () => T0 });
    f.histogram('w', [1, 2, 3, NaN, Infinity], 7, 2);
    const events = decodeEvents(f.bytes()).slice(1);
    const byTag = new Map(events.map((e) => [e.summary!.value[0].tag, e.summary!.value[0]]));
    const h = byTag.get('w')!;
    assert.deepEqual(tensorShape(h.tensor!), [2, 3]);
    assert.deepEqual(tensorValues(h.tensor!), [1, 2, 1, 2, 3, 2]);
    assert.equal(byTag.get('w/nan_count')!.simpleValue, 1);
    assert.equal(byTag.get('w/pos_inf_count')!.simpleValue, 1);
    assert.equal(byTag.get('w/neg_inf_count')!.simpleValue, 0);
    assert.ok(events.every((e) => e.step === 7));
  });

  it('writes the same bytes as summaryFileWriter does to disk, for the same clock and events', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradclip-ef-'));
    tmpdirs.push(dir);
    const w = summaryFileWriter(dir, { now: () => T0 });
    const f = eventFile({ now: () => T0 });
    for (const x of [w, f]) {
      x.scalar('loss', 1.5, 1);
      x.scalar('loss', 0.75, 2);
      x.histogram('g', new Float32Array([0.5, -0.5, 2]), 2, 3);
    }
    w.close();
    assert.deepEqual(f.bytes(), new Uint8Array(fs.readFileSync(w.filePath)));
  });

  it('grows past its initial capacity and bytes() is a copy', () => {
    const f = eventFile({ initialCapacity: 64 });
    for (let i = 0; i < 500; i++) f.scalar('x', i, i);
    const a = f.bytes();
    assert.equal(decodeEvents(a).length, 501);
    a.fill(0);
    assert.equal(decodeEvents(f.bytes()).length, 501);
  });

  it('rejects bad arguments with a ValueError that names them', () => {
    const f = eventFile();
    assert.throws(() => f.scalar('', 1, 0), (e: unknown) => e instanceof ValueError && /`name` must be a non-empty string/.test(e.message));
    assert.throws(() => f.scalar('a', 1, -1), /`step` must be an integer >= 0. Received: step=-1/);
    assert.throws(() => f.scalar('a', '1' as unknown as number, 0), /`value` must be a number/);
    assert.throws(() => f.histogram('h', [1, 'x' as unknown as number], 0), /`data\[1\]` must be a number/);
    assert.throws(() => f.histogram('h', [1], 0, 0), /`buckets`/);
    assert.throws(() => eventFile({ initialCapacity: 1 }), /`initialCapacity`/);
    assert.throws(() => eventFileName(NaN), /`wallTimeMs`/);
  });

  it('eventFileName follows TensorBoard: events.out.tfevents.<10-digit secs>.<host><suffix>', () => {
    assert.equal(eventFileName(T0), 'events.out.tfevents.1717000000.browser.v2');
    assert.equal(eventFileName(5000, 'my/host', ''), 'events.out.tfevents.0000000005.my_host');
  });

  it('the gradclip/tensorboard entry bundles for the browser with no Node built-ins', async () => {
    const entry = fileURLToPath(new URL('./browser.ts', import.meta.url));
    const r = await bundleForBrowser(entry);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.inputs.filter((f) => /^node:|summary-file-writer/.test(f)), []);
    assert.ok(r.inputs.some((f) => f.endsWith('event-file.ts')));
    // The check can fail: the file writer does not bundle.
    const bad = await bundleForBrowser(fileURLToPath(new URL('./summary-file-writer.ts', import.meta.url)));
    assert.ok(bad.errors.length > 0);
  });
});
