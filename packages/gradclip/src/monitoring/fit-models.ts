/**
 * Which model a `fit` call trains, for gradclip callbacks that tfjs wrapped as plain objects.
 *
 * tfjs gives the model only to `tf.Callback` instances (`setModel`); a plain callback object,
 * wrapped in a `tf.CustomCallback`, never sees it (its `setModel` is a no-op). gradclip's callbacks
 * are plain objects to tfjs (see monitor-callback.ts), so they learn the model here: on first use
 * a tiny `tf.Callback` is registered with tfjs's public `tf.registerCallbackConstructor` (level 0:
 * every `fit`, whatever its `verbose`). tfjs creates one per `fit`, hands it the fit's parameters
 * object and then the model, like every other callback of that `fit`. The same parameters object
 * reaches every callback of the `fit` (tfjs-layers `configureCallbacks`), so it identifies the
 * `fit`, and concurrent `fit` calls never mix up their models.
 */
import * as tf from '@tensorflow/tfjs';

const modelOfParams = new WeakMap<object, tf.LayersModel>();
let registered = false;

/** Records the model of the `fit` it belongs to, keyed by that fit's parameters object. */
class FitModelRecorder extends tf.Callback {
  override setModel(model: tf.LayersModel): void {
    super.setModel(model);
    if (this.params != null && typeof this.params === 'object') modelOfParams.set(this.params, model);
  }
}

/** Registers the recorder with tfjs once per process (idempotent; called when a gradclip callback is made). */
export function recordFitModels(): void {
  if (registered) return;
  registered = true;
  tf.registerCallbackConstructor(0, FitModelRecorder);
}

/** The model of the `fit` whose parameters object is `params`, if the recorder saw it. */
export function fitModel(params: unknown): tf.LayersModel | null {
  return params != null && typeof params === 'object' ? (modelOfParams.get(params) ?? null) : null;
}
