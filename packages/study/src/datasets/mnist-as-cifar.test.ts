import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mnistAsCifar } from './mnist-as-cifar.js';

/** Bytes from a small LCG (every value 0-255 occurs), independent of the code under test. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('mnistAsCifar', () => {
  const n = 3;
  const src = bytes(n * 784, 7);
  const labels = Uint8Array.of(9, 0, 4);

  for (const [normalize, scale] of [
    ['symmetric', (b: number) => (b / 255 - 0.5) / 0.5],
    ['unit', (b: number) => b / 255],
  ] as const) {
    it(`${normalize}: pixel (r, c) lands at (r + 2, c + 2) in all 3 channels; the 2-pixel border is a 0 byte`, () => {
      const out = mnistAsCifar(src, labels, { normalize });
      assert.equal(out.count, n);
      assert.deepEqual([...out.labels], [9, 0, 4]);
      assert.equal(out.images.length, n * 32 * 32 * 3);
      const pad = Math.fround(scale(0));
      assert.equal(pad, normalize === 'symmetric' ? -1 : 0);
      for (let i = 0; i < n; i++) {
        for (let y = 0; y < 32; y++) {
          for (let x = 0; x < 32; x++) {
            const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
            const want: number = inside ? Math.fround(scale(src[i * 784 + (y - 2) * 28 + (x - 2)])) : pad;
            for (let k = 0; k < 3; k++) {
              const got = out.images[i * 3072 + y * 96 + x * 3 + k];
              if (got !== want) assert.fail(`image ${i} (${y}, ${x}) channel ${k}: ${got} !== ${want}`);
            }
          }
        }
      }
    });
  }

  it('keeps the extremes: byte 255 is 1 and byte 0 is -1 (symmetric)', () => {
    const img = new Uint8Array(784);
    img[0] = 255; // (0, 0)
    img[27 * 28 + 27] = 255; // (27, 27)
    const out = mnistAsCifar(img, Uint8Array.of(1), { normalize: 'symmetric' });
    assert.deepEqual([...out.images.subarray((2 * 32 + 2) * 3, (2 * 32 + 2) * 3 + 3)], [1, 1, 1]);
    assert.deepEqual([...out.images.subarray((29 * 32 + 29) * 3, (29 * 32 + 29) * 3 + 3)], [1, 1, 1]);
    assert.equal(out.images.filter((v) => v === 1).length, 6);
    assert.equal(out.images.filter((v) => v === -1).length, 3072 - 6);
  });

  it('adapts only the first `count` images', () => {
    const out = mnistAsCifar(src, labels, { count: 2 });
    assert.equal(out.count, 2);
    assert.deepEqual([...out.labels], [9, 0]);
    assert.deepEqual(out.images, mnistAsCifar(src.subarray(0, 2 * 784), labels.subarray(0, 2)).images);
  });

  it('rejects partial images, a label count that differs, labels > 9 and bad options, naming them', () => {
    assert.throws(() => mnistAsCifar(new Uint8Array(785), Uint8Array.of(0)), /`images` must be a Uint8Array of whole 28x28 images\. Received: images=785/);
    assert.throws(() => mnistAsCifar(new Uint8Array(784), Uint8Array.of(0, 1)), /`labels` must be a Uint8Array with one label per image \(1\)\. Received: labels=2/);
    assert.throws(() => mnistAsCifar(new Uint8Array(784), Uint8Array.of(10)), /`labels\[0\]` must be a class in 0-9\. Received: labels\[0\]=10/);
    assert.throws(() => mnistAsCifar(new Uint8Array(784), Uint8Array.of(1), { normalize: 'z' as 'unit' }), /`normalize` must be one of 'unit', 'symmetric'/);
  });
});
