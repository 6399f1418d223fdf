import { describe, expect, test } from 'vitest';
import { RequestRefused } from '../../../lib/core/errors';
import { directoryParts, runLabel, scanFileName } from '../../../lib/core/paths';

describe('directory_name stays inside raw/', () => {
  test.for([
    ['../other', /may not contain "\.\."/],
    ['a/../../b', /may not contain "\.\."/],
    ['/etc', /not an absolute path/],
    ['a\u0000b', /control characters/],
    ['a\\..\\b', /backslash/],
    ['.daq', /bookkeeping/],
    ['./scan_info/x', /bookkeeping/],
    [Array.from({ length: 40 }, () => 'd').join('/'), /nested too deeply/],
  ] as const)('%j is refused', ([name, message]) => {
    expect(() => directoryParts(name)).toThrow(RequestRefused);
    expect(() => directoryParts(name)).toThrow(message);
  });

  test('plain nested names are split into parts; . and empty parts vanish', () => {
    expect(directoryParts('covid/detector_test2')).toEqual(['covid', 'detector_test2']);
    expect(directoryParts('./a//b/')).toEqual(['a', 'b']);
    expect(directoryParts(undefined)).toEqual([]);
    expect(directoryParts('ünïcode sample')).toEqual(['ünïcode sample']);
  });

  test('run labels have six digits', () => {
    expect(runLabel(1)).toBe('run_000001');
    expect(runLabel(123456)).toBe('run_123456');
  });

  test('scan names must be plain file names', () => {
    expect(scanFileName('scan_test')).toBe('scan_test.json');
    for (const bad of ['../x', 'a/b', '.hidden', 'a\u0000']) expect(() => scanFileName(bad)).toThrow(RequestRefused);
  });
});
