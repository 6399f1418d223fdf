/**
 * The appliance's retrieval URL. Times are ISO-8601 UTC with milliseconds
 * (`2024-01-01T10:00:00.000Z`), the form the appliance's own docs use; every
 * parameter is URL-encoded (PV names hold `:` and `.`).
 */

const NS_PER_MS = 1_000_000n;

/**
 * Format ns since 1970 as `YYYY-MM-DDTHH:MM:SS.mmmZ`, rounding down or up to
 * the millisecond. `from` rounds down and `to` rounds up, so the answer covers
 * the asked nanosecond range; the client trims the extra sub-millisecond edges.
 *
 * @example
 *   formatArchiverDate(1704103200000000001n, 'down') // '2024-01-01T10:00:00.000Z'
 *   formatArchiverDate(1704103200000000001n, 'up')   // '2024-01-01T10:00:00.001Z'
 */
export function formatArchiverDate(timestampNs: bigint, rounding: 'down' | 'up'): string {
  let ms = timestampNs / NS_PER_MS;
  const rest = timestampNs % NS_PER_MS;
  // BigInt division truncates towards zero; make 'down' a floor for times before 1970 too.
  if (rest < 0n) ms -= 1n;
  if (rounding === 'up' && rest > 0n) ms += 1n;
  return new Date(Number(ms)).toISOString();
}

/**
 * The getData.json URL for one PV over [fromNs, toNs].
 *
 * @example
 *   getDataUrl('http://archiver:17665', 'SARFE10-OPSH044:PRESSURE', from, to)
 *   // http://archiver:17665/retrieval/data/getData.json?pv=SARFE10-OPSH044%3APRESSURE&from=2024-01-01T10%3A00%3A00.000Z&to=...
 */
export function getDataUrl(baseUrl: string, pv: string, fromNs: bigint, toNs: bigint): string {
  const params = new URLSearchParams({
    pv,
    from: formatArchiverDate(fromNs, 'down'),
    to: formatArchiverDate(toNs, 'up'),
  });
  return `${baseUrl.replace(/\/+$/, '')}/retrieval/data/getData.json?${params.toString()}`;
}
