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
 * Ported from tensorflow/tfjs, tfjs-core/src/optimizers/optimizer_test.ts at tag tfjs-v4.22.0
 * (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7), from jasmine to node:test through
 * ./testing/harness.ts, which runs each test on cpu and wasm with the bare tfjs optimizer and with
 * withClipping wrappers that never change a gradient, and compares their checked arrays bit for bit.
 * Changes: each optimizer is made through `t.wrap(…)`; `expectArraysClose` and jasmine's `expect`
 * became the harness's `t.expect…` (same rules); `SGDOptimizer` and `Optimizer` are tfjs's public
 * `tf.SGDOptimizer` and `tf.Optimizer`. The assertions and the expected values are tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { describeTfjsOptimizerTests } from './testing/harness.js';

describeTfjsOptimizerTests('optimizer', {
  basic: async (t) => {
    const initialTensors = tf.memory().numTensors;
    const learningRate = 0.1;
    const optimizer = t.wrap(tf.train.sgd(learningRate));

    const x = tf.scalar(4).variable();
    const bias = tf.scalar(1).variable();
    const strayVariable = tf.scalar(-1).variable();

    let numTensors = tf.memory().numTensors;

    const f = () => x.square().add(bias) as tf.Scalar;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // Cost should be the only additional arrays.
    t.expectEqual(tf.memory().numTensors, numTensors + 1);

    // de/dx = 2x
    const expectedX1 = -2 * 4 * learningRate + 4;
    // de/db = 1
    const expectedBias1 = -1 * learningRate + 1;
    t.expectArraysClose(await x.data(), [expectedX1]);
    t.expectArraysClose(await bias.data(), [expectedBias1]);
    t.expectArraysClose(await cost!.data(), [Math.pow(4, 2) + 1]);
    // The stray variable should remain unchanged.
    t.expectArraysClose(await strayVariable.data(), [-1]);

    cost!.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f, /* returnCost */ false);
    // There should be no new additional Tensors.
    t.expectEqual(tf.memory().numTensors, numTensors);

    const expectedX2 = -2 * expectedX1 * learningRate + expectedX1;
    const expectedBias2 = -learningRate + expectedBias1;
    t.expectArraysClose(await x.data(), [expectedX2]);
    t.expectArraysClose(await bias.data(), [expectedBias2]);
    t.expectEqual(cost, null);
    // The stray variable should remain unchanged.
    t.expectArraysClose(await strayVariable.data(), [-1]);

    optimizer.dispose();
    x.dispose();
    bias.dispose();
    strayVariable.dispose();
    // The only additional tensors remaining are the arguments to variable().
    t.expectEqual(tf.memory().numTensors, initialTensors + 3);
  },

  'varList array of all variables': async (t) => {
    const learningRate = 0.1;
    const optimizer = t.wrap(new tf.SGDOptimizer(learningRate));

    const x = tf.scalar(4).variable();
    const bias = tf.scalar(1).variable();
    const strayVariable = tf.scalar(-1).variable();
    const varList = [x, bias];

    const f = () => x.square().add(bias) as tf.Scalar;

    let cost = optimizer.minimize(f, /* returnCost */ true, varList);

    // de/dx = 2x
    const expectedX1 = -2 * 4 * learningRate + 4;
    // de/db = 1
    const expectedBias1 = -1 * learningRate + 1;
    t.expectArraysClose(await x.data(), [expectedX1]);
    t.expectArraysClose(await bias.data(), [expectedBias1]);
    t.expectArraysClose(await cost!.data(), [Math.pow(4, 2) + 1]);
    // The stray variable should remain unchanged.
    t.expectArraysClose(await strayVariable.data(), [-1]);

    cost = optimizer.minimize(f, /* returnCost */ false, varList);

    const expectedX2 = -2 * expectedX1 * learningRate + expectedX1;
    const expectedBias2 = -learningRate + expectedBias1;
    t.expectArraysClose(await x.data(), [expectedX2]);
    t.expectArraysClose(await bias.data(), [expectedBias2]);
    // The stray variable should remain unchanged.
    t.expectArraysClose(await strayVariable.data(), [-1]);
    t.expectEqual(cost, null);
  },

  'varList empty array of variables throws error': (t) => {
    const learningRate = 0.1;
    const optimizer = t.wrap(new tf.SGDOptimizer(learningRate));

    const x = tf.scalar(4).variable();
    const bias = tf.scalar(1).variable();
    // Stray variable.
    tf.scalar(-1).variable();
    const varList: tf.Variable[] = [];

    const f = () => x.square().add(bias) as tf.Scalar;

    t.expectThrows(() => optimizer.minimize(f, /* returnCost */ true, varList));
  },

  'varList subset of variables update': async (t) => {
    const learningRate = 0.1;
    const optimizer = t.wrap(new tf.SGDOptimizer(learningRate));

    const x = tf.scalar(4).variable();
    const bias = tf.scalar(1).variable();
    const strayVariable = tf.scalar(-1).variable();
    const varList = [x];

    const f = () => x.square().add(bias) as tf.Scalar;

    let cost = optimizer.minimize(f, /* returnCost */ true, varList);

    // de/dx = 2x
    const expectedValue1 = -2 * 4 * learningRate + 4;
    t.expectArraysClose(await x.data(), [expectedValue1]);
    // bias should remain unchanged.
    t.expectArraysClose(await bias.data(), [1]);
    t.expectArraysClose(await cost!.data(), [Math.pow(4, 2) + 1]);
    // The stray variable should remain unchanged.
    t.expectArraysClose(await strayVariable.data(), [-1]);

    cost = optimizer.minimize(f, /* returnCost */ false, varList);

    const expectedValue2 = -2 * expectedValue1 * learningRate + expectedValue1;
    t.expectArraysClose(await x.data(), [expectedValue2]);
    // Bias still should remain unchanged.
    t.expectArraysClose(await bias.data(), [1]);
    t.expectEqual(cost, null);
    // The stray variable should remain unchanged.
    t.expectArraysClose(await strayVariable.data(), [-1]);
  },

  'only bias trainable': async (t) => {
    const learningRate = 0.1;
    const optimizer = t.wrap(new tf.SGDOptimizer(learningRate));

    const trainable = false;
    const x = tf.scalar(4).variable(trainable);
    const bias = tf.scalar(1).variable();
    const strayVariable = tf.scalar(-1).variable();

    const f = () => x.square().add(bias) as tf.Scalar;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // x should not have been updated.
    t.expectArraysClose(await x.data(), [4]);
    // de/db = 1
    const expectedBias1 = -1 * learningRate + 1;
    t.expectArraysClose(await bias.data(), [expectedBias1]);
    t.expectArraysClose(await cost!.data(), [Math.pow(4, 2) + 1]);
    // The stray variable should remain unchanged.
    t.expectArraysClose(await strayVariable.data(), [-1]);

    cost = optimizer.minimize(f, /* returnCost */ false);

    // x should not have been updated.
    t.expectArraysClose(await x.data(), [4]);
    const expectedBias2 = -learningRate + expectedBias1;
    t.expectArraysClose(await bias.data(), [expectedBias2]);
    t.expectEqual(cost, null);
    // The stray variable should remain unchanged.
    t.expectArraysClose(await strayVariable.data(), [-1]);
  },

  'only bias trainable, only x in varList throws error': (t) => {
    const learningRate = 0.1;
    const optimizer = t.wrap(new tf.SGDOptimizer(learningRate));

    const trainable = false;
    const x = tf.scalar(4).variable(trainable);
    const bias = tf.scalar(1).variable();
    // stray variable.
    tf.scalar(-1).variable();
    const varList = [x];

    const f = () => x.square().add(bias) as tf.Scalar;

    t.expectThrows(() => optimizer.minimize(f, /* returnCost */ true, varList));
  },

  'instanceof Optimizer': (t) => {
    const learningRate = 0.1;
    const optimizer = t.wrap(new tf.SGDOptimizer(learningRate));

    t.expectEqual(optimizer instanceof tf.Optimizer, true);
  },

  'throws error when f returns a non-scalar': (t) => {
    const learningRate = 0.1;
    const optimizer = t.wrap(new tf.SGDOptimizer(learningRate));

    const x = tf.tensor1d([1, 2]).variable();
    const f = () => x.square();

    t.expectThrows(() => optimizer.minimize(f as any));
  },
});
