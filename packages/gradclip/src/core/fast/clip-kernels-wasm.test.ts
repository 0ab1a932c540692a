/**
 * The embedded wasm module is reproducible: the `.wat` it claims to come from hashes to the recorded
 * prefix, and (where wabt's `wat2wasm` is installed, as in CI) rebuilding it gives the same bytes.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIP_KERNELS_WASM_BASE64, CLIP_KERNELS_WAT_SHA256_PREFIX } from './clip-kernels-wasm.js';

const watPath = fileURLToPath(new URL('./clip-kernels.wat', import.meta.url));
const hasWat2wasm = spawnSync('wat2wasm', ['--version'], { encoding: 'utf8' }).status === 0;

it('the .wat source hashes to the prefix recorded with the embedded module', () => {
  const sha = createHash('sha256').update(readFileSync(watPath)).digest('hex');
  assert.equal(CLIP_KERNELS_WAT_SHA256_PREFIX.length, 16);
  assert.equal(sha.slice(0, 16), CLIP_KERNELS_WAT_SHA256_PREFIX, 'clip-kernels.wat changed: run scripts/build-clip-wasm.sh');
});

it('wat2wasm rebuilds exactly the embedded bytes', { skip: hasWat2wasm ? false : 'wat2wasm not installed (Debian: apt-get install wabt)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradclip-wat-'));
  try {
    const out = join(dir, 'k.wasm');
    // As scripts/build-clip-wasm.sh: older wabt needs --enable-simd, newer has SIMD on and rejects the flag.
    try {
      execFileSync('wat2wasm', ['--enable-simd', watPath, '-o', out], { stdio: 'pipe' });
    } catch {
      execFileSync('wat2wasm', [watPath, '-o', out], { stdio: 'pipe' });
    }
    const rebuilt = readFileSync(out);
    const embedded = Buffer.from(CLIP_KERNELS_WASM_BASE64, 'base64');
    assert.equal(rebuilt.length, embedded.length, 'same size');
    assert.ok(rebuilt.equals(embedded), 'same bytes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
