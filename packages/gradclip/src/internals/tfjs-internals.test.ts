/**
 * The seam (issue 11 item 1): no source file but internals/tfjs-internals.ts names a TF.js
 * internal, and its accessors pass everything through and undo what they install.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { describeBackends } from '@gradclip/testing/backends';
import {
  cpuBackendMismatch,
  cpuValues,
  nextTensorId,
  optimizerState,
  patchCpuBackend,
  registeredVariable,
  wasmBackendMismatch,
  wrapBackendFactory,
  type CpuBackendHooks,
} from './tfjs-internals.js';

const SRC = fileURLToPath(new URL('..', import.meta.url));

/**
 * The names of TF.js internals (as a reviewer would grep for them): engine registries, counters and
 * state; the cpu and wasm backends' data maps, module and counters; the optimizers' non-public
 * fields; what the hooks patch. Word-bounded, case-sensitive.
 */
const PRIVATE_NAMES: (string | RegExp)[] = [
  'registryFactory',
  'registeredVariables',
  '.registry[',
  '.registry.',
  '.nextTensorId',
  'nextTensorId?:',
  'state.profiling',
  'dataIdMap',
  'dataIdNextNumber',
  'memoryOffset',
  'registerTensor',
  '.tfjs.',
  '.tfjs?.',
  'asm.memory',
  'asm?.memory',
  'wasmMemory',
  '.data.get(',
  '.data.has(',
  'firstUse',
  'accBeta1',
  'accBeta2',
  'accumulatedFirstMoment',
  'accumulatedSecondMoment',
  'accumulatedMeanSquares',
  'accumulatedMoments',
  'accumulatedMeanGrads',
  'accumulatedGrads',
  'accumulatedUpdates',
  'accumulatedWeightedInfNorm',
  'accumulations',
  // (not `useNesterov`: also the public parameter of tf.train.momentum)
  'iterations_',
  '.incrementIterations(',
  /\.(disposeData|readSync|read|makeTensorInfo|write|factory)\s*=(?!=)/,
  // tfjs-backend-webgl: its texture registry, program runner and uploads (internals/webgl-internals.ts only)
  'texData',
  'compileAndRun',
  'runWebGLProgram',
  'uploadToGPU',
  'isPacked',
];

/** Where a name may appear besides the seam: subclasses of tf.Optimizer counting their own steps. */
const ALLOWED: Record<string, RegExp> = {
  '.incrementIterations(': /this\.incrementIterations\(\)/,
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|wat)$/.test(name) && !name.endsWith('.test.ts') && !p.includes(`${join('internals', 'testing')}`)) out.push(p);
  }
  return out;
}

/** The seam's files: TF.js internals in general, and tfjs-backend-webgl's. */
const SEAM = [join('internals', 'tfjs-internals.ts'), join('internals', 'webgl-internals.ts')];

