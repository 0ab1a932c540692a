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
 * Ported from tensorflow/tfjs, tfjs-core/src/optimizers/momentum_optimizer_test.ts at tag tfjs-v4.22.0
 * (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7), from jasmine to node:test through
 * ./testing/harness.ts, which runs each test on cpu and wasm with the bare tfjs optimizer and with
 * withClipping wrappers that never change a gradient, and compares their checked arrays bit for bit.
 * Changes: each optimizer is made through `t.wrap(…)` (and rebuilt from its config through
 * `t.fromConfig`); `expectArraysClose` and jasmine's `expect` became the harness's `t.expect…`
 * (same rules). The assertions and the expected values are tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { describeTfjsOptimizerTests } from './testing/harness.js';

describeTfjsOptimizerTests('MomentumOptimizer', {
  basic: async (t) => {
    const learningRate = 0.1;
    const momentum = 0.5;
    const optimizer = t.wrap(tf.train.momentum(learningRate, momentum));

    const x = tf.tensor1d([1, 2]).variable();

    const f: () => tf.Scalar = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // Cost & velocity should be the only additional arrays.
    t.expectEqual(tf.memory().numTensors, numTensors + 2);

    // newAccumulation = momentum * accumulation + gradient
    // newVariable += -learningRate * newAccumulation + variable
    //
    // de/dx = [2, 4]
    // newAccumulation = [2, 4]
    // x = [.8, 1.6]
    t.expectArraysClose(await x.data(), [0.8, 1.6]);

    cost!.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f, /* returnCost */ false);

    // de/dx = [1.6, 3.2]
    // accumulation = [2, 4]
    // newAccumulation = [2.6, 5.2]
    // x = [0.54, 1.08]
    t.expectArraysClose(await x.data(), [0.54, 1.08]);

    // There should be no new additional Tensors.
    t.expectEqual(tf.memory().numTensors, numTensors);

    t.expectEqual(cost, null);

    x.dispose();
    numTensors = tf.memory().numTensors;
    optimizer.dispose();

    // The optimizer.dispose() call should have disposed the m variable and the
    // momentum variable for x.
    t.expectEqual(tf.memory().numTensors, numTensors - 2);
  },

  'basic - with Nesterov': async (t) => {
    const learningRate = 0.1;
    const momentum = 0.5;
    const useNesterov = true;
    const optimizer = t.wrap(tf.train.momentum(learningRate, momentum, useNesterov));

    const x = tf.tensor1d([1, 2]).variable();

    const f: () => tf.Scalar = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // Cost and velocity should be the only additional arrays.
    t.expectEqual(tf.memory().numTensors, numTensors + 2);

    // newAccumulation = momentum * accumulation + gradient
    // newVariable = -learningRate * (newAccumulation * momentum + gradient) +
    //                variable
    //
    // de/dx = [2, 4]
    // newAccumulation = [2, 4]
    // newVariable = -0.1 * ([2, 4] * 0.5 + [2, 4]) + [1, 2]
    // x = [.7, 1.4]
    t.expectArraysClose(await x.data(), [0.7, 1.4]);

    cost!.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f, /* returnCost */ false);

    // de/dx = [1.4, 2.8]
    // accumulation = [2, 4]
    // newAccumulation = [0.5 * 2 + 1.4, 0.5 * 4 + 2.8] = [2.4, 4.8]
    // newVariable = -0.1 * ([2.4, 4.8] * 0.5 + [1.4, 2.8]) + [0.7, 1.4]
    // x = [0.44, 0.88]
    t.expectArraysClose(await x.data(), [0.44, 0.88]);

    // There should be no new additional Tensors.
    t.expectEqual(tf.memory().numTensors, numTensors);

    t.expectEqual(cost, null);

    x.dispose();
    numTensors = tf.memory().numTensors;
    optimizer.dispose();

    // The optimizer.dispose() call should have disposed the m variable and the
    // momentum variable for x.
    t.expectEqual(tf.memory().numTensors, numTensors - 2);
  },

  'Save, load weights and conntinue training': async (t) => {
    const learningRate = 0.1;
    const momentum = 0.5;
    const useNesterov = true;
    const optimizer1 = t.wrap(tf.train.momentum(learningRate, momentum, useNesterov));

    const x = tf.tensor1d([1, 2]).variable();
    const f: () => tf.Scalar = () => x.square().sum();

    let cost = optimizer1.minimize(f, /* returnCost */ true);

    // The iterations counter and the accumulation for the variable x.
    const optimizer2 = t.wrap(tf.train.momentum(learningRate, momentum, useNesterov));
    await optimizer2.setWeights(await optimizer1.getWeights());
    cost = optimizer2.minimize(f, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 2.45);
    t.expectArraysClose(await x.data(), [0.44, 0.88]);
    t.expectEqual(optimizer2.iterations, 2);
  },

  'serialization round-trip': (t) => {
    const originalOpt = t.wrap(tf.train.momentum(0.1, 0.2, true));
    const reserialized = t.fromConfig(tf.MomentumOptimizer, originalOpt.getConfig());
    t.expectEqual(reserialized.getConfig(), originalOpt.getConfig());
  },
});
