/**
 * Keras 3 clipping (`clipnorm`, `globalClipnorm`, `clipvalue`) of a gradient list on the `webgl`
 * backend in a few fused WebGL programs instead of the tfjs composition's ~3-5 shader dispatches
 * per gradient plus ~15 for the vector arithmetic (issue 12 item 7: on webgl every op is a
 * dispatch, and the composition cost 10-50 % of a small training step).
 *
 * The programs, for a list of `m` gradients:
 *
 * 1. **Σx² in chunks**: one program per batch of up to 16 gradients of the same texture layout
 *    (unpacked, or tfjs's packed 2x2 texels, whose padding lanes are skipped, never multiplied by
 *    0: they may hold anything): each output entry is the Σx² of up to 1024 consecutive values
 *    of one gradient (no output pixel loops over a whole large tensor).
 * 2. **The scales**: one program folds each gradient's chunks and computes its scale exactly as
 *    the composition does (`clipnorm`: `n = ss > 0 ? sqrt(ss) : ss`, `c / max(n, c)` with NaN
 *    kept and `c/c = 1` exactly; `globalClipnorm`: `c / max(N, c) + (N - N)` from the global sum);
 *    a second, tiny one copies them into the packed layout when a gradient is packed.
 * 3. **The scale** (or the clamp, for `clipvalue`): one program per gradient, in the gradient's
 *    own layout, `g * scale_k` (`clipvalue`: `g < -c ? -c : g > c ? c : g`, NaN kept, ±inf clamped).
 *
 * MLP of 4 variables: 8 dispatches (the composition: ~120); `clipvalue`: one per gradient.
 *
 * The results are those of the composition on the same backend: the scale and the clamp are the
 * same float32 operations (bit-identical), the sums of squares are the same terms summed in
 * another order (float32 reduction-order differences, as between any two backends); NaN and ±inf
 * go exactly where the composition puts them (decided by comparisons that NaN fails, never by
 * `isnan`, and without tfjs-webgl's `a == b → 1` division except where `c/c` must be 1).
 *
 * Used only where it is exact and cheap to check: the fast path on (`setFastPath`,
 * `GRADCLIP_FAST_PATH`), `webgl` with WebGL 2 and float32 textures (float16 textures keep the
 * composition's scaled norms), no gradient tape recording, float32 gradients already on the GPU,
 * and a probe at the first use on each backend instance that compares the programs with the
 * composition on small inputs (packed and unpacked, odd shapes, NaN and ±inf); any mismatch turns
 * it off for that backend with one warning. Nothing is measured (the caller falls back to the
 * composition when it needs the statistics).
 */
import * as tf from '@tensorflow/tfjs';
import type { MaybeTensor } from '../grad-forms.js';
import { isFloat16Backend } from '../float16.js';
import { ieeeDiv, maximumKeepNaN } from '../exact-ops.js';
import { fastPathOn } from '../../internals/fast-path-switch.js';
import {
  activeWebglBackend,
  runWebglProgram,
  webglBackendMismatch,
  webglMaxTexturesInShader,
  webglTensorLayout,
  webglUpload,
  webglVersion,
  type WebglProgram,
} from '../../internals/webgl-internals.js';

/** What the programs clip: per-variable norm, global norm, or value. */
export type WebglClipKind = 'clipnorm' | 'global' | 'clipvalue';

/** Values (unpacked) or texels (packed) summed by one output entry of the Σx² programs. */
const CHUNK_VALUES = 1024;
const CHUNK_TEXELS = 256;
/** Most gradients one Σx² program samples (also capped by the device's texture units). */
const MAX_BATCH = 16;

