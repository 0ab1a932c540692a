/**
 * Encoders for the TensorBoard protos written to event files: `Event`, `Summary.Value` (scalar in
 * legacy `simple_value` and TF2 tensor form, histogram in TF2 `[k, 3]` tensor form).
 *
 * Field numbers follow `tensorboard/compat/proto/{event,summary,tensor,tensor_shape,types}.proto`.
 * Browser-safe: no `node:` imports.
 */
import { ProtoWriter } from './proto-writer.js';
import type { HistogramBuckets } from './histogram-buckets.js';

/** The `file_version` of the first event of every file; TensorBoard needs version >= 2. */
export const FILE_VERSION = 'brain.Event:2';

/** `source_metadata.writer` of the first event. */
export const SOURCE_WRITER = 'gradclip';

/** TensorFlow `DataType` enum values (`types.proto`). */
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
/** `SummaryMetadata.DataClass.DATA_CLASS_SCALAR`. */
const DATA_CLASS_SCALAR = 1;

/**
 * Serializes `Event{wall_time, file_version, source_metadata{writer}}`, the first event of a file.
 *
 * @param wallTime - seconds since the Unix epoch (fractional).
 * @param writer - `source_metadata.writer` (default `'gradclip'`).
 * @returns the serialized Event proto.
 * @example
 * ```ts
 * const bytes = encodeFileVersionEvent(1717000000.5);
 * // decodes to { wallTime: 1717000000.5, fileVersion: 'brain.Event:2', sourceMetadata: { writer: 'gradclip' } }
 * ```
 */
export function encodeFileVersionEvent(wallTime: number, writer: string = SOURCE_WRITER): Uint8Array {
  const w = new ProtoWriter();
  w.double(1, wallTime);
  w.string(3, FILE_VERSION);
  w.message(10, new ProtoWriter().string(1, writer));
  return w.finish();
}

/**
 * Serializes `Event{wall_time, step, summary{value: values}}`.
 *
 * @param wallTime - seconds since the Unix epoch (fractional).
 * @param step - the global step, an integer >= 0 (int64 on the wire).
 * @param values - serialized `Summary.Value` messages, e.g. from {@link encodeScalarValue}.
 * @returns the serialized Event proto.
 * @example
 * ```ts
 * const bytes = encodeSummaryEvent(1717000000, 3, [encodeScalarValue('loss', 0.25)]);
 * // decodes to { wallTime: 1717000000, step: 3, summary: { value: [{ tag: 'loss', simpleValue: 0.25 }] } }
 * ```
 */
export function encodeSummaryEvent(wallTime: number, step: number, values: readonly Uint8Array[]): Uint8Array {
  const summary = new ProtoWriter();
  for (const v of values) summary.message(1, v);
  const w = new ProtoWriter(summary.length + 32);
  w.double(1, wallTime);
  if (step !== 0) w.varint(2, step); // proto3 default: omitted when 0
  w.message(5, summary);
  return w.finish();
}

/** `SummaryMetadata{plugin_data{plugin_name, content: empty}, summary_description?, data_class?}`. */
function encodeMetadata(pluginName: string, description?: string, dataClass?: number): ProtoWriter {
  const m = new ProtoWriter();
  // The plugin content (`ScalarPluginData`/`HistogramPluginData{version: 0}`) is empty bytes in proto3.
  m.message(1, new ProtoWriter().string(1, pluginName));
  if (description) m.string(3, description);
  if (dataClass !== undefined) m.varint(4, dataClass);
  return m;
}

/** `TensorShapeProto{dim: [{size}, …]}`. A scalar has no dims. */
function encodeShape(dims: readonly number[]): ProtoWriter {
  const s = new ProtoWriter();
  for (const d of dims) {
    const dim = new ProtoWriter();
    if (d !== 0) dim.varint(1, d);
    s.message(2, dim);
  }
  return s;
}

/**
 * Serializes a legacy scalar `Summary.Value{tag, simple_value}` (float32), as TF's C++
 * `WriteScalarSummary` and hence tfjs-node write. TensorBoard migrates it to the tensor form on load.
 *
 * @param tag - the summary tag, e.g. `'loss'`.
 * @param value - the value; rounded to float32 (NaN and ±Infinity are kept).
 * @returns the serialized Summary.Value proto.
 * @example
 * ```ts
 * encodeScalarValue('loss', 0.1); // decodes to { tag: 'loss', simpleValue: 0.10000000149011612 }
 * ```
 */
export function encodeScalarValue(tag: string, value: number): Uint8Array {
  return new ProtoWriter().string(1, tag).float(2, value).finish();
}

/**
 * Serializes a TF2 scalar: `Summary.Value{tag, tensor: rank-0 DT_FLOAT, metadata: scalars plugin,
 * DATA_CLASS_SCALAR}` (what `tf.summary.scalar` writes in TF2).
 *
 * @param tag - the summary tag.
 * @param value - the value; rounded to float32.
 * @param description - optional Markdown description stored in the metadata.
 * @returns the serialized Summary.Value proto.
 * @example
 * ```ts
 * encodeTensorScalarValue('loss', 0.5);
 * // decodes to { tag: 'loss', tensor: { dtype: DT_FLOAT, tensorShape: {}, tensorContent: <00 00 00 3f> }, metadata: … }
 * ```
 */
export function encodeTensorScalarValue(tag: string, value: number, description?: string): Uint8Array {
  const content = new Uint8Array(4);
  new DataView(content.buffer).setFloat32(0, value, true);
  const tensor = new ProtoWriter().varint(1, DT_FLOAT).message(2, encodeShape([])).bytes(4, content);
  return new ProtoWriter()
    .string(1, tag)
    .message(8, tensor)
    .message(9, encodeMetadata('scalars', description, DATA_CLASS_SCALAR))
    .finish();
}

/**
 * Serializes a TF2 histogram: `Summary.Value{tag, tensor: DT_DOUBLE [k, 3] (rows left, right,
 * count; little-endian tensor_content), metadata: histograms plugin}`.
 *
 * @param tag - the summary tag.
 * @param buckets - rows from {@link histogramBuckets}; zero rows gives shape `[0, 3]`.
 * @param description - optional Markdown description stored in the metadata.
 * @returns the serialized Summary.Value proto.
 * @example
 * ```ts
 * encodeHistogramValue('weights', histogramBuckets([1, 2, 3], 2));
 * // decodes to a DT_DOUBLE tensor of shape [2, 3]: [[1, 2, 1], [2, 3, 2]]
 * ```
 */
export function encodeHistogramValue(tag: string, buckets: HistogramBuckets, description?: string): Uint8Array {
  const src = buckets.values;
  const content = new Uint8Array(src.length * 8);
  const view = new DataView(content.buffer);
  for (let i = 0; i < src.length; i++) view.setFloat64(i * 8, src[i], true);
  const tensor = new ProtoWriter(content.length + 32)
    .varint(1, DT_DOUBLE)
    .message(2, encodeShape([buckets.rows, 3]))
    .bytes(4, content);
  return new ProtoWriter(content.length + 64)
    .string(1, tag)
    .message(8, tensor)
    .message(9, encodeMetadata('histograms', description))
    .finish();
}
