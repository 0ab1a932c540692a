/**
 * Test helper: an independent reader of TensorBoard event files.
 *
 * It shares no code with the writer: TFRecord framing is parsed here with a bitwise (table-free)
 * CRC32C, and Event protos are decoded by `protobufjs` (devDependency) from .proto text copied from
 * `tensorboard/compat/proto/{event,summary,histogram,tensor,tensor_shape,types}.proto`
 * (only the fields gradclip could write, plus a few neighbours).
 */
import * as fs from 'node:fs';
import protobuf from 'protobufjs';

export const EVENT_PROTO = `
syntax = "proto3";
package tensorboard;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    SessionLog session_log = 7;
    bytes meta_graph_def = 9;
  }
  SourceMetadata source_metadata = 10;
}

message SourceMetadata {
  string writer = 1;
}

message SessionLog {
  enum SessionStatus {
    STATUS_UNSPECIFIED = 0;
    START = 1;
    STOP = 2;
    CHECKPOINT = 3;
  }
  SessionStatus status = 1;
  string checkpoint_path = 2;
  string msg = 3;
}

message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
      HistogramProto histo = 5;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}

enum DataClass {
  DATA_CLASS_UNKNOWN = 0;
  DATA_CLASS_SCALAR = 1;
  DATA_CLASS_TENSOR = 2;
  DATA_CLASS_BLOB_SEQUENCE = 3;
}

message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
  string display_name = 2;
  string summary_description = 3;
  DataClass data_class = 4;
}

message HistogramProto {
  double min = 1;
  double max = 2;
  double num = 3;
  double sum = 4;
  double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true];
  repeated double bucket = 7 [packed = true];
}

enum DataType {
  DT_INVALID = 0;
  DT_FLOAT = 1;
  DT_DOUBLE = 2;
  DT_INT32 = 3;
  DT_UINT8 = 4;
  DT_INT16 = 5;
  DT_INT8 = 6;
  DT_STRING = 7;
  DT_COMPLEX64 = 8;
  DT_INT64 = 9;
  DT_BOOL = 10;
}

message TensorShapeProto {
  message Dim {
    int64 size = 1;
    string name = 2;
  }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

message TensorProto {
  DataType dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
  repeated int32 half_val = 13 [packed = true];
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated int32 int_val = 7 [packed = true];
  repeated bytes string_val = 8;
  repeated int64 int64_val = 10 [packed = true];
  repeated bool bool_val = 11 [packed = true];
}
`;

const root = protobuf.parse(EVENT_PROTO, { keepCase: false }).root;
const EventType = root.lookupType('tensorboard.Event');
const SummaryValueType = root.lookupType('tensorboard.Summary.Value');

/** Decoded shapes (camelCase, int64 as number, enums as names, bytes as Uint8Array). */
export interface DecodedTensor {
  dtype: string;
  tensorShape?: { dim?: { size: number; name?: string }[] };
  tensorContent?: Uint8Array;
}
export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  tensor?: DecodedTensor;
  histo?: Record<string, unknown>;
  metadata?: {
    pluginData?: { pluginName: string; content?: Uint8Array };
    summaryDescription?: string;
    dataClass?: string;
  };
  value?: string;
}
export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: { value: DecodedValue[] };
  sourceMetadata?: { writer: string };
  what?: string;
}

const CONVERSION = { longs: Number, enums: String, bytes: Uint8Array, defaults: true, oneofs: true } as const;

/** Decodes one serialized Event proto. */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  return EventType.toObject(EventType.decode(bytes), CONVERSION as protobuf.IConversionOptions) as DecodedEvent;
}

/** Decodes one serialized Summary.Value proto. */
export function decodeSummaryValue(bytes: Uint8Array): DecodedValue {
  return SummaryValueType.toObject(SummaryValueType.decode(bytes), CONVERSION as protobuf.IConversionOptions) as DecodedValue;
}

/** CRC32C computed one bit at a time (no table), independent of the writer's slicing-by-8 code. */
export function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord mask: rotate right 15, add 0xa282ead8 (mod 2^32). */
export function bitwiseMaskedCrc32c(bytes: Uint8Array): number {
  const c = bitwiseCrc32c(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** Result of {@link readRecords}: the good records, and why reading stopped early (if it did). */
export interface RecordsRead {
  records: Uint8Array[];
  /** Undefined when the whole buffer was consumed cleanly. */
  stopped?: { offset: number; reason: 'truncated header' | 'bad length crc' | 'truncated data' | 'bad data crc' };
}

/**
 * Parses TFRecord framing like TensorBoard's `PyRecordReader`: returns the records up to (not
 * including) the first truncated record or the first record whose length or data CRC fails.
 */
export function readRecords(buf: Uint8Array): RecordsRead {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: Uint8Array[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) return { records, stopped: { offset: off, reason: 'truncated header' } };
    const len = view.getUint32(off, true) + view.getUint32(off + 4, true) * 4294967296;
    if (view.getUint32(off + 8, true) !== bitwiseMaskedCrc32c(buf.subarray(off, off + 8))) {
      return { records, stopped: { offset: off, reason: 'bad length crc' } };
    }
    if (off + 12 + len + 4 > buf.length) return { records, stopped: { offset: off, reason: 'truncated data' } };
    const data = buf.subarray(off + 12, off + 12 + len);
    if (view.getUint32(off + 12 + len, true) !== bitwiseMaskedCrc32c(data)) {
      return { records, stopped: { offset: off, reason: 'bad data crc' } };
    }
    records.push(data);
    off += 12 + len + 4;
  }
  return { records };
}

/** Reads and decodes every valid event of a buffer (stopping at the first bad record). */
export function decodeEvents(buf: Uint8Array): DecodedEvent[] {
  return readRecords(buf).records.map(decodeEvent);
}

/** Reads and decodes every valid event of an event file. */
export function readEventFile(file: string): DecodedEvent[] {
  return decodeEvents(new Uint8Array(fs.readFileSync(file)));
}

/** The dims of a decoded tensor's shape (`[]` for a scalar). */
export function tensorShape(t: DecodedTensor): number[] {
  return (t.tensorShape?.dim ?? []).map((d) => d.size);
}

/** The values of a decoded DT_FLOAT or DT_DOUBLE tensor from its little-endian `tensor_content`. */
export function tensorValues(t: DecodedTensor): number[] {
  const c = t.tensorContent ?? new Uint8Array(0);
  const view = new DataView(c.buffer, c.byteOffset, c.byteLength);
  const size = t.dtype === 'DT_DOUBLE' ? 8 : t.dtype === 'DT_FLOAT' ? 4 : 0;
  if (size === 0) throw new Error(`tensorValues: unsupported dtype ${t.dtype}`);
  const out: number[] = [];
  for (let i = 0; i + size <= c.length; i += size) out.push(size === 8 ? view.getFloat64(i, true) : view.getFloat32(i, true));
  return out;
}
