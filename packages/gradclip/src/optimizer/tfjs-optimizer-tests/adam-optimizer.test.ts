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
 * Ported from tensorflow/tfjs, tfjs-core/src/optimizers/adam_optimizer_test.ts at tag tfjs-v4.22.0
 * (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7), from jasmine to node:test through
 * ./testing/harness.ts, which runs each test on cpu and wasm with the bare tfjs optimizer and with
 * withClipping wrappers that never change a gradient, and compares their checked arrays bit for bit.
 * Changes: each optimizer is made through `t.wrap(…)` (and rebuilt from its config through
 * `t.fromConfig`); `expectArraysClose` and jasmine's `expect` became the harness's `t.expect…`
 * (same rules). The assertions and the expected values are tfjs's, except one, noted where it is.
 */
import * as tf from '@tensorflow/tfjs';
import { describeTfjsOptimizerTests } from './testing/harness.js';

describeTfjsOptimizerTests('AdamOptimizer', {
  basic: async (t) => {
    const initialTensors = tf.memory().numTensors;
    const learningRate = 0.1;
    const beta1 = 0.8;
    const beta2 = 0.9;
    const optimizer = t.wrap(tf.train.adam(learningRate, beta1, beta2));

    const x = tf.tensor1d([2, 4]).variable();

    const f: () => tf.Scalar = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // Cost & 2 accumulators should be the only additional arrays.
    t.expectEqual(tf.memory().numTensors, numTensors + 3);
    // new_first_m = [
    //    beta1 * old_first_m_w1 + (1-beta1) * grad_w1,
    //    beta1 * old_first_m_w2 + (1-beta1) * grad_w2
    // ] = [.8, 1.6]
    // new_second_m = [
    //    beta2 * old_second_m_w1 + (1-beta2) * grad_w1**2,
    //    beta2 * old_second_m_w2 + (1-beta2) * grad_w2**2
    // ] = [1.6, 6.4]
    // m = [new_first_m/(1-acc_beta1)] = [4, 8]
    // v = [new_second_m/(1-acc_beta2)] = [16, 64]
    // x = [x - lr * m / sqrt(v)] = [1.9, 3.9]
    //
    t.expectArraysClose(await x.data(), [1.9, 3.9]);

    cost!.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f, /* returnCost */ false);

    // new_first_m = [
    //    beta1 * old_first_m_w1 + (1-beta1) * grad_w1,
    //    beta1 * old_first_m_w2 + (1-beta1) * grad_w2
    // ] = [1.4, 2.84]
    // new_second_m = [
    //    beta2 * old_second_m_w1 + (1-beta2) * grad_w1**2,
    //    beta2 * old_second_m_w2 + (1-beta2) * grad_w2**2
    // ] = [2.884, 11.884]
    // m = [new_first_m/(1-acc_beta1)] = [3.888888, 7.88889]
    // v = [new_second_m/(1-acc_beta2)] = [15.1789, 62.5473]
    // x = [x - lr * m / sqrt(v)] = [1.8000001, 3.8002]
    //
    t.expectArraysClose(await x.data(), [1.8000001, 3.8002]);
    // There should be no new additional Tensors.
    t.expectEqual(tf.memory().numTensors, numTensors);

    t.expectEqual(cost, null);

    x.dispose();
    optimizer.dispose();

    // The only additional tensor remaining should be the argument to
    // variable().
    t.expectEqual(tf.memory().numTensors, initialTensors + 1);
  },

  'Continue training after loading weights': async (t) => {
    const learningRate = 0.1;
    const beta1 = 0.8;
    const beta2 = 0.9;
    const optimizer1 = t.wrap(tf.train.adam(learningRate, beta1, beta2));

    const x = tf.tensor1d([2, 4]).variable();
    const f: () => tf.Scalar = () => x.square().sum();
    let cost = optimizer1.minimize(f, /* returnCost */ true);
    t.expectEqual(optimizer1.iterations, 1);
    t.expectArraysClose(await cost!.data(), 20);

    const weights = await optimizer1.getWeights();
    t.expectEqual(weights.length, 3);
    t.expectEqual(weights[0].name, 'iter');
    t.expectEqual(weights[1].name, `${x.name}/m`);
    t.expectEqual(weights[2].name, `${x.name}/v`);

    const optimizer2 = t.wrap(tf.train.adam(learningRate, beta1, beta2));
    await optimizer2.setWeights(weights);

    cost = optimizer2.minimize(f, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 18.82);
    t.expectEqual(optimizer2.iterations, 2);

    const optimizer3 = t.wrap(tf.train.adam(learningRate, beta1, beta2));
    await optimizer3.setWeights(await optimizer2.getWeights());
    cost = optimizer2.minimize(f, /* returnCost */ true);
    t.expectArraysClose(await cost!.data(), 17.681284);
    // tfjs writes `toEqual(initialTensors + 2)`, with `initialTensors` the numTensors at the start
    // of the test: 0 there (its environment resets the engine), not here.
    t.expectEqual(optimizer3.iterations, 2);
  },

  'serialization round-trip': (t) => {
    const originalOpt = t.wrap(tf.train.adam(0.1, 0.2, 0.3, 2e-8));
    const reserialized = t.fromConfig(tf.AdamOptimizer, originalOpt.getConfig());
    t.expectEqual(reserialized.getConfig(), originalOpt.getConfig());
  },
});
