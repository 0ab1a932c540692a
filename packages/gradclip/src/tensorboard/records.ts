/**
 * TFRecord framing: the container format of TensorBoard event files.
 *
 * Each record is `u64 LE length | u32 LE masked_crc32c(length bytes) | data | u32 LE
 * masked_crc32c(data)` (TF `record_writer.cc` PopulateHeader/PopulateFooter). Readers stop at the
 * first record whose length or CRC does not check, so a record written with one `write` call is
 * either wholly readable or ignored together with everything after it.
 */
import { maskedCrc32c } from './crc32c.js';

/** Bytes of framing around each record's data: 8 (length) + 4 (length CRC) + 4 (data CRC). */
export const RECORD_OVERHEAD = 16;

/**
 * Frames one record as a single buffer, ready for one `write` call.
 *
 * @param data - the serialized payload (an Event proto for TensorBoard).
 * @returns `data.length + 16` bytes: header, data, footer.
 * @example
 * ```ts
 * const rec = frameRecord(new Uint8Array([1, 2, 3]));
 * rec.length; //=> 19
 * rec.subarray(0, 8); //=> Uint8Array [3, 0, 0, 0, 0, 0, 0, 0]
 * ```
 */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + RECORD_OVERHEAD);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length >>> 0, true);
  view.setUint32(4, Math.floor(data.length / 4294967296), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}
