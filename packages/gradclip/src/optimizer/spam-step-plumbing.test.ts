/**
 * The step plumbing SPAM and Stable-SPAM share (spam-shared.ts), checked on each optimizer with the
 * first reference trajectory of its kind (test/fixtures/adaptive2-vectors.json): the NamedTensor[]
 * form of applyGradients, and a number of tensors that stays constant from step to step, with
 * dispose() freeing the slots. What each optimizer keeps besides its slots stays explicit below.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import { spamConfig, stableSpamConfig, type TrajectoryCase } from '../../test/helpers/adaptive2-cases.js';
import { loadTrajectories, replay } from '../../test/helpers/spam-vectors.js';
import { SPAM } from './spam.js';
import { StableSPAM } from './stable-spam.js';

/** One optimizer under test. */
interface Subject {
  name: string;
  /** The first reference case of its kind. */
  first: TrajectoryCase;
  make: (c: TrajectoryCase) => SPAM | StableSPAM;
  /** Checks the tensors held from the first step on, beyond those there before the optimizer was built. */
  checkHeld: (held: number) => void;
}

const subjects: Subject[] = [
  {
    name: 'SPAM',
    first: loadTrajectories('spam')[0],
    make: (c) => new SPAM(spamConfig(c)),
    // the replay's 3 variables, their 3 x (m, v), the last step's clip counts and the optimizer's
    // constant scalars
    checkHeld: (held) => assert.ok(held >= 3 + 6 + 1, `${held}`),
  },
  {
    name: 'StableSPAM',
    first: loadTrajectories('stablespam')[0],
    make: (c) => new StableSPAM(stableSpamConfig(c)),
    // reset steps included: the replay's 3 variables, their 3 x (m, v) and the optimizer's constant
    // scalars (β2, β1 without totalT)
    checkHeld: (held) => assert.equal(held, 3 + 6 + 2),
  },
];

for (const { name, first, make, checkHeld } of subjects) {
  describeBackends(`${name} step plumbing`, () => {
    it('takes the NamedTensor[] form of applyGradients too (first case)', async () => {
      const opt = make(first);
      await replay(first, opt, undefined, 'array');
      opt.dispose();
    });

    it('keeps tf.memory().numTensors constant from step to step, and dispose() frees its slots', async () => {
      const before = tf.memory().numTensors;
      const opt = make(first);
      const counts: number[] = [];
      await replay(first, opt, () => void counts.push(tf.memory().numTensors - before));
      assert.deepEqual(counts, counts.map(() => counts[0]));
      checkHeld(counts[0]);
      opt.dispose();
      assert.equal(tf.memory().numTensors, before);
    });
  });
}
