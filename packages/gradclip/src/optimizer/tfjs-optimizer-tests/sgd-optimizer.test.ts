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
 * Ported from tensorflow/tfjs, tfjs-core/src/optimizers/sgd_optimizer_test.ts at tag tfjs-v4.22.0
 * (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7), from jasmine to node:test through
 * ./testing/harness.ts, which runs each test on cpu and wasm with the bare tfjs optimizer and with
 * withClipping wrappers that never change a gradient, and compares their checked arrays bit for bit.
 * Changes: each optimizer is made through `t.wrap(…)` (and rebuilt from its config through
 * `t.fromConfig`); `expectArraysClose` and jasmine's `expect` became the harness's `t.expect…`
 * (same rules). The assertions and the expected values are tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { describeTfjsOptimizerTests } from './testing/harness.js';

describeTfjsOptimizerTests('SGDOptimizer', {
  basic: async (t) => {
    const initialTensors = tf.memory().numTensors;
    const learningRate = 0.1;
    const optimizer = t.wrap(tf.train.sgd(learningRate));

    const x = tf.scalar(4).variable();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(() => x.square(), /* returnCost */ true);

    // Cost should be the only additional arrays.
    t.expectEqual(tf.memory().numTensors, numTensors + 1);

    // de/dx = 2x
    const expectedValue1 = -2 * 4 * learningRate + 4;
    t.expectArraysClose(await x.data(), [expectedValue1]);
    t.expectArraysClose(await cost!.data(), [Math.pow(4, 2)]);

    cost!.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(() => x.square(), /* returnCost */ false);
    // There should be no new additional Tensors.
    t.expectEqual(tf.memory().numTensors, numTensors);

    const expectedValue2 = -2 * expectedValue1 * learningRate + expectedValue1;
    t.expectArraysClose(await x.data(), [expectedValue2]);
    t.expectEqual(cost, null);

    optimizer.dispose();
    x.dispose();
    // The only additional tensor remaining is the argument to variable().
    t.expectEqual(tf.memory().numTensors, initialTensors + 1);
  },

  'Set and get weights: empty': async (t) => {
    const x = tf.scalar(4).variable();

    const learningRate = 0.1;
    const optimizer1 = t.wrap(tf.train.sgd(learningRate));

    let weights = await optimizer1.getWeights();
    t.expectEqual(optimizer1.iterations, 0);

    optimizer1.minimize(() => x.square());

    weights = await optimizer1.getWeights();
    t.expectEqual(optimizer1.iterations, 1);
    t.expectEqual(weights.length, 1);
    t.expectEqual(weights[0].name, 'iter');
    t.expectArraysClose(await weights[0].tensor.data(), 1);

    const optimizer2 = t.wrap(tf.train.sgd(learningRate));
    await optimizer2.setWeights(weights);
    optimizer2.minimize(() => x.square());
    t.expectArraysClose(await x.data(), 2.56);
    t.expectEqual(optimizer2.iterations, 2);

    const optimizer3 = t.wrap(tf.train.sgd(learningRate));
    await optimizer3.setWeights(await optimizer2.getWeights());
    optimizer3.minimize(() => x.square());
    t.expectArraysClose(await x.data(), 2.048);
    t.expectEqual(optimizer3.iterations, 3);
  },

  'serialization round-trip': (t) => {
    const learningRate = 0.1;
    const originalOpt = t.wrap(tf.train.sgd(learningRate));
    const reserialized = t.fromConfig(tf.SGDOptimizer, originalOpt.getConfig());
    t.expectEqual(reserialized.getConfig(), originalOpt.getConfig());
  },
});
