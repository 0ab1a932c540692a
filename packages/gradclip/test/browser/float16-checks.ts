/**
 * `float16/…`: what float16 textures (WEBGL_FORCE_F16_TEXTURES, as on many phones) do to values, and
 * gradclip's float16 handling — its once-only warning (naming the backend flag and the optimizer
 * hyper-parameters at risk) and its scaled norms (right where Σx² overflows float16). On float32
 * backends: no float16 warning, and the same norms. (fit-checks.ts fits on float16 with the
 * optimizer settings the warning recommends.)
 *
 * The warning's optimizer part is reached through gradclip's built module `dist/core/float16.js`
 * (the same module instance as the public entry's), as the optimizer wrapper will call it.
 */
import * as tf from '@tensorflow/tfjs';
import { clipByNorm, getTotalNorm, globalNorm, transforms as T, withClipping } from 'gradclip';
import { isFloat16Backend, warnIfFloat16 } from '../../dist/core/float16.js';
import { type Checks, close, equal, ok, show } from './checks.js';

const F16_NORM_TOL = { rtol: 4e-3, atol: 0 };
const F32_NORM_TOL = { rtol: 1e-6, atol: 0 };

/** Runs `f` with console.warn captured; returns the gradclip warnings it printed. */
async function warningsOf(f: () => unknown): Promise<string[]> {
  const seen: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => void seen.push(a.map(String).join(' '));
  try {
    await f();
  } finally {
    console.warn = warn;
  }
  return seen.filter((m) => m.startsWith('gradclip:'));
}

