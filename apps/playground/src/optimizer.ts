/**
 * A run's optimizer: one of tfjs's optimizers wrapped by gradclip with the run's clipping method and
 * non-finite policy, exactly as a user of the library would write it (see explain.ts for the Keras
 * and PyTorch lines each choice stands for).
 */
import { adagrad, adam, momentum, rmsprop, sgd, transforms, type ClippedOptimizer, type ClippingOptions } from 'gradclip';
import type { RunSettings } from './config.js';

/** The clipping options of a run (`{}` for none), as passed to gradclip's optimizer factories. */
export function clippingOptions(r: RunSettings): ClippingOptions {
  const base: ClippingOptions = { nonFinite: r.nonFinite };
  const t = r.threshold;
  switch (r.clip) {
    case 'none':
      return base;
    case 'value':
      return { ...base, clipvalue: t };
    case 'norm':
      return { ...base, clipnorm: t };
    case 'global-norm':
      return { ...base, globalClipnorm: t };
    case 'agc':
      // NFNets leave the final layer out; the study's networks name it `head`.
      return { ...base, transform: transforms.adaptiveGradClip(t, { excludeNames: ['head/'] }) };
    case 'autoclip':
      return { ...base, transform: transforms.autoClip({ percentile: t }) };
    case 'zclip':
      return { ...base, transform: transforms.zClip({ zThresh: t }) };
    case 'skip-on-spike':
      return { ...base, transform: transforms.skipOnSpike({ sigma: t, window: 64, warmup: 16 }) };
  }
}

/** The run's optimizer, built with gradclip's factories (`sgd({ learningRate, clipnorm })`, …). */
export function buildOptimizer(r: RunSettings): ClippedOptimizer {
  const clip = clippingOptions(r);
  switch (r.optimizer) {
    case 'sgd':
      return sgd({ learningRate: r.lr, ...clip });
    case 'momentum':
      return momentum({ learningRate: r.lr, momentum: 0.9, ...clip });
    case 'adam':
      return adam({ learningRate: r.lr, ...clip });
    case 'rmsprop':
      return rmsprop({ learningRate: r.lr, ...clip });
    case 'adagrad':
      return adagrad({ learningRate: r.lr, ...clip });
  }
}
