/**
 * @license
 * Copyright 2018 Google LLC. All Rights Reserved.
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 * http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 * =============================================================================
 */

/*
 * Ported from tensorflow/tfjs, tfjs-core/src/optimizers/rmsprop_optimizer_test.ts at tag tfjs-v4.22.0
 * (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7), from jasmine to node:test through
 * ./testing/harness.ts, which runs each test on cpu and wasm with the bare tfjs optimizer and with
 * withClipping wrappers that never change a gradient, and compares their checked arrays bit for bit.
 * Changes: each optimizer is made through `t.wrap(…)` (and rebuilt from its config through
 * `t.fromConfig`); `expectArraysClose` and jasmine's `expect` became the harness's `t.expect…`
 * (same rules). The assertions and the expected values are tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { describeTfjsOptimizerTests } from './testing/harness.js';

describeTfjsOptimizerTests('RMSPropOptimizer', {
  basic: async (t) => {
    const initialTensors = tf.memory().numTensors;
    const learningRate = 0.1;
    const moment = 0.1;
    const rho = 0.95;
    const optimizer = t.wrap(tf.train.rmsprop(learningRate, rho, moment));

    const x = tf.tensor1d([1, 2]).variable();

    const f = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f as () => tf.Scalar, /* returnCost */ true);

    // Cost & 2 accumulators should be the only additional arrays.
    t.expectEqual(tf.memory().numTensors, numTensors + 3);

    // epsilon = 1e-8
    // newAccumulatedMeanSquare =
    //          rho * accumulatedMeanSquare + (1 - rho) * grad ^ 2 = (0.2)
    // newAccumulatedMoments = momentum * accumulatedMoments +
    //          learning_rate * gradient / sqrt(newAccumulatedMeanSquare +
    //          epsilon) = 0.1 * 0 + ((0.1 * 2) / sqrt(0.2 + 1e-8)) = 0.44721
    // x -= learningRate * newAccumulatedMoments
    //
    // de/dx = [2, 4]
    // accumulatedMeanSquare = [0, 0]
    // newAccumulatedMeanSquare = [.2, .8]
    // accumulatedMoments = [0, 0]
    // newAccumulatedMoments = [0.44721, 0.44721]
    // x = [0.55279, 1.55279]
    t.expectArraysClose(await x.data(), [0.55279, 1.55279]);

    cost!.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f as () => tf.Scalar, /* returnCost */ false);

    // x = [0.55279, 1.55279]
    // de/dx = [1.10558, 3.10558]
    // accumulatedMeanSquare = [0.2, 0.8]
    // newAccumulatedMeanSquare = [0.25105125, 1.242231]
    // accumulatedMoments = [0.44721, 0.44721]
    // newAccumulatedMoments = [0.26534, 0.32336]
    // x = [0.28745, 1.22943]

    // TODO: Fix numerical precision.
    t.expectArraysClose(await x.data(), [0.28745, 1.222943], 1e-2);

    // There should be no new additional Tensors.
    t.expectEqual(tf.memory().numTensors, numTensors);

    t.expectEqual(cost, null);

    x.dispose();
    optimizer.dispose();
    // The only additional tensor remaining is the argument to variable().
    t.expectEqual(tf.memory().numTensors, initialTensors + 1);
  },

  'gradient with centered momentum': async (t) => {
    const initialTensors = tf.memory().numTensors;
    const learningRate = 0.1;
    const moment = 0.1;
    const rho = 0.95;
    const eps = 1e-8;
    const optimizer = t.wrap(tf.train.rmsprop(learningRate, rho, moment, eps, true));

    const x = tf.tensor1d([1, 2]).variable();

    const f = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f as () => tf.Scalar, /* returnCost */ true);

    // Cost & 3 accumulators should be the only additional arrays.
    t.expectEqual(tf.memory().numTensors, numTensors + 4);

    // epsilon = 1e-8
    // newAccumulatedMeanSquare =
    //          rho * accumulatedMeanSquare + (1 - rho) * grad ^ 2 = [.2, .8]
    // newAccumulatedMeanGrad =
    //          rho * accumulatedMeanGrad + (1 - rho) * grad = [0.1, 0.2]
    // newAccumulatedMoments = momentum * accumulatedMoments +
    //          learning_rate * gradient / sqrt(newAccumulatedMeanSquare
    //            - newAccumulatedMeanGrad * 2 +
    //              epsilon) = 0.1 * 0 + ((0.1 * 2)
    //                / sqrt(0.2 - 0.01 + 1e-8)) = 0.458831
    // x -= learningRate * newAccumulatedMoments
    //
    // de/dx = [2, 4]
    // accumulatedMeanSquare = [0, 0]
    // newAccumulatedMeanSquare = [.2, .8]
    // newAccumulatedMeanGrad = [.1, .2]
    // accumulatedMoments = [0, 0]
    // newAccumulatedMoments = [0.45883, 0.458831]
    // x = [0.54117, 1.541169]
    t.expectArraysClose(await x.data(), [0.54117, 1.541169]);

    cost!.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f as () => tf.Scalar, /* returnCost */ false);

    // x = [0.54117, 1.541169]
    // de/dx = [1.08234, 3.082338]
    // accumulatedMeanSquare = [0.2, 0.8]
    // accumulatedMeanGrad = [.1, .2]
    // newAccumulatedMeanSquare = [0.248572, 1.235040]
    // newAccumulatedMeanGrad = [0.149117, 0.3441169]
    // accumulatedMoments = [0.45883, 0.458831]
    // newAccumulatedMoments = [0.273385, 0.3375766]
    // x = [0.267785, 1.2035924]

    // TODO: Fix numerical precision.
    t.expectArraysClose(await x.data(), [0.267785, 1.2035924], 1e-2);

    // There should be no new additional Tensors.
    t.expectEqual(tf.memory().numTensors, numTensors);

    t.expectEqual(cost, null);

    x.dispose();
    optimizer.dispose();
    // The only additional tensor remaining is the argument to variable().
    t.expectEqual(tf.memory().numTensors, initialTensors + 1);
  },

  'Save and load weights: centered = false': async (t) => {
    const learningRate = 0.1;
    const moment = 0.1;
    const rho = 0.95;
    const optimizer1 = t.wrap(tf.train.rmsprop(learningRate, rho, moment));

    const x = tf.tensor1d([1, 2]).variable();
    const f: () => tf.Scalar = () => x.square().sum();

    let cost = optimizer1.minimize(f, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 5);
    t.expectArraysClose(await x.data(), [0.5527865, 1.5527864]);

    const weights = await optimizer1.getWeights();
    // An iteration variable and two optimizer state variables.
    t.expectEqual(weights.length, 3);

    const optimizer2 = t.wrap(tf.train.rmsprop(learningRate, rho, moment));
    await optimizer2.setWeights(weights);

    cost = optimizer2.minimize(f, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 2.7167187);
    t.expectArraysClose(await x.data(), [0.2874418, 1.2294267]);
    t.expectEqual(optimizer2.iterations, 2);
  },

  'Save, load weights and continue training: centered = true': async (t) => {
    const learningRate = 0.1;
    const moment = 0.1;
    const rho = 0.95;
    const epsilon: number = undefined as unknown as number;
    const centered = true;
    const optimizer1 = t.wrap(tf.train.rmsprop(learningRate, rho, moment, epsilon, centered));

    const x = tf.tensor1d([1, 2]).variable();
    const f = () => x.square().sum();

    let cost = optimizer1.minimize(f as () => tf.Scalar, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 5);
    t.expectArraysClose(await x.data(), [0.5411684, 1.5411685]);

    const weights = await optimizer1.getWeights();
    // An iteration variable and three optimizer state variables.
    t.expectEqual(weights.length, 4);

    const optimizer2 = t.wrap(tf.train.rmsprop(learningRate, rho, moment, epsilon, centered));
    await optimizer2.setWeights(weights);

    cost = optimizer2.minimize(f as () => tf.Scalar, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 2.668063);
    t.expectArraysClose(await x.data(), [0.2677834, 1.2035918]);
    t.expectEqual(optimizer2.iterations, 2);

    const optimizer3 = t.wrap(tf.train.rmsprop(learningRate, rho, moment, epsilon, centered));
    await optimizer3.setWeights(await optimizer2.getWeights());
    cost = optimizer3.minimize(f as () => tf.Scalar, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 1.520341);
    t.expectEqual(optimizer3.iterations, 3);
  },

  'serialization round-trip': (t) => {
    const originalOpt = t.wrap(tf.train.rmsprop(0.1, 0.5, 0.1, 1e-7, true));
    const reserialized = t.fromConfig(tf.RMSPropOptimizer, originalOpt.getConfig());
    t.expectEqual(reserialized.getConfig(), originalOpt.getConfig());
  },

  'must define learning rate': (t) => {
    const learningRate: number = undefined as unknown as number;
    t.expectThrows(() => t.wrap(tf.train.rmsprop(learningRate)), /learningRate for RMSPropOptimizer must be defined./);
  },
});
