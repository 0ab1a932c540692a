/**
 * The embedded wasm modules are reproducible: the `.wat` each claims to come from hashes to the
 * recorded prefix, and (where wabt's `wat2wasm` is installed, as in CI) rebuilding it gives the same
 * bytes, for the plain-memory and the shared-memory variant. Two modules: the clipping kernels
 * (clip-kernels.wat, here) and the optimizer updates (optimizer/fast/update-kernels.wat).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIP_KERNELS_SHARED_WASM_BASE64, CLIP_KERNELS_WASM_BASE64, CLIP_KERNELS_WAT_SHA256_PREFIX } from './clip-kernels-wasm.js';
import {
  UPDATE_KERNELS_SHARED_WASM_BASE64,
  UPDATE_KERNELS_WASM_BASE64,
  UPDATE_KERNELS_WAT_SHA256_PREFIX,
} from '../../optimizer/fast/update-kernels-wasm.js';

const hasWat2wasm = spawnSync('wat2wasm', ['--version'], { encoding: 'utf8' }).status === 0;

const MODULES = [
  {
    name: 'clip-kernels.wat',
    wat: fileURLToPath(new URL('./clip-kernels.wat', import.meta.url)),
    plain: CLIP_KERNELS_WASM_BASE64,
    shared: CLIP_KERNELS_SHARED_WASM_BASE64,
    sha: CLIP_KERNELS_WAT_SHA256_PREFIX,
  },
  {
    name: 'update-kernels.wat',
    wat: fileURLToPath(new URL('../../optimizer/fast/update-kernels.wat', import.meta.url)),
    plain: UPDATE_KERNELS_WASM_BASE64,
    shared: UPDATE_KERNELS_SHARED_WASM_BASE64,
    sha: UPDATE_KERNELS_WAT_SHA256_PREFIX,
  },
];

/** wat2wasm `src` into `out`, as scripts/build-clip-wasm.sh does (older wabt needs the feature flags, newer rejects --enable-simd). */
function wat2wasm(src: string, out: string, threads: boolean): void {
  const extra = threads ? ['--enable-threads'] : [];
  try {
    execFileSync('wat2wasm', ['--enable-simd', ...extra, src, '-o', out], { stdio: 'pipe' });
  } catch {
    execFileSync('wat2wasm', [...extra, src, '-o', out], { stdio: 'pipe' });
  }
}

for (const m of MODULES) {
  describe(m.name, () => {
    it('the .wat source hashes to the prefix recorded with the embedded module', () => {
      const sha = createHash('sha256').update(readFileSync(m.wat)).digest('hex');
      assert.equal(m.sha.length, 16);
      assert.equal(sha.slice(0, 16), m.sha, `${m.name} changed: run scripts/build-clip-wasm.sh`);
    });

    it('wat2wasm rebuilds exactly the embedded bytes, both variants', { skip: hasWat2wasm ? false : 'wat2wasm not installed (Debian: apt-get install wabt)' }, () => {
      const dir = mkdtempSync(join(tmpdir(), 'gradclip-wat-'));
      try {
        const plain = join(dir, 'k.wasm');
        wat2wasm(m.wat, plain, false);
        assert.ok(readFileSync(plain).equals(Buffer.from(m.plain, 'base64')), 'plain-memory module: same bytes');
        const wat = readFileSync(m.wat, 'utf8');
        const sharedWat = wat.replace('(import "env" "memory" (memory 1))', '(import "env" "memory" (memory 1 65536 shared))');
        assert.notEqual(sharedWat, wat, 'the memory import line is where the build script expects it');
        writeFileSync(join(dir, 'shared.wat'), sharedWat);
        const shared = join(dir, 'ks.wasm');
        wat2wasm(join(dir, 'shared.wat'), shared, true);
        assert.ok(readFileSync(shared).equals(Buffer.from(m.shared, 'base64')), 'shared-memory module: same bytes');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
