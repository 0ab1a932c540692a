import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { debugRequested, formatError } from './format-error.js';

describe('formatError', () => {
  it('prints the whole message on one line, the hint of a second line included, and no stack', () => {
    const e = new Error('cannot load the data\n  hint: pass --data DIR\n');
    assert.equal(formatError(e), 'error: cannot load the data hint: pass --data DIR\n');
    assert.doesNotMatch(formatError(e), /\n.+/, 'one line');
    assert.doesNotMatch(formatError(e), /\bat /, 'no stack frame');
  });

  it('adds the stack trace only when asked (debug)', () => {
    const e = new Error('boom');
    const out = formatError(e, true);
    assert.ok(out.startsWith('error: boom\nError: boom\n    at '), out);
  });

  it('a package that is not installed gets the npm install hint', () => {
    const e = Object.assign(new Error("Cannot find package '@tensorflow/tfjs' imported from /app/node_modules/@gradclip/study/dist/x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    assert.equal(
      formatError(e),
      "error: Cannot find package '@tensorflow/tfjs' imported from /app/node_modules/@gradclip/study/dist/x.js; install it: npm install @tensorflow/tfjs\n",
    );
    const relative = Object.assign(new Error("Cannot find module '/app/dist/x.js' imported from /app/dist/y.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    assert.doesNotMatch(formatError(relative), /npm install/, 'a missing file of the package itself is not an npm package');
  });

  it('formats non-Error values and empty messages', () => {
    assert.equal(formatError('plain'), 'error: plain\n');
    assert.equal(formatError(new TypeError('')), 'error: TypeError\n');
  });
});

describe('debugRequested', () => {
  it('is true for --debug or GRADCLIP_DEBUG=1/true, false otherwise (GRADCLIP_DEBUG=0 included)', () => {
    assert.equal(debugRequested(['node', 'bin', 'study', '--debug'], {}), true);
    assert.equal(debugRequested(['node', 'bin'], { GRADCLIP_DEBUG: '1' }), true);
    assert.equal(debugRequested(['node', 'bin'], { GRADCLIP_DEBUG: 'true' }), true);
    assert.equal(debugRequested(['node', 'bin'], { GRADCLIP_DEBUG: '0' }), false);
    assert.equal(debugRequested(['node', 'bin'], {}), false);
  });
});
