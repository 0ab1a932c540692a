import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  FILE_VERSION,
  encodeFileVersionEvent,
  encodeHistogramValue,
  encodeScalarValue,
  encodeSummaryEvent,
  encodeTensorScalarValue,
} from './events.js';
import { histogramBuckets } from './histogram-buckets.js';
import { decodeEvent, decodeSummaryValue, tensorShape, tensorValues } from './testing/decode-events.js';

describe('encodeFileVersionEvent', () => {
  it('writes wall_time, file_version "brain.Event:2" and source_metadata.writer', () => {
    const e = decodeEvent(encodeFileVersionEvent(1717000000.25));
    assert.equal(FILE_VERSION, 'brain.Event:2');
    assert.equal(e.fileVersion, 'brain.Event:2');
    assert.equal(e.wallTime, 1717000000.25);
    assert.equal(e.step, 0);
    assert.equal(e.sourceMetadata?.writer, 'gradclip');
  });
});

describe('encodeSummaryEvent', () => {
  it('writes wall_time, step (int64, incl. above 2^32) and the summary values', () => {
    const e = decodeEvent(encodeSummaryEvent(12.5, 2 ** 40 + 7, [encodeScalarValue('a', 1), encodeScalarValue('b', 2)]));
    assert.equal(e.wallTime, 12.5);
    assert.equal(e.step, 2 ** 40 + 7);
    assert.equal(e.what, 'summary');
    assert.deepEqual(
      e.summary?.value.map((v) => [v.tag, v.simpleValue]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
  });

  it('decodes step 0', () => {
    assert.equal(decodeEvent(encodeSummaryEvent(1, 0, [])).step, 0);
  });
});

describe('encodeScalarValue', () => {
  it('writes simple_value rounded to float32, keeping NaN and ±Inf', () => {
    assert.equal(decodeSummaryValue(encodeScalarValue('loss', 0.1)).simpleValue, Math.fround(0.1));
    assert.ok(Number.isNaN(decodeSummaryValue(encodeScalarValue('x', NaN)).simpleValue));
    assert.equal(decodeSummaryValue(encodeScalarValue('x', -Infinity)).simpleValue, -Infinity);
    assert.equal(decodeSummaryValue(encodeScalarValue('ünï/cødé', 1)).tag, 'ünï/cødé');
  });
});

describe('encodeTensorScalarValue', () => {
  it('writes a rank-0 DT_FLOAT tensor with scalars-plugin metadata and DATA_CLASS_SCALAR', () => {
    const v = decodeSummaryValue(encodeTensorScalarValue('loss', 0.3, 'the *loss*'));
    assert.equal(v.value, 'tensor');
    assert.equal(v.tensor?.dtype, 'DT_FLOAT');
    assert.deepEqual(tensorShape(v.tensor!), []);
    assert.deepEqual(tensorValues(v.tensor!), [Math.fround(0.3)]);
    assert.equal(v.metadata?.pluginData?.pluginName, 'scalars');
    assert.equal(v.metadata?.dataClass, 'DATA_CLASS_SCALAR');
    assert.equal(v.metadata?.summaryDescription, 'the *loss*');
  });
});

describe('encodeHistogramValue', () => {
  it('writes a DT_DOUBLE [k,3] tensor with histograms-plugin metadata', () => {
    const data = Array.from({ length: 500 }, (_, i) => Math.cos(i * 0.37) * 2);
    const v = decodeSummaryValue(encodeHistogramValue('w', histogramBuckets(data, 30)));
    assert.equal(v.tag, 'w');
    assert.equal(v.tensor?.dtype, 'DT_DOUBLE');
    assert.deepEqual(tensorShape(v.tensor!), [30, 3]);
    const flat = tensorValues(v.tensor!);
    assert.equal(flat.length, 90);
    let total = 0;
    for (let i = 2; i < 90; i += 3) total += flat[i];
    assert.equal(total, 500);
    assert.equal(flat[0], Math.min(...data));
    assert.equal(flat[88], Math.max(...data));
    assert.equal(v.metadata?.pluginData?.pluginName, 'histograms');
    assert.equal(v.metadata?.dataClass, 'DATA_CLASS_UNKNOWN');
  });

  it('writes shape [0,3] and no content for empty data', () => {
    const v = decodeSummaryValue(encodeHistogramValue('e', histogramBuckets([])));
    assert.deepEqual(tensorShape(v.tensor!), [0, 3]);
    assert.deepEqual(tensorValues(v.tensor!), []);
  });

  it('writes the single bucket of constant data', () => {
    const v = decodeSummaryValue(encodeHistogramValue('c', histogramBuckets([4, 4])));
    assert.deepEqual(tensorShape(v.tensor!), [1, 3]);
    assert.deepEqual(tensorValues(v.tensor!), [3.5, 4.5, 2]);
  });
});
