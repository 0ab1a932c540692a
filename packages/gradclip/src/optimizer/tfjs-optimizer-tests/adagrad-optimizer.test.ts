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
 * Ported from tensorflow/tfjs, tfjs-core/src/optimizers/adagrad_optimizer_test.ts at tag tfjs-v4.22.0
 * (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7), from jasmine to node:test through
 * ./testing/harness.ts, which runs each test on cpu and wasm with the bare tfjs optimizer and with
 * withClipping wrappers that never change a gradient, and compares their checked arrays bit for bit.
 * Changes: each optimizer is made through `t.wrap(…)` (and rebuilt from its config through
 * `t.fromConfig`); `expectArraysClose` and jasmine's `expect` became the harness's `t.expect…`
 * (same rules). The assertions and the expected values are tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { describeTfjsOptimizerTests } from './testing/harness.js';

describeTfjsOptimizerTests('AdagradOptimizer', {
  basic: async (t) => {
    const initialTensors = tf.memory().numTensors;
    const learningRate = 0.1;
    const initialAccumulatorValue = 0.1;
    const optimizer = t.wrap(tf.train.adagrad(learningRate, initialAccumulatorValue));

    const x = tf.tensor1d([1, 2]).variable();

    const f: () => tf.Scalar = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // Cost & accumulator should be the only additional arrays.
    t.expectEqual(tf.memory().numTensors, numTensors + 2);

    // epsilon = 1-e8
    // newAccumulatedGrad = accumulatedGrad + grad^2
    // x -= (learningRate * grad) / sqrt(newAccumulatedGrad + eps)
    // de/dx = [2, 4]
    // accumulatedGrad = [0.1, 0.1]
    // newAccumulatedGrad = [4.1, 16.1]
    // x = [0.9012270405, 1.900311042]
    t.expectArraysClose(await x.data(), [0.9012270405, 1.9003110428]);

    cost!.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f, /* returnCost */ false);

    // de/dx = [1.802454081, 3.9501555214]
    // accumulatedGrad = [4.1, 16.1]
    // newAccumulatedGrad = [7.3488407141, 31.7037286432]
    // x = [0.8347372764, 1.83015597828]

    // TODO: Fix numerical precision.
    t.expectArraysClose(await x.data(), [0.8347372764, 1.83015597828], 1e-2);

    // There should be no new additional Tensors.
    t.expectEqual(tf.memory().numTensors, numTensors);

    t.expectEqual(cost, null);

    x.dispose();
    optimizer.dispose();

    // The only additional tensor remaining is the argument to variable().
    t.expectEqual(tf.memory().numTensors, initialTensors + 1);
  },

  'Continue training after loading weights': async (t) => {
    const learningRate = 0.1;
    const initialAccumulatorValue = 0.1;
    const optimizer1 = t.wrap(tf.train.adagrad(learningRate, initialAccumulatorValue));

    const x = tf.tensor1d([2, 4]).variable();
    const f: () => tf.Scalar = () => x.square().sum();
    let cost = optimizer1.minimize(f, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 20);

    const weights = await optimizer1.getWeights();
    t.expectEqual(weights.length, 2);
    t.expectEqual(weights[0].name, 'iter');
    t.expectEqual(weights[1].name, `${x.name}/accumulator`);

    // (tfjs's test continues with Adam, as here.)
    const optimizer2 = t.wrap(tf.train.adam(learningRate, initialAccumulatorValue));
    await optimizer2.setWeights(weights);

    cost = optimizer2.minimize(f, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 18.82179);
    t.expectEqual(optimizer2.iterations, 2);
  },

  'serialization round-trip': (t) => {
    const originalOpt = t.wrap(tf.train.adagrad(0.1, 0.2));
    const reserialized = t.fromConfig(tf.AdagradOptimizer, originalOpt.getConfig());
    t.expectEqual(reserialized.getConfig(), originalOpt.getConfig());
  },
});
