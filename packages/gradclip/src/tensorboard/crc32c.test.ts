import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, maskedCrc32c } from './crc32c.js';
import { bitwiseCrc32c, bitwiseMaskedCrc32c } from './testing/decode-events.js';

describe('crc32c', () => {
  it('matches the CRC-32C check value for "123456789"', () => {
    assert.equal(crc32c('123456789'), 0xe3069283);
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  });

  it('is 0 for empty input', () => {
    assert.equal(crc32c(new Uint8Array(0)), 0);
  });

  it('matches RFC 3720 (iSCSI) test vectors', () => {
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  });

  it('agrees with a bitwise implementation for every length 0..70 and at odd offsets', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const big = Uint8Array.from({ length: 4099 }, rand);
    for (let n = 0; n <= 70; n++) {
      const a = big.subarray(3, 3 + n);
      assert.equal(crc32c(a), bitwiseCrc32c(a), `length ${n}`);
    }
    assert.equal(crc32c(big), bitwiseCrc32c(big));
  });

  it('hashes strings as UTF-8', () => {
    assert.equal(crc32c('héllo ✓'), bitwiseCrc32c(new TextEncoder().encode('héllo ✓')));
  });
});

describe('maskedCrc32c', () => {
  it('matches the masked check value for "123456789"', () => {
    assert.equal(maskedCrc32c('123456789'), 0xc78ab0e5);
  });

  it('agrees with an independent mask implementation', () => {
    for (const s of ['', 'a', 'brain.Event:2', 'x'.repeat(1000)]) {
      const b = new TextEncoder().encode(s);
      assert.equal(maskedCrc32c(b), bitwiseMaskedCrc32c(b));
    }
  });
});
