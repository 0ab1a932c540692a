/**
 * Saving and loading a wrapped optimizer through the browser's IndexedDB
 * (`model.save('indexeddb://…', { includeOptimizer: true })` / `tf.loadLayersModel`), then
 * training on: the loaded model must continue bit-identically on the same backend.
 */
import * as tf from '@tensorflow/tfjs';
import { ClippedOptimizer, adam, withClipping } from 'gradclip';
import { tinyRegressionData, tinyRegressionModel } from '../helpers/tiny-regression.js';
import { type Checks, close, deepClose, deepEqual, equal, ok, sameLists } from './checks.js';

/**
 * On the GPU backends the continued runs agree to float32 rounding, not bit for bit: tfjs's Adam
 * restores its β-power accumulators with `pow` on load (the running model multiplied them step by
 * step), and the loaded weights are fresh textures. cpu and wasm must match exactly.
 */
const GPU_CONTINUE_TOL = { rtol: 1e-4, atol: 1e-6 };

async function readWeights(m: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(m.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

async function optimizerWeights(o: tf.Optimizer): Promise<[string, Float32Array][]> {
  return Promise.all((await o.getWeights()).map(async (w) => [w.name, (await w.tensor.data()) as Float32Array] as [string, Float32Array]));
}

/** The resolved options less the transform object itself (rebuilt from its spec on load; compared through `transformSpec`). */
function withoutTransform(o: ClippedOptimizer['options']): Record<string, unknown> {
  const { transform: _transform, ...rest } = o;
  return rest;
}

/** Trains, saves to IndexedDB, loads, compares, trains both one more epoch and compares again. */
async function roundTrip(
  label: string,
  key: string,
  gpu: boolean,
  makeOpt: () => ClippedOptimizer,
  /** Extra comparisons, right after loading (`tol` null: exact) and after one more epoch on both. */
  more: (saved: ClippedOptimizer, loaded: ClippedOptimizer, tol: typeof GPU_CONTINUE_TOL | null) => void,
): Promise<void> {
  const url = `indexeddb://${key}`;
  const { x, y } = tinyRegressionData(16, 1.7);
  const m = tinyRegressionModel(undefined, [3, 4]);
  const opt = makeOpt();
  let loaded: tf.LayersModel | null = null;
  try {
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const r = await m.save(url, { includeOptimizer: true });
    ok(r.modelArtifactsInfo.weightDataBytes! > 0, `${label}: nothing saved`);
    const listed = await tf.io.listModels();
    ok(url in listed, `${label}: ${url} not in tf.io.listModels() ${JSON.stringify(Object.keys(listed))}`);
    loaded = await tf.loadLayersModel(url);
    const lo = loaded.optimizer as ClippedOptimizer;
    ok(lo instanceof ClippedOptimizer, `${label}: loaded optimizer is ${lo?.getClassName?.()}, not a ClippedOptimizer`);
    deepEqual(withoutTransform(lo.options), withoutTransform(opt.options), 'options');
    equal(lo.inner.getClassName(), opt.inner.getClassName(), 'inner class');
    deepEqual(lo.inner.getConfig(), opt.inner.getConfig(), 'inner config');
    equal(lo.iterations, opt.iterations, 'iterations');
    const [a, b] = [await optimizerWeights(opt), await optimizerWeights(lo)];
    deepEqual(b.map(([n]) => n), a.map(([n]) => n), 'optimizer weight names');
    sameLists(b.map(([, w]) => w), a.map(([, w]) => w), 'optimizer weights');
    more(opt, lo, null);
    sameLists(await readWeights(loaded), await readWeights(m), 'model weights after loading');
    await m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    await loaded.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    equal(lo.iterations, opt.iterations, 'iterations after one more epoch');
    const [wl, wm] = [await readWeights(loaded), await readWeights(m)];
    if (gpu) wl.forEach((w, i) => close(w, wm[i], GPU_CONTINUE_TOL, `model weights after one more epoch on both [${i}]`));
    else sameLists(wl, wm, 'model weights after one more epoch on both');
    more(opt, lo, gpu ? GPU_CONTINUE_TOL : null);
  } finally {
    await tf.io.removeModel(url).catch(() => undefined);
    m.dispose();
    // A loaded model does not own the optimizer it was compiled with: dispose it too.
    (loaded?.optimizer as tf.Optimizer | undefined)?.dispose();
    loaded?.dispose();
    opt.dispose();
    tf.dispose([x, y]);
  }
}

export async function saveChecks(checks: Checks, label: string, gpu: boolean): Promise<void> {
  const key = (n: string) => `gradclip-browser-suite-${label}-${n}`;
  await checks.run(
    "indexeddb: withClipping(adam, { globalClipnorm: 0.5, nonFinite: 'skip' }) saves with includeOptimizer, loads, and trains on identically",
    () => roundTrip('keras options', key('keras'), gpu, () => withClipping(tf.train.adam(0.02), { globalClipnorm: 0.5, nonFinite: 'skip' }), () => undefined),
    { scope: false },
  );
  await checks.run(
    "indexeddb: adam({ transform: { name: 'zClip' } }) saves the transform's spec and state, loads, and trains on identically",
    () =>
      roundTrip(
        'transform spec',
        key('zclip'),
        gpu,
        () => adam({ learningRate: 0.01, transform: { name: 'zClip', args: [{ warmupSteps: 3, zThresh: 2 }] } }),
        (saved, loaded, tol) => {
          deepEqual(loaded.options.transformSpec, { name: 'zClip', args: [{ warmupSteps: 3, zThresh: 2 }] }, 'transformSpec');
          if (tol == null) deepEqual(loaded.transformStateValue, saved.transformStateValue, 'transform state');
          else deepClose(loaded.transformStateValue, saved.transformStateValue, tol, 'transform state');
        },
      ),
    { scope: false },
  );
}