it('no source file outside internals/tfjs-internals.ts and internals/webgl-internals.ts names a TF.js internal', () => {
  const files = sources(SRC).filter((f) => !SEAM.includes(relative(SRC, f)));
  assert.ok(files.length > 50, `found the sources (${files.length})`);
  const hits: string[] = [];
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const name of PRIVATE_NAMES) {
        if (typeof name !== 'string') {
          if (name.test(line)) hits.push(`${relative(SRC, f)}:${i + 1}: ${String(name)}: ${line.trim()}`);
          continue;
        }
        if (!line.includes(name)) continue;
        const allowed = ALLOWED[name];
        if (allowed != null && !line.replace(new RegExp(allowed.source, 'g'), '').includes(name)) continue;
        hits.push(`${relative(SRC, f)}:${i + 1}: ${name}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(hits, [], `TF.js internals named outside the seam:\n${hits.join('\n')}`);
});

it('the grep finds the names where they are (the seam itself names every one it accesses)', () => {
  const seam = readFileSync(join(SRC, 'internals', 'tfjs-internals.ts'), 'utf8');
  for (const name of ['registryFactory', 'registeredVariables', 'dataIdMap', 'dataIdNextNumber', 'registerTensor', 'accBeta1', 'accumulatedWeightedInfNorm', 'firstUse', '.data.get(']) {
    assert.ok(seam.includes(name), `${name} is accessed in the seam`);
  }
  const webgl = readFileSync(join(SRC, 'internals', 'webgl-internals.ts'), 'utf8');
  for (const name of ['texData', 'compileAndRun', 'uploadToGPU', 'isPacked']) {
    assert.ok(webgl.includes(name), `${name} is accessed in the webgl seam`);
  }
});

function recordingHooks(): { hooks: CpuBackendHooks; log: string[] } {
  const log: string[] = [];
  return {
    log,
    hooks: {
      beforeDispose: () => log.push('beforeDispose'),
      afterDispose: (_v, deleted) => log.push(`afterDispose ${deleted}`),
      onRead: () => log.push('read'),
      beforeWrite: () => log.push('beforeWrite'),
      afterWrite: () => log.push('afterWrite'),
    },
  };
}

describeBackends('the seam', (backend) => {
  it('sees the active backend as TF.js 4.22 has it', () => {
    const b = tf.engine().backend;
    assert.equal(backend === 'cpu' ? cpuBackendMismatch(b) : wasmBackendMismatch(b), null);
    assert.notEqual(backend === 'cpu' ? wasmBackendMismatch(b) : cpuBackendMismatch(b), null, 'and tells the other kind apart');
  });

  it('nextTensorId is the id the next tensor gets; registeredVariable finds a variable by name', () => {
    const id = nextTensorId();
    const t = tf.zeros([2]);
    assert.equal(t.id, id);
    const v = tf.variable(t, false, 'seam_test_v');
    assert.equal(registeredVariable('seam_test_v'), v);
    tf.dispose([t, v]);
    assert.equal(registeredVariable('seam_test_v'), undefined);
  });

  it('optimizerState reads the fields of the seven optimizers (the probes check the rest)', () => {
    const adam = tf.train.adam(0.01, 0.8, 0.7, 1e-6);
    const s = optimizerState(adam, 'adam');
    assert.ok(s != null);
    assert.deepEqual([s.learningRate, s.beta1, s.beta2, s.epsilon], [0.01, 0.8, 0.7, 1e-6]);
    assert.ok(s.beta1Power instanceof tf.Variable && s.beta2Power instanceof tf.Variable);
    assert.equal(s.slots.length, 2);
    adam.dispose();
    const momentum = tf.train.momentum(0.1, 0.9, true);
    const m = optimizerState(momentum, 'momentum');
    assert.equal(m?.nesterov, true);
    assert.equal(m?.negLearningRate?.dataSync()[0], Math.fround(-0.1));
    momentum.dispose();
  });
});

it('patchCpuBackend passes every argument and result through, calls the hooks, and its removal restores the methods', async () => {
  await tf.setBackend('cpu');
  const b = tf.engine().backend as unknown as Record<string, unknown>;
  const protoWrite = b.write;
  const { hooks, log } = recordingHooks();
  const unpatch = patchCpuBackend(b, hooks);
  assert.ok(Object.prototype.hasOwnProperty.call(b, 'write'));
  const t = tf.tensor1d([1, 2, 3]);
  assert.deepEqual(Array.from(t.dataSync()), [1, 2, 3]);
  assert.ok(cpuValues(b, t.dataId) instanceof Float32Array);
  t.dispose();
  assert.deepEqual(log, ['beforeWrite', 'afterWrite', 'read', 'beforeDispose', 'afterDispose true']);
  assert.equal(unpatch(), true);
  assert.equal(Object.prototype.hasOwnProperty.call(b, 'write'), false);
  assert.equal(b.write, protoWrite);
  tf.dispose(tf.ones([2]));
  assert.equal(log.length, 5, 'no hook after removal');
});

it('patchCpuBackend: when someone patched over it, removal leaves their method and ours only passes through', async () => {
  await tf.setBackend('cpu');
  const b = tf.engine().backend as unknown as Record<string, (...args: unknown[]) => unknown>;
  const { hooks, log } = recordingHooks();
  const unpatch = patchCpuBackend(b, hooks);
  const ours = b.readSync;
  const theirs = function (this: unknown, ...args: unknown[]): unknown {
    return ours.apply(this, args);
  };
  b.readSync = theirs;
  assert.equal(unpatch(), false);
  assert.equal(b.readSync, theirs, 'their method stays');
  const t = tf.tensor1d([5]);
  assert.deepEqual(Array.from(t.dataSync()), [5]);
  t.dispose();
  assert.deepEqual(log, [], 'our wrapper below theirs calls no hook');
  delete (b as Record<string, unknown>).readSync;
});

it('wrapBackendFactory sees new instances and unwraps', () => {
  const seen: object[] = [];
  const before = tf.findBackendFactory('cpu');
  const unwrap = wrapBackendFactory('cpu', (x) => seen.push(x));
  assert.ok(unwrap != null);
  const made = (tf.findBackendFactory('cpu') as () => tf.KernelBackend)();
  assert.deepEqual(seen, [made]);
  made.dispose();
  assert.equal(unwrap(), true);
  assert.equal(tf.findBackendFactory('cpu'), before);
  assert.equal(wrapBackendFactory('no-such-backend', () => {}), null);
});
