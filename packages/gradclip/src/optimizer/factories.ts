/**
 * One factory per `tf.train` optimizer, taking the Keras clipping options alongside the optimizer's
 * own, so the article's Keras lines translate one to one:
 *
 * | Keras | gradclip |
 * |---|---|
 * | `tf.keras.optimizers.Adam(clipvalue=0.5)` | `adam({ clipvalue: 0.5 })` |
 * | `tf.keras.optimizers.Adam(clipnorm=1.0)` | `adam({ clipnorm: 1 })` |
 * | `tf.keras.optimizers.SGD(learning_rate=0.01, global_clipnorm=1)` | `sgd({ learningRate: 0.01, globalClipnorm: 1 })` |
 * | `tf.keras.optimizers.AdamW(weight_decay=0.004)` | `adam({ weightDecay: 0.004 })` (decoupled, PyTorch AdamW's `p·(1 − lr·wd)`) |
 *
 * Defaults are those of the `tf.train` counterpart (not Keras's): where `tf.train` requires a
 * learning rate (`sgd`, `momentum`, `rmsprop`, `adagrad`), so does the factory.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, check, checkPositive, formatValue, isFiniteNumber } from '../errors.js';
import { resolveClippingOptions, type ClippingOptions } from './clipping-options.js';
import { ClippedOptimizer } from './clipped-optimizer.js';

const CLIP_KEYS = ['clipnorm', 'clipvalue', 'globalClipnorm', 'nonFinite', 'transform', 'weightDecay'] as const;

function split<T extends object>(fn: string, options: T & ClippingOptions, ownKeys: readonly string[]): ClippingOptions {
  if (options == null || typeof options !== 'object') {
    throw new ValueError(`\`${fn}\` options must be an object. Received: options=${formatValue(options)}`);
  }
  const known = [...ownKeys, ...CLIP_KEYS];
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw new ValueError(`Unknown ${fn} option \`${k}\`. Known options: ${known.join(', ')}.`);
    }
  }
  const clip = Object.fromEntries(Object.entries(options).filter(([k]) => (CLIP_KEYS as readonly string[]).includes(k)));
  resolveClippingOptions(clip);
  return clip;
}

function optionalNumber(name: string, v: unknown): void {
  if (v != null) check(isFiniteNumber(v), name, 'a finite number', v);
}

/** Options of {@link sgd}. */
export interface SgdOptions extends ClippingOptions {
  /** Required, as in `tf.train.sgd`. */
  learningRate: number;
}
/** `tf.train.sgd(learningRate)` wrapped with clipping. */
export function sgd(options: SgdOptions): ClippedOptimizer {
  const clip = split('sgd', options, ['learningRate']);
  checkPositive('learningRate', options?.learningRate);
  return new ClippedOptimizer(tf.train.sgd(options.learningRate), clip);
}

/** Options of {@link momentum}. */
export interface MomentumOptions extends ClippingOptions {
  /** Required. */
  learningRate: number;
  /** Required, as in `tf.train.momentum`. */
  momentum: number;
  /** Default false. */
  useNesterov?: boolean;
}
/** `tf.train.momentum(learningRate, momentum, useNesterov = false)` wrapped with clipping. */
export function momentum(options: MomentumOptions): ClippedOptimizer {
  const clip = split('momentum', options, ['learningRate', 'momentum', 'useNesterov']);
  checkPositive('learningRate', options?.learningRate);
  check(isFiniteNumber(options.momentum) && options.momentum >= 0, 'momentum', 'a finite number >= 0', options.momentum);
  return new ClippedOptimizer(tf.train.momentum(options.learningRate, options.momentum, options.useNesterov ?? false), clip);
}

/** Options of {@link adam}. */
export interface AdamOptions extends ClippingOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default: the backend epsilon (1e-7 for float32). */
  epsilon?: number;
}
/** `tf.train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon)` wrapped with clipping. */
export function adam(options: AdamOptions = {}): ClippedOptimizer {
  const clip = split('adam', options, ['learningRate', 'beta1', 'beta2', 'epsilon']);
  const { learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon } = options;
  checkPositive('learningRate', learningRate);
  optionalNumber('beta1', beta1);
  optionalNumber('beta2', beta2);
  optionalNumber('epsilon', epsilon);
  return new ClippedOptimizer(tf.train.adam(learningRate, beta1, beta2, epsilon), clip);
}

/** Options of {@link adamax}. */
export interface AdamaxOptions extends AdamOptions {
  /** Default 0. */
  decay?: number;
}
/**
 * `tf.train.adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon, decay = 0)` wrapped
 * with clipping. Note: tfjs's Adamax cannot save its weights (`includeOptimizer` fails).
 */
export function adamax(options: AdamaxOptions = {}): ClippedOptimizer {
  const clip = split('adamax', options, ['learningRate', 'beta1', 'beta2', 'epsilon', 'decay']);
  const { learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon, decay = 0 } = options;
  checkPositive('learningRate', learningRate);
  optionalNumber('epsilon', epsilon);
  optionalNumber('decay', decay);
  return new ClippedOptimizer(tf.train.adamax(learningRate, beta1, beta2, epsilon, decay), clip);
}

/** Options of {@link rmsprop}. */
export interface RmspropOptions extends ClippingOptions {
  /** Required, as in `tf.train.rmsprop`. */
  learningRate: number;
  /** Default 0.9. */
  decay?: number;
  /** Default 0. */
  momentum?: number;
  /** Default: the backend epsilon. */
  epsilon?: number;
  /** Default false. */
  centered?: boolean;
}
/** `tf.train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon, centered = false)` wrapped with clipping. */
export function rmsprop(options: RmspropOptions): ClippedOptimizer {
  const clip = split('rmsprop', options, ['learningRate', 'decay', 'momentum', 'epsilon', 'centered']);
  checkPositive('learningRate', options?.learningRate);
  const { learningRate, decay = 0.9, momentum: m = 0, epsilon, centered = false } = options;
  optionalNumber('epsilon', epsilon);
  return new ClippedOptimizer(tf.train.rmsprop(learningRate, decay, m, epsilon, centered), clip);
}

/** Options of {@link adagrad}. */
export interface AdagradOptions extends ClippingOptions {
  /** Required, as in `tf.train.adagrad`. */
  learningRate: number;
  /** Default 0.1. */
  initialAccumulatorValue?: number;
}
/** `tf.train.adagrad(learningRate, initialAccumulatorValue = 0.1)` wrapped with clipping. */
export function adagrad(options: AdagradOptions): ClippedOptimizer {
  const clip = split('adagrad', options, ['learningRate', 'initialAccumulatorValue']);
  checkPositive('learningRate', options?.learningRate);
  return new ClippedOptimizer(tf.train.adagrad(options.learningRate, options.initialAccumulatorValue ?? 0.1), clip);
}

/** Options of {@link adadelta}. */
export interface AdadeltaOptions extends ClippingOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Default 0.95. */
  rho?: number;
  /** Default: the backend epsilon. */
  epsilon?: number;
}
/** `tf.train.adadelta(learningRate = 0.001, rho = 0.95, epsilon)` wrapped with clipping. */
export function adadelta(options: AdadeltaOptions = {}): ClippedOptimizer {
  const clip = split('adadelta', options, ['learningRate', 'rho', 'epsilon']);
  const { learningRate = 0.001, rho = 0.95, epsilon } = options;
  checkPositive('learningRate', learningRate);
  optionalNumber('epsilon', epsilon);
  return new ClippedOptimizer(tf.train.adadelta(learningRate, rho, epsilon), clip);
}
