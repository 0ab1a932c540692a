/**
 * The seam to tfjs-backend-webgl (issue 12 item 7): the only module that touches the webgl
 * backend's texture registry and runs custom GPGPU programs on it. Nothing is patched or installed:
 * every accessor reads, or runs a program through the backend's own `compileAndRun` (which
 * compiles once per program source and input layout, caches the binary, and converts inputs
 * between packed and unpacked textures where a program asks for the other layout).
 *
 * Verified on @tensorflow/tfjs-backend-webgl 4.22.0 (see capability.ts); {@link webglBackendMismatch}
 * tells when a backend does not look like it, and the caller then stays on the composition.
 */
import * as tf from '@tensorflow/tfjs';

/** A custom WebGL program as tfjs-backend-webgl's `GPGPUProgram` describes it (the subset used here). */
export interface WebglProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs?: boolean;
  packedOutput?: boolean;
  /** Always false here: the generated samplers then take the shapes as compile-time constants. */
  enableShapeUniforms?: boolean;
}

interface TexData {
  isPacked?: boolean;
  texture?: unknown;
  dtype?: string;
  shape?: number[];
}

interface WebglBackendShape {
  texData: { get(dataId: object): TexData | undefined; has(dataId: object): boolean };
  compileAndRun(program: WebglProgram, inputs: tf.TensorInfo[], outputDtype?: tf.DataType): tf.TensorInfo;
}

/** The active backend when it is tfjs's `webgl` backend, else null. */
export function activeWebglBackend(): object | null {
  const engine = tf.engine();
  return engine.backendName === 'webgl' ? (engine.backend as object) : null;
}

/** Why `backend` does not look like tfjs-backend-webgl 4.x (null when it does). */
export function webglBackendMismatch(backend: object): string | null {
  const b = backend as Partial<WebglBackendShape>;
  if (typeof b.compileAndRun !== 'function') return 'the webgl backend has no compileAndRun';
  const td = b.texData as Partial<WebglBackendShape['texData']> | undefined;
  if (td == null || typeof td.get !== 'function' || typeof td.has !== 'function') return 'the webgl backend has no texData registry';
  return null;
}

/**
 * Where a tensor's data is on the webgl backend: `gpu` (a texture exists), and `packed` (the
 * texture, or the upload to come, is in tfjs's packed 2x2-texel layout). Null when the backend
 * does not know the data.
 */
export function webglTensorLayout(backend: object, t: tf.Tensor): { gpu: boolean; packed: boolean } | null {
  const td = (backend as WebglBackendShape).texData;
  if (!td.has(t.dataId)) return null;
  const d = td.get(t.dataId);
  if (d == null) return null;
  return { gpu: d.texture != null, packed: d.isPacked === true };
}

/** The WebGL version tfjs renders with (1 or 2; 0 when unknown). */
export function webglVersion(): number {
  try {
    return tf.env().getNumber('WEBGL_VERSION');
  } catch {
    return 0;
  }
}

/** How many input textures one program may sample (the device's `MAX_TEXTURE_IMAGE_UNITS`, as tfjs reads it). */
export function webglMaxTexturesInShader(): number {
  try {
    return tf.env().getNumber('WEBGL_MAX_TEXTURES_IN_SHADER');
  } catch {
    return 16;
  }
}

/**
 * Runs `program` on `inputs` through the backend's `compileAndRun` and returns its output as a
 * tensor (owned by the caller; tracked by the engine like any op's output, so `tf.tidy` sees it).
 * `inputs` may view a tensor's data with another shape of the same size (as the Reshape kernel
 * does for unpacked textures). Not recorded on a gradient tape: callers check `isTapeOn` first.
 */
export function runWebglProgram(backend: object, program: WebglProgram, inputs: tf.TensorInfo[], shape: number[] = program.outputShape): tf.Tensor {
  const out = (backend as WebglBackendShape).compileAndRun({ enableShapeUniforms: false, ...program }, inputs, 'float32');
  const engine = tf.engine() as unknown as { makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: unknown): tf.Tensor };
  return engine.makeTensorFromTensorInfo({ dataId: out.dataId, shape, dtype: 'float32' }, backend);
}

/** Uploads a tensor's data to a texture now, as the backend does for a program's input (a no-op when it has one). */
export function webglUpload(backend: object, t: tf.Tensor): void {
  (backend as { uploadToGPU(dataId: object): void }).uploadToGPU(t.dataId);
}