export async function float16Checks(checks: Checks, float16: boolean): Promise<void> {
  const c = (name: string, fn: () => void | Promise<void>): Promise<void> => checks.run(`float16: ${name}`, fn);
  const tol = float16 ? F16_NORM_TOL : F32_NORM_TOL;

  await c(`gradclip detects ${float16 ? 'float16' : 'no float16'} storage on this backend`, () => {
    equal(isFloat16Backend(), float16, 'isFloat16Backend()');
  });

  if (float16) {
    await c('what the expectations rely on: after a GPU op ±Inf and 1e5 read back as NaN, 65504 and -0 survive, 1e-7 is a subnormal', async () => {
      const got = Array.from(await tf.mul(tf.tensor([Infinity, -Infinity, 1e5, 65504, -0, 1e-7]), 1).data());
      equal(got.slice(0, 3).every(Number.isNaN), true, `±Inf and 1e5 after a GPU op: ${show(got.slice(0, 3))}`);
      equal(got[3], 65504, 'largest float16');
      equal(Object.is(got[4], -0), true, `-0: ${show(got[4])}`);
      ok(got[5] > 0 && Math.abs(got[5] - 1e-7) > 1e-9, `1e-7 is stored as a float16 subnormal: ${show(got[5])}`);
    });
  }

  // Always run (even when GRADCLIP_BROWSER_ONLY selects other checks) and first of all norms on
  // webgl, so that the first norm computed on the page is this one.
  await checks.run(
    `float16: the first norm warns ${float16 ? 'once, naming WEBGL_RENDER_FLOAT32_ENABLED and WEBGL_FORCE_F16_TEXTURES' : 'nothing'}`,
    async () => {
      const first = await warningsOf(() => globalNorm([tf.tensor([1, 2])]).dispose());
      const again = await warningsOf(() => {
        globalNorm([tf.tensor([3])]).dispose();
        clipByNorm(tf.tensor([1, 2]), 1).dispose();
      });
      if (!float16) {
        equal(first.length + again.length, 0, `float16 warnings on a float32 backend: ${show([...first, ...again])}`);
        return;
      }
      equal(first.length, 1, `warnings of the first norm: ${show(first)}`);
      equal(again.length, 0, `warnings of the next norms: ${show(again)}`);
      ok(/WEBGL_RENDER_FLOAT32_ENABLED/.test(first[0]) && /WEBGL_FORCE_F16_TEXTURES/.test(first[0]) && /65504/.test(first[0]), `warning: ${first[0]}`);
    },
    { always: true },
  );

  await c(`the optimizer part names Adam's epsilon=1e-7 and beta2=0.99999, and beta2=0.999's underflow ${float16 ? '(not sgd)' : '(not on float32)'}`, async () => {
    const opt = tf.train.adam(0.01, 0.9, 0.99999, 1e-7);
    try {
      const seen = await warningsOf(() => equal(warnIfFloat16(opt), float16, 'warnIfFloat16(adam)'));
      if (!float16) {
        equal(seen.length, 0, `warnings: ${show(seen)}`);
        return;
      }
      const m = seen.find((w) => /at risk/.test(w));
      ok(m != null, `no hyper-parameter warning: ${show(seen)}`);
      ok(/epsilon=1e-7/.test(m) && /beta2=0.99999/.test(m) && !/beta1/.test(m) && !/learningRate/.test(m), `warning: ${m}`);
      equal((await warningsOf(() => warnIfFloat16(opt))).length, 0, 'warned again for the same optimizer');
      const adam4 = tf.train.adam(0.01, 0.9, 0.999, 1e-4);
      const m4 = (await warningsOf(() => warnIfFloat16(adam4))).find((w) => /at risk/.test(w)) ?? '';
      ok(/beta2=0.999: \(1 - beta2\)·g² underflows float16 for \|g\| < 0.0077/.test(m4) && !/epsilon=/.test(m4), `adam(0.01, 0.9, 0.999, 1e-4): ${m4}`);
      adam4.dispose();
      const sgd = tf.train.sgd(0.05);
      equal((await warningsOf(() => warnIfFloat16(sgd))).filter((w) => /at risk/.test(w)).length, 0, 'hyper-parameter warning for sgd(0.05)');
      sgd.dispose();
    } finally {
      opt.dispose();
    }
  });

  // Σx² = 250000 and 2.5e9 overflow float16; the norms themselves (500, 50000) do not.
  await c('norms where Σx² overflows float16: globalNorm, clipByNorm, getTotalNorm (p = 2, 3, -1), clipByBlockRms, unitwiseNorm', async () => {
    close(await globalNorm([tf.tensor([300, -400]), tf.tensor([[0]])]).data(), [500], tol, 'globalNorm([[300, -400], [[0]]])');
    close(await globalNorm([tf.fill([2, 2], 25000)]).data(), [50000], tol, 'globalNorm(fill([2, 2], 25000))');
    close(await clipByNorm(tf.tensor([[300, -400], [3, 4]]), 100, 1).data(), [60, -80, 3, 4], { rtol: tol.rtol, atol: 1e-6 }, 'clipByNorm(…, 100, axes=1)');
    close(await getTotalNorm([tf.tensor([300, 400])], 2).data(), [500], tol, 'getTotalNorm p=2');
    close(await getTotalNorm([tf.tensor([100, 200])], 3).data(), [Math.cbrt(9e6)], tol, 'getTotalNorm p=3');
    close(await getTotalNorm([tf.tensor([1e-3, 2e-3])], -1).data(), [1 / 1500], tol, 'getTotalNorm p=-1');
    const t = T.clipByBlockRms(1);
    const r = t.update([tf.tensor([300, 400])], t.init());
    close(await r.grads[0]!.data(), [300 / Math.sqrt(125000), 400 / Math.sqrt(125000)], tol, 'clipByBlockRms(1)');
    close(await T.unitwiseNorm(tf.tensor([[300, 1], [400, 0]])).data(), [500, 1, 500, 1], tol, 'unitwiseNorm');
  });

  // The wrapper's norms (core/keras-clip-gradients.ts): a finite step whose Σg² overflows float16 is
  // neither skipped nor NaN (its norm, 500, is a float16 value).
  for (const clip of [{ globalClipnorm: 1 }, { clipnorm: 1 }]) {
    await c(`withClipping(sgd(0.1), ${JSON.stringify({ ...clip, nonFinite: 'skip' })}) with gradient [300, -400]: applied, globalNorm 500, clipped to norm 1`, async () => {
      const v = tf.variable(tf.zeros([2]), true, `browser_f16_bignorm_${Object.keys(clip)[0]}`);
      const opt = withClipping(tf.train.sgd(0.1), { ...clip, nonFinite: 'skip' });
      opt.enableStats(); // the statistics are recorded only on request
      try {
        opt.applyGradients({ [v.name]: tf.tensor1d([300, -400]) });
        equal(opt.skippedSteps, 0, 'skippedSteps');
        const s = (await opt.readLastStats())!;
        close([s.globalNorm, s.clippedNorm], [500, 1], tol, 'stats globalNorm, clippedNorm');
        equal(s.nonFiniteCount, 0, 'stats.nonFiniteCount');
        close(await v.data(), [-0.06, 0.08], { rtol: tol.rtol, atol: 1e-6 }, 'weights');
      } finally {
        opt.dispose();
        v.dispose();
      }
    });
  }
}
