import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { ProtoWriter } from './proto-writer.js';

const bytesOf = (w: ProtoWriter) => Array.from(w.finish());

describe('ProtoWriter', () => {
  it('encodes varints as in the protobuf spec', () => {
    assert.deepEqual(bytesOf(new ProtoWriter().rawVarint(0)), [0]);
    assert.deepEqual(bytesOf(new ProtoWriter().rawVarint(1)), [1]);
    assert.deepEqual(bytesOf(new ProtoWriter().rawVarint(127)), [0x7f]);
    assert.deepEqual(bytesOf(new ProtoWriter().rawVarint(128)), [0x80, 0x01]);
    assert.deepEqual(bytesOf(new ProtoWriter().rawVarint(150)), [0x96, 0x01]);
    assert.deepEqual(bytesOf(new ProtoWriter().rawVarint(300)), [0xac, 0x02]);
    assert.deepEqual(bytesOf(new ProtoWriter().rawVarint(2 ** 32)), [0x80, 0x80, 0x80, 0x80, 0x10]);
  });

  it('encodes 64-bit varints above 2^32 exactly (checked with protobufjs Reader)', () => {
    for (const v of [2 ** 31, 2 ** 32 - 1, 2 ** 32 + 5, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      const r = protobuf.Reader.create(new ProtoWriter().rawVarint(v).finish());
      assert.equal(String(r.uint64()), String(v));
    }
  });

  it('encodes negative integers as 10-byte two\'s complement', () => {
    const b = new ProtoWriter().rawVarint(-1).finish();
    assert.deepEqual(Array.from(b), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert.equal(String(protobuf.Reader.create(new ProtoWriter().rawVarint(-123456789012).finish()).int64()), '-123456789012');
  });

  it('rejects non-integer varints', () => {
    assert.throws(() => new ProtoWriter().rawVarint(1.5), RangeError);
  });

  it('writes keys, doubles, floats, strings, nested messages and packed doubles', () => {
    const root = protobuf.parse(`
      syntax = "proto3";
      message Inner { string s = 1; }
      message M { double d = 1; int64 i = 2; string s = 3; float f = 4; Inner m = 5; repeated double p = 6; bytes b = 7; }
    `).root;
    const M = root.lookupType('M');
    const w = new ProtoWriter(1) // tiny initial capacity exercises growth
      .double(1, Math.PI)
      .varint(2, 2 ** 45)
      .string(3, 'brain.Event:2 ✓')
      .float(4, 0.1)
      .message(5, new ProtoWriter().string(1, 'inner'))
      .packedDoubles(6, [1.5, -2, Infinity, 1e-300])
      .bytes(7, new Uint8Array([1, 2, 3]));
    const o = M.toObject(M.decode(w.finish()), { longs: Number, bytes: Array });
    assert.deepEqual(o, {
      d: Math.PI,
      i: 2 ** 45,
      s: 'brain.Event:2 ✓',
      f: Math.fround(0.1),
      m: { s: 'inner' },
      p: [1.5, -2, Infinity, 1e-300],
      b: [1, 2, 3],
    });
    assert.equal(w.length, w.finish().length);
  });
});
