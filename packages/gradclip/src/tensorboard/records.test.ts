import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RECORD_OVERHEAD, frameRecord } from './records.js';
import { bitwiseMaskedCrc32c, readRecords } from './testing/decode-events.js';

describe('frameRecord', () => {
  it('lays out u64 length, masked length crc, data, masked data crc', () => {
    const data = new TextEncoder().encode('hello');
    const rec = frameRecord(data);
    assert.equal(rec.length, data.length + RECORD_OVERHEAD);
    const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    assert.equal(view.getBigUint64(0, true), 5n);
    assert.equal(view.getUint32(8, true), bitwiseMaskedCrc32c(rec.subarray(0, 8)));
    assert.deepEqual(rec.subarray(12, 17), data);
    assert.equal(view.getUint32(17, true), bitwiseMaskedCrc32c(data));
  });

  it('frames empty data', () => {
    const { records, stopped } = readRecords(frameRecord(new Uint8Array(0)));
    assert.equal(stopped, undefined);
    assert.deepEqual(records, [new Uint8Array(0)]);
  });

  it('round-trips through an independent reader, record after record', () => {
    const payloads = [1, 0, 300, 70000].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff));
    const all = new Uint8Array(payloads.reduce((s, p) => s + p.length + RECORD_OVERHEAD, 0));
    let off = 0;
    for (const p of payloads) {
      const r = frameRecord(p);
      all.set(r, off);
      off += r.length;
    }
    const { records, stopped } = readRecords(all);
    assert.equal(stopped, undefined);
    assert.deepEqual(records, payloads);
  });
});
