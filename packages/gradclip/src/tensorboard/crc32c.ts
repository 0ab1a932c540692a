/**
 * CRC32C (Castagnoli) and the "masked" variant that TFRecord framing uses.
 *
 * Reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final xor 0xFFFFFFFF, as in
 * `tensorflow/core/lib/hash/crc32c.h`. The table-driven loop processes 8 bytes per step
 * ("slicing-by-8"), which is several times faster than one table lookup per byte on large records
 * such as histograms; pure TS, no `node:` imports, so it also runs in browsers.
 *
 * References: Castagnoli, Bräuer, Herrmann, "Optimization of Cyclic Redundancy-Check Codes with 24
 * and 32 Parity Bits", IEEE Trans. Commun. 1993. https://doi.org/10.1109/26.231911
 */

const POLY = 0x82f63b78;
const MASK_DELTA = 0xa282ead8;

/** 8 tables of 256 entries: TABLES[k*256 + b] is the CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + b] = c >>> 0;
    }
  }
  return t;
})();

const textEncoder = new TextEncoder();

/**
 * CRC32C of `data` (a string is hashed as its UTF-8 bytes).
 *
 * @param data - the bytes to hash, or a string (UTF-8 encoded first).
 * @returns the checksum as an unsigned 32-bit integer.
 * @example
 * ```ts
 * crc32c('123456789').toString(16); //=> 'e3069283'
 * crc32c(new Uint8Array(0)); //=> 0
 * ```
 */
export function crc32c(data: Uint8Array | string): number {
  const bytes = typeof data === 'string' ? textEncoder.encode(data) : data;
  const t = TABLES;
  let crc = 0xffffffff;
  let i = 0;
  const n = bytes.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc =
      t[7 * 256 + (lo & 0xff)] ^
      t[6 * 256 + ((lo >>> 8) & 0xff)] ^
      t[5 * 256 + ((lo >>> 16) & 0xff)] ^
      t[4 * 256 + (lo >>> 24)] ^
      t[3 * 256 + bytes[i + 4]] ^
      t[2 * 256 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
    i += 8;
  }
  while (i < n) {
    crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    i++;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The masked CRC32C stored in TFRecord headers and footers: rotate right by 15 bits, then add
 * 0xa282ead8 (mod 2^32). Masking keeps a CRC of data that itself contains CRCs well distributed.
 *
 * @param data - the bytes to hash, or a string (UTF-8 encoded first).
 * @returns the masked checksum as an unsigned 32-bit integer.
 * @example
 * ```ts
 * maskedCrc32c('123456789').toString(16); //=> 'c78ab0e5'
 * ```
 */
export function maskedCrc32c(data: Uint8Array | string): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}
