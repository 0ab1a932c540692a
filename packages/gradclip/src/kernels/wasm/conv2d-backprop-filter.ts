/**
 * `Conv2DBackpropFilter` for the wasm backend, which lacks it (tensorflow/tfjs#8474): the filter
 * gradient of Conv2D, Conv1D, SeparableConv2D (pointwise part) and Conv2DTranspose.
 */
import * as tf from '@tensorflow/tfjs';
import { GradclipError, received } from '../../errors.js';
import { runOpsInKernel } from './ops-kernel.js';

type Pair = [number, number];

/** The kernel's attributes (`Conv2DBackpropFilterAttrs`, plus an optional `dilations`). */
interface Conv2DBackpropFilterAttrs {
  strides: Pair | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  dilations?: Pair | number;
}

function pair(v: Pair | number): Pair {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/**
 * Computes `dW` as one forward convolution on the wasm backend ("dilated forward conv"):
 *
 * ```
 * xT  = transpose(pad(x), [3, 1, 2, 0])          // [C, H', W', N]
 * dyT = transpose(dy, [1, 2, 0, 3])               // [outH, outW, N, K]
 * dW  = transpose(conv2d(xT, dyT, strides = dilations, dilations = strides, 'valid'), [1, 2, 0, 3])
 * ```
 *
 * `pad(x)` pads (or crops) x to exactly the rows and columns the forward convolution reads, using
 * the pads `backend_util.computeConv2DInfo` gives — the same as the cpu kernel, i.e. TF's
 * `pad_before = floor(total / 2)` for `'same'` — so the output is exactly `[fh, fw, C, K]`.
 *
 * - NHWC only: NCHW throws a GradclipError (the wasm backend has no NCHW convolutions).
 * - Strides and dilations may not both exceed 1 (tfjs-core rejects those gradients anyway).
 * - NaN/Inf in x or dy propagate into dW as in any convolution.
 */
export function conv2dBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const { pad, dimRoundingMode, filterShape } = attrs;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  if (dataFormat !== 'NHWC') {
    throw new GradclipError(
      `Conv2DBackpropFilter on the wasm backend (registerWasmTrainingFixes) supports only ` +
        `dataFormat 'NHWC'; transpose NCHW data to NHWC first. ${received({ dataFormat })}`,
    );
  }
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations ?? 1);
  if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) {
    throw new GradclipError(
      `Conv2DBackpropFilter: strides and dilations cannot both exceed 1. ` +
        received({ strides: [sh, sw], dilations: [dh, dw] }),
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    [sh, sw],
    [dh, dw],
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const [fh, fw] = [info.filterHeight, info.filterWidth];
  const { top, left } = info.padInfo;
  const [n, h, w, c] = x.shape;
  const k = filterShape[3];
  // Rows/columns of the zero-padded input that some output position reads.
  const needH = (fh - 1) * dh + (info.outHeight - 1) * sh + 1;
  const needW = (fw - 1) * dw + (info.outWidth - 1) * sw + 1;
  const keepH = Math.min(h, needH - top);
  const keepW = Math.min(w, needW - left);

  return runOpsInKernel(backend, [x, dy], (x4, dy4) => {
    if (keepH <= 0 || keepW <= 0 || info.outHeight <= 0 || info.outWidth <= 0) {
      // Every window lies in the padding: the gradient is zero.
      return tf.zeros([fh, fw, c, k], 'float32');
    }
    let xs = x4;
    if (keepH < h || keepW < w) xs = tf.slice(xs, [0, 0, 0, 0], [n, keepH, keepW, c]);
    const afterH = needH - top - keepH;
    const afterW = needW - left - keepW;
    if (top > 0 || left > 0 || afterH > 0 || afterW > 0) {
      xs = tf.pad(xs, [
        [0, 0],
        [top, afterH],
        [left, afterW],
        [0, 0],
      ]);
    }
    const xT = tf.transpose(xs, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyT = tf.transpose(dy4, [1, 2, 0, 3]) as tf.Tensor4D;
    const out = tf.conv2d(xT, dyT, [dh, dw], 'valid', 'NHWC', [sh, sw]);
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}
