import { describe, expect, test } from 'vitest';
import { BufferProtocolError } from '../../../../../lib/core/errors';
import { parseLenientJson } from '../../../../../lib/adapters/buffers/archiver/lenient-json';
import { parseGetDataAnswer } from '../../../../../lib/adapters/buffers/archiver/parse';

const answer = (data: string, meta = '{ "name": "X:Y" , "EGU": "mm" }') => `[ \n{ "meta": ${meta},\n"data": [ \n${data}] }\n ]\n`;

describe('parseLenientJson', () => {
  test('takes the bare non-finite doubles Java prints', () => {
    expect(parseLenientJson('[NaN, Infinity, -Infinity, 1.0E-5, -2]')).toEqual([NaN, Infinity, -Infinity, 1e-5, -2]);
  });

  test('leaves the same words inside strings alone', () => {
    expect(parseLenientJson('{"a": "NaN \\" Infinity", "b": NaN}')).toEqual({ a: 'NaN " Infinity', b: NaN });
  });

  test('still refuses malformed JSON', () => {
    expect(() => parseLenientJson('[{"val": NaN')).toThrow(SyntaxError);
  });
});

describe('parseGetDataAnswer', () => {
  test('converts secs + nanos to exact ns, keeps meta as strings, ignores fields', () => {
    const parsed = parseGetDataAnswer(
      answer('{ "secs": 1704103200, "val": 2.5, "nanos": 999999999, "severity":1, "status":4, "fields": { "HIHI": "3" } }', '{ "name": "X:Y", "PREC": 3 }'),
    );
    expect(parsed.meta).toEqual({ name: 'X:Y', PREC: '3' });
    expect(parsed.samples).toEqual([{ timestampNs: 1704103200999999999n, value: 2.5, severity: 1, status: 4 }]);
  });

  test.for([
    ['string', '"OPEN"', 'OPEN'],
    ['waveform', '[1.5,2,NaN]', [1.5, 2, NaN]],
    ['string waveform', '["a","b"]', ['a', 'b']],
    ['NaN scalar', 'NaN', NaN],
  ] as const)('a %s value', ([, json, value]) => {
    const parsed = parseGetDataAnswer(answer(`{ "secs": 1, "val": ${json}, "nanos": 0, "severity":0, "status":0 }`));
    expect(parsed.samples[0]?.value).toEqual(value);
  });

  test('an empty array (no stream had data) is an answer without samples', () => {
    expect(parseGetDataAnswer('[ \n ]\n')).toEqual({ meta: {}, samples: [] });
  });

  test.for([
    ['truncated JSON', answer('{ "secs": 1, "val": 2, "nanos": 0, "severity":0, "status":0 }').slice(0, 60)],
    ['not an array', '{"meta": {}}'],
    ['no data array', '[{"meta": {}}]'],
    ['two PVs', '[{"data": []}, {"data": []}]'],
    ['fractional secs', answer('{ "secs": 1.5, "val": 2, "nanos": 0, "severity":0, "status":0 }')],
    ['nanos out of range', answer('{ "secs": 1, "val": 2, "nanos": 1000000000, "severity":0, "status":0 }')],
    ['no severity', answer('{ "secs": 1, "val": 2, "nanos": 0, "status":0 }')],
    ['an object value', answer('{ "secs": 1, "val": {"a": 1}, "nanos": 0, "severity":0, "status":0 }')],
    ['a mixed waveform', answer('{ "secs": 1, "val": [1, "a"], "nanos": 0, "severity":0, "status":0 }')],
  ] as const)('%s is a BufferProtocolError', ([, text]) => {
    expect(() => parseGetDataAnswer(text)).toThrow(BufferProtocolError);
  });
});
