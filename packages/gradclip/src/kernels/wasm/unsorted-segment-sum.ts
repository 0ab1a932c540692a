/** `UnsortedSegmentSum` for the wasm backend, which lacks it: the gradient of `GatherV2` (Embedding). */
import * as tf from '@tensorflow/tfjs';
import { GradclipError, received } from '../../errors.js';
import type { WasmBackend } from './wasm-backend.js';

/**
 * `out[s, ...] = Σ_{i : segmentIds[i] = s} x[i, ...]`, a JS loop over zero-copy views of the wasm
 * heap.
 *
 * - `segmentIds` may have any rank r whose shape is a prefix of `x.shape`; the output shape is
 *   `[numSegments, ...x.shape.slice(r)]` (TF's definition), in `x`'s dtype (float32 or int32).
 *   For 1-D ids — what the op documents and what every gradient passes — this equals the cpu
 *   kernel; for r > 1 the cpu kernel instead sums over axis 0 only.
 * - Ids outside `[0, numSegments)` are dropped, as on the cpu backend (and in TF).
 * - Sums are accumulated in `x`'s dtype, in ascending order of `i`.
 * - NaN/Inf policy: a NaN or Inf only reaches its own segment. (The cpu kernel multiplies `x` by a
 *   0/1 mask, so there a NaN or Inf anywhere in `x` turns *every* segment into NaN.)
 */
export function unsortedSegmentSumWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new GradclipError(`UnsortedSegmentSum on wasm supports float32 and int32 x. ${received({ dtype: x.dtype })}`);
  }
  const r = segmentIds.shape.length;
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const inner = tf.util.sizeFromShape(x.shape.slice(r));

  // Allocate first: growing the heap detaches views taken earlier.
  const out = backend.makeOutput([numSegments, ...x.shape.slice(r)], x.dtype);
  const o = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const xv = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  o.fill(0);
  for (let i = 0; i < rows; ++i) {
    const s = ids[i];
    if (!(s >= 0 && s < numSegments)) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; ++j) o[dst + j] += xv[src + j];
  }
  return out;
}
