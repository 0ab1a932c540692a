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
 * Ported from tensorflow/tfjs, tfjs-core/src/optimizers/adadelta_optimizer_test.ts at tag tfjs-v4.22.0
 * (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7), from jasmine to node:test through
 * ./testing/harness.ts, which runs each test on cpu and wasm with the bare tfjs optimizer and with
 * withClipping wrappers that never change a gradient, and compares their checked arrays bit for bit.
 * Changes: each optimizer is made through `t.wrap(…)` (and rebuilt from its config through
 * `t.fromConfig`); `expectArraysClose` and jasmine's `expect` became the harness's `t.expect…`
 * (same rules). The assertions and the expected values are tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { describeTfjsOptimizerTests } from './testing/harness.js';

describeTfjsOptimizerTests('AdadeltaOptimizer', {
  basic: async (t) => {
    const initialTensors = tf.memory().numTensors;
    const learningRate = 0.1;
    const rho = 0.95;
    const optimizer = t.wrap(tf.train.adadelta(learningRate, rho));

    const x = tf.tensor1d([1, 2]).variable();

    const f: () => tf.Scalar = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // Cost & 2 accumulators should be the only additional arrays.
    t.expectEqual(tf.memory().numTensors, numTensors + 3);

    // epsilon = 1-e8
    // newAccumulatedGrad = rho * accumulatedGrad + (1 - rho) * grad ^ 2
    // updates = -grad * sqrt(accumulatedUpdate + epsilon) /
    //     sqrt(accumulatedGrad + epsilon)
    // newAccumulatedUpdate = rho * accumulatedUpdate + (1 - rho) * updates ^ 2
    // x += learningRate * updates
    //
    // de/dx = [2, 4]
    // accumulatedGrad = [0, 0]
    // newAccumulatedGrad = [.2, .8]
    // updates = [-2, -4]
    // newAccumulatedUpdate = [.2, .8]
    // x = [0.8, 1.6]
    t.expectArraysClose(await x.data(), [0.8, 1.6]);

    cost!.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f, /* returnCost */ false);

    // de/dx = [1.6, 3.2]
    // accumulatedGrad = [.2, .8]
    // accumulatedUpdate = [.2, .8]
    // newAccumulatedGrad = [0.318, 1.272]
    // updates = [-1.6, -3.2]
    // x = [0.64, 1.28]
    t.expectArraysClose(await x.data(), [0.64, 1.28]);

    // There should be no new additional Tensors.
    t.expectEqual(tf.memory().numTensors, numTensors);

    t.expectEqual(cost, null);

    x.dispose();
    optimizer.dispose();

    // The only additional tensor remaining is the argument to variable().
    t.expectEqual(tf.memory().numTensors, initialTensors + 1);
  },

  'Save, load weights and continue training': async (t) => {
    const learningRate = 0.1;
    const rho = 0.95;
    const optimizer1 = t.wrap(tf.train.adadelta(learningRate, rho));

    const x = tf.tensor1d([1, 2]).variable();
    const f: () => tf.Scalar = () => x.square().sum();

    let cost = optimizer1.minimize(f, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 5);
    t.expectArraysClose(await x.data(), [0.8, 1.6]);

    const weights = await optimizer1.getWeights();
    t.expectEqual(weights.length, 3);
    t.expectEqual(weights[0].name, 'iter');

    const optimizer2 = t.wrap(tf.train.adadelta(learningRate, rho));
    await optimizer2.setWeights(weights);

    cost = optimizer2.minimize(f, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 3.2);
    t.expectArraysClose(await x.data(), [0.64, 1.28]);
    t.expectEqual(optimizer2.iterations, 2);
  },

  'serialization round-trip': (t) => {
    const originalOpt = t.wrap(tf.train.adadelta(0.1, 0.2, 2e-8));
    const reserialized = t.fromConfig(tf.AdadeltaOptimizer, originalOpt.getConfig());
    t.expectEqual(reserialized.getConfig(), originalOpt.getConfig());
  },
});
