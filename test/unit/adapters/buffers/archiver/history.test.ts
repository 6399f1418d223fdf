import { describe, expect, test } from 'vitest';
import { isHistoryExpired, notArchived, toHistory } from '../../../../../lib/adapters/buffers/archiver/history';
import type { PvSample } from '../../../../../lib/adapters/buffers/archiver/types';

const at = (t: bigint, value = Number(t)): PvSample => ({ timestampNs: t, value, severity: 0, status: 0 });

describe('toHistory', () => {
  test('keeps only the last sample before from; from and to are inclusive', () => {
    const h = toHistory('P', { meta: {}, samples: [at(5n), at(8n), at(10n), at(15n), at(20n), at(21n)] }, 10n, 20n);
    expect(h.samples.map((s) => s.timestampNs)).toEqual([8n, 10n, 15n, 20n, 21n]);
    expect(h.counts).toEqual({ before: 1, inRange: 3, after: 1, dropped: 0 });
  });

  test('drops samples not after the previous one and counts them', () => {
    const h = toHistory('P', { meta: {}, samples: [at(10n), at(10n), at(12n), at(11n), at(13n)] }, 10n, 20n);
    expect(h.samples.map((s) => s.timestampNs)).toEqual([10n, 12n, 13n]);
    expect(h.counts).toEqual({ before: 0, inRange: 3, after: 0, dropped: 2 });
  });

  test('a found PV without any sample has expired; an unknown PV has not', () => {
    expect(isHistoryExpired(toHistory('P', { meta: {}, samples: [] }, 0n, 1n))).toBe(true);
    expect(isHistoryExpired(toHistory('P', { meta: {}, samples: [at(0n)] }, 1n, 2n))).toBe(false);
    expect(isHistoryExpired(notArchived('P'))).toBe(false);
  });
});
