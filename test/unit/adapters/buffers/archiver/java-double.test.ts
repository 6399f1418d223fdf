import { describe, expect, test } from 'vitest';
import { answerChunks, jsonSimpleEscape } from '../../../../../local/simulators/archiver/answer';
import { javaDoubleToString } from '../../../../../local/simulators/archiver/java-double';

describe("Java's Double.toString, as the Archiver Appliance prints its doubles", () => {
  // Outputs of Double.toString on a JDK (19+; the same on older JDKs except where noted).
  test.for([
    [1, '1.0'],
    [0.001, '0.001'],
    [1e-4, '1.0E-4'],
    [1e7, '1.0E7'],
    [9999999, '9999999.0'],
    [1.4277e-8, '1.4277E-8'],
    [123456789, '1.23456789E8'],
    [9250, '9250.0'],
    [Number.NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [-0, '-0.0'],
    [0, '0.0'],
    [0.1, '0.1'],
    [-1.5, '-1.5'],
    [100, '100.0'],
    [123456.789, '123456.789'],
    [1234567, '1234567.0'],
    [12345678, '1.2345678E7'],
    [0.0009999, '9.999E-4'],
    [0.00999, '0.00999'],
    [1e21, '1.0E21'],
    [1e23, '1.0E23'],
    [Number.MAX_VALUE, '1.7976931348623157E308'],
    [2.2250738585072014e-308, '2.2250738585072014E-308'],
    // The one- or two-digit rule: Double.MIN_VALUE is 4.9E-324 (JS: 5e-324), 2 x MIN_VALUE 9.9E-324 on JDK 19+.
    [Number.MIN_VALUE, '4.9E-324'],
    [1e-323, '9.9E-324'],
  ] as const)('%s -> %s', ([value, text]) => {
    expect(javaDoubleToString(value)).toBe(text);
  });

  test('every text reads back as the same double', () => {
    for (const x of [Math.PI, 1 / 3, 2e-9, 6.02214076e23, 12.5, 1e-3 - 1e-19]) expect(Number(javaDoubleToString(x))).toBe(x);
  });
});

describe('getData.json as the appliance writes it', () => {
  const sample = (value: number | string | number[], secs = 1_700_000_000n) => ({ timeNs: secs * 1_000_000_000n + 5n, value, severity: 0, status: 0 });

  test('whole doubles keep their .0, small ones E notation; a waveform too', () => {
    const text = [...answerChunks('X:Y', { EGU: 'eV' }, [sample(9250), sample(1.4277e-8), sample([1, 0.5, 1e-5])])].join('');
    expect(text).toContain('"val": 9250.0,');
    expect(text).toContain('"val": 1.4277E-8,');
    expect(text).toContain('"val": [1.0,0.5,1.0E-5],');
  });

  test('fetchLatestMetadata: the first sample carries "fields", spaced as JSONResponse writes it', () => {
    const text = [...answerChunks('X:Y', {}, [sample(1), sample(2)], undefined, { DESC: 'a/b', EGU: 'mm' })].join('');
    const lines = text.split('\n');
    expect(lines[3]).toBe('{ "secs": 1700000000, "val": 1.0, "nanos": 5, "severity":0, "status":0, "fields": { "DESC": "a\\/b","EGU": "mm"} },');
    expect(lines[4]).not.toContain('fields');
    expect(JSON.parse(text)[0].data[0].fields).toEqual({ DESC: 'a/b', EGU: 'mm' });
  });

  test("strings are escaped as json-simple does", () => {
    expect(jsonSimpleEscape('a"b\\c/d\n\u0001\u2028')).toBe('a\\"b\\\\c\\/d\\n\\u0001\\u2028');
  });
});
