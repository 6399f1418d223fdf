import { describe, expect, test } from 'vitest';
import { formatArchiverDate, getDataUrl } from '../../../../../lib/adapters/buffers/archiver/url';

describe('URL', () => {
  test('from rounds down and to rounds up to the millisecond', () => {
    const t = BigInt(Date.UTC(2024, 0, 1, 10)) * 1_000_000n;
    expect(formatArchiverDate(t, 'down')).toBe('2024-01-01T10:00:00.000Z');
    expect(formatArchiverDate(t, 'up')).toBe('2024-01-01T10:00:00.000Z');
    expect(formatArchiverDate(t + 1n, 'down')).toBe('2024-01-01T10:00:00.000Z');
    expect(formatArchiverDate(t + 1n, 'up')).toBe('2024-01-01T10:00:00.001Z');
  });

  test('PV names and times are URL-encoded; a trailing slash on the base is fine', () => {
    const t = BigInt(Date.UTC(2024, 0, 1, 10)) * 1_000_000n;
    expect(getDataUrl('http://a:1/', 'X-Y:Z_1.RBV', t, t + 1_000_000_000n)).toBe(
      'http://a:1/retrieval/data/getData.json?pv=X-Y%3AZ_1.RBV&from=2024-01-01T10%3A00%3A00.000Z&to=2024-01-01T10%3A00%3A01.000Z',
    );
  });
});
