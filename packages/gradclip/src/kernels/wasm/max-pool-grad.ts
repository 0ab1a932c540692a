/**
 * `MaxPoolGrad` for the wasm backend. The built-in one starts its running max at FLT_MIN (the
 * smallest *positive* float), so windows whose maximum is <= 0 route their gradient to the wrong
 * place or drop it (`tfjs-backend-wasm/src/cc/kernels/MaxPoolGrad.cc:76`).
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from './wasm-backend.js';

/** The kernel's attributes (`MaxPoolGradAttrs`). */
interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Max-pool gradient as a JS loop over zero-copy views of the wasm heap, matching the cpu kernel
 * (`maxPoolPositions` + `MaxPoolGrad` in tfjs-backend-cpu) exactly:
 *
 * - the running max starts at −∞ and only a strictly greater value replaces it, so among equal
 *   maxima the first in row-major window order wins;
 * - NaN never wins; a window whose values are all NaN or −∞ passes no gradient;
 * - overlapping windows add their gradients in output row-major order.
 *
 * NHWC, like every 2-D pooling kernel in tfjs.
 */
export function maxPoolGradWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  const { top, left } = info.padInfo;

  // Allocate first: growing the heap detaches views taken earlier.
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const xv = backend.typedArrayFromHeap(input);
  const dyv = backend.typedArrayFromHeap(dy);
  dx.fill(0);

  const maxVal = new Float64Array(inChannels);
  const maxIdx = new Int32Array(inChannels);
  for (let b = 0; b < batchSize; ++b) {
    for (let yR = 0; yR < outHeight; ++yR) {
      const xRCorner = yR * strideHeight - top;
      const xRMin = Math.max(0, xRCorner);
      const xRMax = Math.min(inHeight, xRCorner + effectiveFilterHeight);
      for (let yC = 0; yC < outWidth; ++yC) {
        const xCCorner = yC * strideWidth - left;
        const xCMin = Math.max(0, xCCorner);
        const xCMax = Math.min(inWidth, xCCorner + effectiveFilterWidth);
        maxVal.fill(Number.NEGATIVE_INFINITY);
        maxIdx.fill(-1);
        for (let xR = xRMin; xR < xRMax; ++xR) {
          for (let xC = xCMin; xC < xCMax; ++xC) {
            const base = ((b * inHeight + xR) * inWidth + xC) * inChannels;
            for (let d = 0; d < inChannels; ++d) {
              const v = xv[base + d];
              if (v > maxVal[d]) {
                maxVal[d] = v;
                maxIdx[d] = base + d;
              }
            }
          }
        }
        const outBase = ((b * outHeight + yR) * outWidth + yC) * inChannels;
        for (let d = 0; d < inChannels; ++d) {
          const at = maxIdx[d];
          if (at >= 0) dx[at] += dyv[outBase + d];
        }
      }
    }
  }
  return out;
}
