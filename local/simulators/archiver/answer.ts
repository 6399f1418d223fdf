import type { CatalogueSample, SimValue } from './catalogue';

/**
 * The getData.json body as the appliance writes it (epicsarchiverap's
 * JSONResponse): `[ ` + one `{ "meta": {...},\n"data": [ ` + samples joined by
 * `,\n` + `] }` + ` ]`, each sample `{ "secs": S, "val": V, "nanos": N,
 * "severity":0, "status":0 }`. Non-finite doubles are printed bare (`NaN`,
 * `Infinity`), as Java's Double.toString does: invalid JSON that clients must
 * tolerate. Yields text in pieces of about `chunkChars` so a 60,001-sample
 * answer streams without being built whole.
 *
 * @example
 *   for (const piece of answerChunks('X', { EGU: 'mm' }, samples)) res.write(piece);
 */
export function* answerChunks(
  pv: string,
  meta: Record<string, string>,
  samples: Iterable<CatalogueSample>,
  chunkChars = 64 * 1024,
): Generator<string> {
  const metaText = Object.entries({ name: pv, ...meta })
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)} `)
    .join(', ');
  let buffer = `[ \n{ "meta": { ${metaText}},\n"data": [ \n`;
  let first = true;
  for (const s of samples) {
    buffer += `${first ? '' : ',\n'}${sampleJson(s)}`;
    first = false;
    if (buffer.length >= chunkChars) {
      yield buffer;
      buffer = '';
    }
  }
  yield `${buffer}] }\n ]\n`;
}

function sampleJson(s: CatalogueSample): string {
  const secs = s.timeNs / 1_000_000_000n;
  const nanos = s.timeNs % 1_000_000_000n;
  return `{ "secs": ${secs}, "val": ${valueJson(s.value)}, "nanos": ${nanos}, "severity":${s.severity}, "status":${s.status} }`;
}

function valueJson(value: SimValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${(value as (number | string)[]).map((v) => valueJson(v)).join(',')}]`;
  // JSON.stringify would print NaN as null; the appliance prints Java's "NaN" / "Infinity".
  return Number.isFinite(value) ? JSON.stringify(value) : String(value);
}

/**
 * Tomcat's HTML error report, the body of the appliance's `resp.sendError(status, message)`.
 *
 * @example
 *   tomcatErrorPage(404, 'Unable to find typeinfo for pv NOPE:PV')
 */
export function tomcatErrorPage(status: number, message: string): string {
  const title = `HTTP Status ${status} – ${REASONS[status] ?? 'Error'}`;
  return (
    `<!doctype html><html lang="en"><head><title>${title}</title></head><body>` +
    `<h1>${title}</h1><hr class="line" /><p><b>Type</b> Status Report</p>` +
    `<p><b>Message</b> ${escapeHtml(message)}</p><hr class="line" /><h3>Apache Tomcat</h3></body></html>`
  );
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
