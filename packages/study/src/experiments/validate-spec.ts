/** Validation of an {@link ExperimentSpec} before anything is trained. */
import { ValueError, check, checkInteger, checkOneOf, checkPositive, received } from 'gradclip/errors';
import { resolveClippingOptions } from 'gradclip';
import {
  BACKEND_NAMES,
  MODEL_NAMES,
  MOMENTUM_OPTIMIZERS,
  OPTIMIZER_NAMES,
  RESET_OPTIMIZERS,
  SPAM_WINDOW_OPTIMIZERS,
  type CifarStandIn,
  type ExperimentSpec,
  type OptimizerName,
  type OptimizerSpec,
} from './types.js';

const CIFAR_STAND_INS: readonly CifarStandIn[] = ['fashion-mnist', 'synthetic'];

const MODEL_FOR_DATA: Record<string, readonly string[]> = {
  regression: ['regression-mlp'],
  mnist: ['mnist-mlp'],
  cifar: ['cifar-cnn'],
  adding: ['adding-rnn', 'adding-lstm'],
};

/** `optimizer[key]`, when set, must be an integer >= min and belong to one of `owners`. */
function checkOptimizerOnly(o: OptimizerSpec, key: 'resetInterval' | 'warmupSteps' | 'gradAccuSteps', owners: readonly OptimizerName[], min: number): void {
  const v = o[key];
  if (v === undefined) return;
  if (!owners.includes(o.name)) {
    const who = owners.length === 1 ? `the ${owners[0]} optimizer` : `the ${owners.join(' and ')} optimizers`;
    throw new ValueError(
      `\`optimizer.${key}\` is used only by ${who}; ${o.name} would ignore it. ` + received({ 'optimizer.name': o.name, [`optimizer.${key}`]: v }),
    );
  }
  checkInteger(`optimizer.${key}`, v, min);
}

/**
 * Checks a spec and fills in its defaults (`backend: 'wasm'`, `shuffle: true`,
 * `stopOnNonFinite: true`, `group: undefined`).
 *
 * @param spec - the spec.
 * @returns a new spec with defaults filled in.
 * @throws ValueError naming the field and the value received.
 * @example
 * ```ts
 * resolveSpec({ name: 'a', data: { kind: 'regression' }, model: 'regression-mlp', optimizer: { name: 'adam' },
 *   clip: {}, epochs: 1, batchSize: 32, seed: 0 }).backend; //=> 'wasm'
 * ```
 */
export function resolveSpec(spec: ExperimentSpec): Required<Omit<ExperimentSpec, 'group'>> & Pick<ExperimentSpec, 'group'> {
  check(typeof spec === 'object' && spec !== null, 'spec', 'an object', spec);
  check(typeof spec.name === 'string' && /^[A-Za-z0-9._=-]+$/.test(spec.name), 'name', 'a non-empty slug of [A-Za-z0-9._=-]', spec.name);
  checkOneOf('model', spec.model, MODEL_NAMES);
  check(typeof spec.data === 'object' && spec.data !== null, 'data', 'an object with a `kind`', spec.data);
  checkOneOf('data.kind', spec.data.kind, Object.keys(MODEL_FOR_DATA));
  if (!MODEL_FOR_DATA[spec.data.kind].includes(spec.model)) {
    throw new ValueError(
      `\`model\` must be one of ${MODEL_FOR_DATA[spec.data.kind].join(', ')} for data.kind '${spec.data.kind}'. ${received({ model: spec.model })}`,
    );
  }
  check(typeof spec.optimizer === 'object' && spec.optimizer !== null, 'optimizer', 'an object with a `name`', spec.optimizer);
  checkOneOf('optimizer.name', spec.optimizer.name, OPTIMIZER_NAMES);
  if (spec.optimizer.learningRate !== undefined) checkPositive('optimizer.learningRate', spec.optimizer.learningRate);
  if (spec.optimizer.momentum !== undefined) {
    check(Number.isFinite(spec.optimizer.momentum) && spec.optimizer.momentum >= 0, 'optimizer.momentum', 'a finite number >= 0', spec.optimizer.momentum);
    if (!(MOMENTUM_OPTIMIZERS as readonly string[]).includes(spec.optimizer.name)) {
      throw new ValueError(
        `\`optimizer.momentum\` is used only by the ${MOMENTUM_OPTIMIZERS.join(' and ')} optimizers; ${spec.optimizer.name} would ignore it. ` +
          received({ 'optimizer.name': spec.optimizer.name, 'optimizer.momentum': spec.optimizer.momentum }),
      );
    }
  }
  checkOptimizerOnly(spec.optimizer, 'resetInterval', RESET_OPTIMIZERS, spec.optimizer.name === 'stable-spam' ? 0 : 1);
  checkOptimizerOnly(spec.optimizer, 'warmupSteps', SPAM_WINDOW_OPTIMIZERS, 0);
  checkOptimizerOnly(spec.optimizer, 'gradAccuSteps', SPAM_WINDOW_OPTIMIZERS, 0);
  resolveClippingOptions(spec.clip ?? {});
  checkInteger('epochs', spec.epochs, 1);
  checkInteger('batchSize', spec.batchSize, 1);
  checkInteger('seed', spec.seed, 0);
  check(spec.seed <= 2 ** 32 - 2, 'seed', 'an integer in [0, 2**32 - 2]', spec.seed);
  const backend = spec.backend ?? 'wasm';
  checkOneOf('backend', backend, BACKEND_NAMES);
  const d = spec.data;
  if (d.kind === 'cifar' || d.kind === 'adding') {
    checkInteger('data.nTrain', d.nTrain, 1);
    checkInteger('data.nTest', d.nTest, 1);
  }
  if (d.kind === 'cifar') {
    if (d.images !== undefined) checkOneOf('data.images', d.images, CIFAR_STAND_INS);
    if (d.dir !== undefined && (d.images !== undefined || d.fashionMnistDir !== undefined)) {
      throw new ValueError(
        `\`data.images\` and \`data.fashionMnistDir\` must be unset when \`data.dir\` (CIFAR-10 files) is set. ` +
          received({ 'data.dir': d.dir, 'data.images': d.images, 'data.fashionMnistDir': d.fashionMnistDir }),
      );
    }
  }
  if (d.kind === 'adding') checkInteger('data.seqLength', d.seqLength, 2);
  return {
    ...spec,
    clip: { ...(spec.clip ?? {}) },
    backend,
    shuffle: spec.shuffle ?? true,
    stopOnNonFinite: spec.stopOnNonFinite ?? true,
  };
}
