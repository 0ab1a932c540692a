/**
 * A tiny protocol-buffers wire-format encoder: just the field kinds TensorBoard event files need.
 *
 * Why hand-written rather than `protobufjs` or `google-protobuf`: the event protos use six wire
 * shapes (varint, fixed64 double, fixed32 float, length-delimited bytes/strings/messages, packed
 * doubles), which take ~100 lines here. A library would add a runtime dependency plus generated
 * code or a .proto parser to every install (and every browser bundle) of gradclip; this file has no
 * dependency and no `node:` import, so it works anywhere. The tests decode its output with
 * `protobufjs` (a devDependency) against the real .proto definitions, so the two are checked
 * against each other.
 *
 * Wire format reference: https://protobuf.dev/programming-guides/encoding/
 */

/** Wire types from the protobuf encoding spec. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const TWO_POW_32 = 4294967296;
const textEncoder = new TextEncoder();

/**
 * Appends protobuf fields to a growable byte buffer. Nested messages are encoded with their own
 * `ProtoWriter` and added with {@link ProtoWriter.message}.
 *
 * @example
 * ```ts
 * const w = new ProtoWriter();
 * w.double(1, 1.5).varint(2, 7).string(3, 'brain.Event:2');
 * w.finish(); //=> Uint8Array [0x09, …8 bytes…, 0x10, 0x07, 0x1a, 0x0d, …]
 * ```
 */
export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  /** @param initialCapacity - bytes to allocate up front (default 64); the buffer doubles as needed. */
  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.len;
  }

  private reserve(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /**
   * Writes a bare varint (no field key). Non-negative integers up to 2^53 are encoded exactly using
   * floating-point division (bit operators would truncate to 32 bits). Negative integers are
   * encoded as 10-byte two's-complement 64-bit values, as protobuf does for int32/int64.
   */
  rawVarint(value: number): this {
    if (!Number.isInteger(value)) throw new RangeError(`varint must be an integer, got ${value}`);
    if (value < 0) {
      let big = BigInt.asUintN(64, BigInt(value));
      this.reserve(10);
      while (big >= 0x80n) {
        this.buf[this.len++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.len++] = Number(big);
      return this;
    }
    this.reserve(10);
    let v = value;
    while (v >= TWO_POW_32) {
      // Low 7 bits without `&`, which would first truncate v to 32 bits.
      this.buf[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
    return this;
  }

  /** Writes a field key: `(field << 3) | wireType`. */
  private key(field: number, wireType: number): void {
    this.rawVarint(field * 8 + wireType);
  }

  /** A varint field (int32, int64, uint64, enum, bool as 0/1). */
  varint(field: number, value: number): this {
    this.key(field, VARINT);
    return this.rawVarint(value);
  }

  /** A `double` field: 8 bytes little-endian IEEE 754. */
  double(field: number, value: number): this {
    this.key(field, FIXED64);
    this.reserve(8);
    this.view.setFloat64(this.len, value, true);
    this.len += 8;
    return this;
  }

  /** A `float` field: 4 bytes little-endian IEEE 754 (the value is rounded to float32). */
  float(field: number, value: number): this {
    this.key(field, FIXED32);
    this.reserve(4);
    this.view.setFloat32(this.len, value, true);
    this.len += 4;
    return this;
  }

  /** A `bytes` field (length-delimited). */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.rawVarint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  /** A `string` field, UTF-8 encoded (length-delimited). */
  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  /** An embedded message field: the finished bytes of another writer (length-delimited). */
  message(field: number, value: ProtoWriter | Uint8Array): this {
    return this.bytes(field, value instanceof ProtoWriter ? value.finish() : value);
  }

  /** A packed `repeated double` field: one length-delimited field of concatenated LE doubles. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    this.key(field, LENGTH_DELIMITED);
    this.rawVarint(values.length * 8);
    this.reserve(values.length * 8);
    for (let i = 0; i < values.length; i++) {
      this.view.setFloat64(this.len, values[i], true);
      this.len += 8;
    }
    return this;
  }

  /** The bytes written so far (a view of the internal buffer; copy it before writing more). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