/** A float32 value as a GLSL float literal that parses back to the same float32. */
export function glslFloat(x: number): string {
  const s = String(Math.fround(x));
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

interface Grad {
  t: tf.Tensor;
  packed: boolean;
}

/** Where each gradient's chunk sums are: input `input` of the scales program, entries [from, to). */
interface ChunkRange {
  input: number;
  from: number;
  to: number;
}

/** The gradients' layouts on `backend`, or null when one of them rules the programs out. */
function layouts(backend: object, xs: readonly tf.Tensor[]): Grad[] | null {
  const out: Grad[] = [];
  for (const t of xs) {
    if (t.dtype !== 'float32' || t.size === 0 || t.rank > 6) return null;
    const l = webglTensorLayout(backend, t);
    if (l == null || !l.gpu) return null;
    out.push({ t, packed: l.packed });
  }
  return out;
}

/** The shape the programs see: a scalar as [1] (free for tfjs's textures, packed or not). */
function viewShape(g: Grad): number[] {
  return g.t.rank === 0 ? [1] : g.t.shape;
}

/** The packed texel grid of a shape: batch dims, rows and columns of values (rank 1: one row). */
function texelGrid(shape: readonly number[]): { batch: number[]; rows: number; cols: number } {
  if (shape.length === 1) return { batch: [], rows: 1, cols: shape[0] };
  return { batch: shape.slice(0, -2), rows: shape[shape.length - 2], cols: shape[shape.length - 1] };
}

/** The chunk count of one gradient in its Σx² program. */
function chunks(g: Grad): number {
  if (!g.packed) return Math.ceil(g.t.size / CHUNK_VALUES);
  const { batch, rows, cols } = texelGrid(viewShape(g));
  const texels = batch.reduce((a, b) => a * b, 1) * Math.ceil(rows / 2) * Math.ceil(cols / 2);
  return Math.ceil(texels / CHUNK_TEXELS);
}

/** The GLSL that adds the squares of chunk `j - first` of unpacked input `name` (viewed as 1-D of `size`) to `s`. */
function unpackedChunkCode(name: string, size: number, first: number): string {
  const get = `get${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  return `
      int b = (j - ${first}) * ${CHUNK_VALUES};
      int e = min(b + ${CHUNK_VALUES}, ${size});
      for (int i = b; i < e; i++) { float v = ${get}(i); s += v * v; }`;
}

/** The same for packed input `name` of `shape`: texels in flat (batch, row, col) order, padding lanes skipped. */
function packedChunkCode(name: string, shape: readonly number[], first: number): string {
  const get = `get${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  const { batch, rows, cols } = texelGrid(shape);
  const tr = Math.ceil(rows / 2);
  const tc = Math.ceil(cols / 2);
  const texels = batch.reduce((a, b) => a * b, 1) * tr * tc;
  // Batch coordinates, outermost first, from the flat batch index q / (tr * tc).
  const coords: string[] = [];
  let stride = 1;
  for (let d = batch.length - 1; d >= 0; d--) {
    coords.unshift(`(bi / ${stride}) % ${batch[d]}`);
    stride *= batch[d];
  }
  const args = shape.length === 1 ? 'c' : [...coords, 'r', 'c'].join(', ');
  return `
      int b = (j - ${first}) * ${CHUNK_TEXELS};
      int e = min(b + ${CHUNK_TEXELS}, ${texels});
      for (int q = b; q < e; q++) {
        int bi = q / ${tr * tc};
        int r = 2 * ((q / ${tc}) % ${tr});
        int c = 2 * (q % ${tc});
        vec4 v = ${get}(${args});
        s += v.x * v.x;
        if (c + 1 < ${cols}) s += v.y * v.y;
        if (r + 1 < ${rows}) {
          s += v.z * v.z;
          if (c + 1 < ${cols}) s += v.w * v.w;
        }
      }`;
}

/** One Σx² program over `batch` (all of one layout): its output holds every gradient's chunk sums in order. */
function sumsProgram(batch: readonly Grad[]): { program: WebglProgram; inputs: tf.TensorInfo[]; size: number; ranges: [number, number][] } {
  const names = batch.map((_, i) => `x${i}`);
  const ranges: [number, number][] = [];
  let size = 0;
  const branches: string[] = [];
  batch.forEach((g, i) => {
    const first = size;
    size += chunks(g);
    ranges.push([first, size]);
    const code = g.packed ? packedChunkCode(names[i], viewShape(g), first) : unpackedChunkCode(names[i], g.t.size, first);
    branches.push(`${i === 0 ? '' : 'else '}if (j < ${size}) {${code}\n    }`);
  });
  const packed = batch[0].packed;
  const userCode = `
    void main() {
      int j = getOutputCoords();
      float s = 0.0;
      ${branches.join('\n      ')}
      setOutput(s);
    }`;
  // Unpacked inputs are read as flat 1-D views of their data (free: the same texture); packed ones in their own shape.
  const inputs = batch.map((g) => ({ dataId: g.t.dataId, shape: g.packed ? viewShape(g) : [g.t.size], dtype: g.t.dtype }));
  return { program: { variableNames: names, outputShape: [size], userCode, packedInputs: packed, packedOutput: false }, inputs, size, ranges };
}

/** The GLSL sum of entries [from, to) of the scales program's input `name`. */
function foldCode(name: string, r: ChunkRange): string {
  const get = `get${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  return r.to - r.from === 1 ? `ss += ${get}(${r.from});` : `for (int i = ${r.from}; i < ${r.to}; i++) ss += ${get}(i);`;
}

/**
 * The scales program: `[scale_0, …]` (clipnorm, one per gradient) or `[scale]` (global), from the
 * chunk sums in `sums` (unpacked 1-D tensors) at `ranges`.
 */
function scalesProgram(kind: 'clipnorm' | 'global', c: number, sums: readonly tf.Tensor[], ranges: readonly ChunkRange[]): WebglProgram {
  const names = sums.map((_, i) => `c${i}`);
  const C = glslFloat(c);
  let body: string;
  if (kind === 'clipnorm') {
    const branches = ranges.map((r, k) => `${k === 0 ? '' : 'else '}if (k == ${k}) { ${foldCode(names[r.input], r)} }`);
    body = `
      int k = getOutputCoords();
      float ss = 0.0;
      ${branches.join('\n      ')}
      // Two-tap where, as the composition: NaN (ss > 0 false) stays NaN, 0 stays 0.
      float n = ss > 0.0 ? sqrt(ss) : ss;
      // max(n, c) keeping NaN (NaN < c is false).
      float m = n < ${C} ? ${C} : n;
      // c / c is exactly 1 (nothing clipped: the gradient's bits are kept); c / inf = 0, c / NaN = NaN.
      setOutput(m == ${C} ? 1.0 : ${C} / m);`;
  } else {
    body = `
      float ss = 0.0;
      ${ranges.map((r) => foldCode(names[r.input], r)).join('\n      ')}
      float n = sqrt(ss);
      float m = n < ${C} ? ${C} : n;
      // (n - n): NaN when the global norm is inf or NaN, 0 otherwise (the composition's term).
      setOutput((m == ${C} ? 1.0 : ${C} / m) + (n - n));`;
  }
  const outputShape = [kind === 'clipnorm' ? ranges.length : 1];
  return { variableNames: names, outputShape, userCode: `\n    void main() {${body}\n    }`, packedInputs: false, packedOutput: false };
}

/** Copies an unpacked 1-D vector `s` of `size` into the packed layout. */
function packVectorProgram(size: number): WebglProgram {
  return {
    variableNames: ['s'],
    outputShape: [size],
    packedInputs: false,
    packedOutput: true,
    userCode: `
    void main() {
      int i = getOutputCoords();
      setOutput(vec4(getS(i), i + 1 < ${size} ? getS(i + 1) : 0.0, 0.0, 0.0));
    }`,
  };
}

/** `g * scale_k` in `g`'s layout (the scale vector in the same layout). */
function scaleProgram(g: Grad, k: number): WebglProgram {
  const outputShape = g.t.rank === 0 ? [1] : g.t.shape;
  if (!g.packed) {
    return { variableNames: ['x', 's'], outputShape, packedInputs: false, packedOutput: false, userCode: `\n    void main() { setOutput(getXAtOutCoords() * getS(${k})); }` };
  }
  // Packed 1-D: the texel holding entry k has it in x (k even) or y (k odd).
  const lane = k % 2 === 0 ? 'x' : 'y';
  return { variableNames: ['x', 's'], outputShape, packedInputs: true, packedOutput: true, userCode: `\n    void main() { setOutput(getXAtOutCoords() * getS(${k}).${lane}); }` };
}

/** `clamp(g, -c, c)` keeping NaN and -0, in `g`'s layout. */
function clampProgram(g: Grad, c: number): WebglProgram {
  const outputShape = g.t.rank === 0 ? [1] : g.t.shape;
  const C = glslFloat(c);
  const clamp = `float clampKeepNaN(float v) { return v < -${C} ? -${C} : (v > ${C} ? ${C} : v); }`;
  if (!g.packed) {
    return { variableNames: ['x'], outputShape, packedInputs: false, packedOutput: false, userCode: `\n    ${clamp}\n    void main() { setOutput(clampKeepNaN(getXAtOutCoords())); }` };
  }
  return {
    variableNames: ['x'],
    outputShape,
    packedInputs: true,
    packedOutput: true,
    userCode: `
    ${clamp}
    void main() {
      vec4 v = getXAtOutCoords();
      setOutput(vec4(clampKeepNaN(v.x), clampKeepNaN(v.y), clampKeepNaN(v.z), clampKeepNaN(v.w)));
    }`,
  };
}

function info(t: tf.Tensor, shape: number[] = t.shape): tf.TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** Runs the programs on gradients that {@link layouts} accepted. Call inside `tf.tidy`. */
function run(backend: object, gs: readonly Grad[], kind: WebglClipKind, c: number): tf.Tensor[] {
  const own = (g: Grad, p: WebglProgram, inputs: tf.TensorInfo[]): tf.Tensor => runWebglProgram(backend, p, inputs, g.t.shape);
  if (kind === 'clipvalue') return gs.map((g) => own(g, clampProgram(g, c), [info(g.t, g.t.rank === 0 ? [1] : g.t.shape)]));

  // 1. Σx² in chunks, one program per batch of one layout.
  const perBatch = Math.max(1, Math.min(MAX_BATCH, webglMaxTexturesInShader()));
  const order = [...gs.keys()].sort((a, b) => Number(gs[a].packed) - Number(gs[b].packed));
  let sums: tf.Tensor[] = [];
  const ranges: ChunkRange[] = new Array<ChunkRange>(gs.length);
  for (let i = 0; i < order.length; ) {
    const packed = gs[order[i]].packed;
    const idx: number[] = [];
    while (i < order.length && gs[order[i]].packed === packed && idx.length < perBatch) idx.push(order[i++]);
    const p = sumsProgram(idx.map((k) => gs[k]));
    const input = sums.length;
    idx.forEach((k, j) => (ranges[k] = { input, from: p.ranges[j][0], to: p.ranges[j][1] }));
    sums.push(runWebglProgram(backend, p.program, p.inputs));
  }
  if (sums.length > perBatch) {
    // More batches than one program may sample: one vector (tfjs's concat), offsets made global.
    const starts: number[] = [];
    let at = 0;
    for (const s of sums) {
      starts.push(at);
      at += s.size;
    }
    for (const r of ranges) {
      r.from += starts[r.input];
      r.to += starts[r.input];
      r.input = 0;
    }
    sums = [tf.concat(sums)];
  }
  // 2. The scales (and their packed copy when a gradient is packed).
  const scales = runWebglProgram(backend, scalesProgram(kind, c, sums, ranges), sums.map((s) => info(s)));
  const packedScales = gs.some((g) => g.packed) ? runWebglProgram(backend, packVectorProgram(scales.size), [info(scales)]) : null;
  // 3. One multiply per gradient, in its layout.
  return gs.map((g, k) => {
    const s = g.packed ? (packedScales as tf.Tensor) : scales;
    const x = info(g.t, g.t.rank === 0 ? [1] : g.t.shape);
    return own(g, scaleProgram(g, kind === 'clipnorm' ? k : 0), [x, info(s)]);
  });
}

/** Per backend instance: whether the probe passed (absent: not run yet). */
let probed = new WeakMap<object, boolean>();

/** Test seam: forget the probes' outcomes (the next use on each backend probes again). */
export function resetWebglProbeForTests(): void {
  probed = new WeakMap<object, boolean>();
}

/**
 * The backend when the programs may run now (see the module comment), else null. The first call
 * on a backend instance runs the probe.
 */
export function webglClipBackend(): object | null {
  if (!fastPathOn()) return null;
  const backend = activeWebglBackend();
  if (backend == null) return null;
  if (tf.engine().isTapeOn() || webglVersion() !== 2 || isFloat16Backend()) return null;
  let ok = probed.get(backend);
  if (ok === undefined) {
    ok = webglBackendMismatch(backend) == null && probe(backend);
    probed.set(backend, ok);
  }
  return ok ? backend : null;
}

/**
 * Clips the present gradients of `list` (holes kept) with the fused WebGL programs, or returns
 * null when they do not apply (the caller uses the composition). Returns new tensors (never the
 * inputs). Call inside `tf.tidy`.
 */
export function webglKerasClip(list: readonly MaybeTensor[], kind: WebglClipKind, c: number): MaybeTensor[] | null {
  if (!(Number.isFinite(c) && c > 0)) return null;
  const backend = webglClipBackend();
  if (backend == null) return null;
  const xs = list.filter((t): t is tf.Tensor => t != null);
  if (xs.length === 0) return null;
  const gs = layouts(backend, xs);
  if (gs == null) return null;
  const out = run(backend, gs, kind, c);
  let k = 0;
  return list.map((t) => (t == null ? t : out[k++]));
}

/** The composition's results for the probe (what the programs must reproduce), as keras-clip-gradients.ts computes them. */
function reference(xs: readonly tf.Tensor[], kind: WebglClipKind, c: number): tf.Tensor[] {
  const ct = tf.scalar(c);
  if (kind === 'clipvalue') return xs.map((x) => tf.minimum(tf.maximum(x, -c), c));
  const ss = tf.stack(xs.map((x) => tf.sum(tf.square(x))));
  if (kind === 'global') {
    const n = tf.sqrt(tf.sum(ss));
    const s = tf.add(tf.div(ct, tf.maximum(n, ct)), tf.sub(n, n));
    return xs.map((x) => tf.mul(x, s));
  }
  const pos = tf.greater(ss, 0);
  const n = tf.where(pos, tf.sqrt(tf.where(pos, ss, tf.onesLike(ss))), ss);
  const parts = tf.unstack(ieeeDiv(ct, maximumKeepNaN(n, ct)));
  return xs.map((x, i) => tf.mul(x, parts[i]));
}

/**
 * Runs every program kind on small packed and unpacked gradients (odd shapes, a scalar, NaN and
 * ±inf in the middle and in packed tails) and compares them with {@link reference}: values whose
 * squares sum exactly in any order, so every result must match bit for bit (NaN for NaN).
 */
function probe(backend: object): boolean {
  try {
    return tf.tidy(() => {
      const vals = (n: number, k: number) => Array.from({ length: n }, (_, i) => ((i * 7 + k) % 9) - 4);
      // On the GPU (as gradients are), unpacked; the matMul products are packed where tfjs packs.
      const up = <T extends tf.Tensor>(t: T): T => (webglUpload(backend, t), t);
      const fresh = (): tf.Tensor[] => {
        const a = tf.tensor2d(vals(15, 1), [3, 5]);
        const b = tf.tensor1d(vals(7, 2));
        const d = tf.tensor3d(vals(2 * 3 * 3, 3), [2, 3, 3]);
        const e = tf.scalar(3);
        const f = tf.tensor2d([1, 2, 3, NaN, 5, 6], [2, 3]);
        const g = tf.tensor1d([1, Infinity, -2]);
        const h = tf.tensor2d([1, 2, 3, 4, 5, -Infinity, 7, 8, 9], [3, 3]);
        // Packed gradients, as a matMul's output is: a product with the identity keeps the values.
        const pk = (x: tf.Tensor2D) => tf.matMul(up(x), up(tf.eye(x.shape[1])));
        const plain = [a, b, d, e, f, g].map(up);
        // An elementwise op's output (packed where tfjs packs binary ops): a 1-D vector and a scalar.
        const ew = (x: tf.Tensor) => tf.add(up(x), up(tf.scalar(0)));
        return [
          ...plain.slice(0, 2),
          pk(a as tf.Tensor2D),
          ...plain.slice(2),
          pk(h as tf.Tensor2D),
          pk(tf.tensor2d(vals(6, 4), [2, 3])),
          ew(tf.tensor1d(vals(5, 5))),
          ew(tf.scalar(-3)),
        ];
      };
      const xs = fresh();
      const same = (u: tf.Tensor, v: tf.Tensor) => {
        const a = u.dataSync();
        const b = v.dataSync();
        return a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]) || (Number.isNaN(x) && Number.isNaN(b[i])));
      };
      const cases: [WebglClipKind, number, tf.Tensor[]][] = [
        ['clipnorm', 5, xs],
        ['clipnorm', 1000, xs],
        ['global', 3, xs.slice(0, 5)],
        ['global', 1e6, xs.slice(0, 5)],
        ['global', 3, xs],
        ['clipvalue', 2.5, xs],
      ];
      for (const [kind, c, inputs] of cases) {
        const gs = layouts(backend, inputs);
        if (gs == null) return false;
        const got = run(backend, gs, kind, c);
        const want = reference(inputs, kind, c);
        if (!got.every((t, i) => t.shape.join() === inputs[i].shape.join() && same(t, want[i]))) {
          console.warn(`gradclip: the fused WebGL clipping programs disagree with the tfjs composition on this device (${kind}); using the composition.`);
          return false;
        }
      }
      return true;
    });
  } catch (e) {
    console.warn(`gradclip: the fused WebGL clipping programs failed on this device (${e instanceof Error ? e.message : String(e)}); using the composition.`);
    return false;
  }
}
