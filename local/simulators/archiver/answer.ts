import type { CatalogueSample, SimValue } from './catalogue';
import { javaDoubleToString } from './java-double';

/**
 * The getData.json body as the appliance writes it (epicsarchiverap's
 * JSONResponse): `[ ` + one `{ "meta": {...},\n"data": [ ` + samples joined by
 * `,\n` + `] }` + ` ]`, each sample `{ "secs": S, "val": V, "nanos": N,
 * "severity":0, "status":0 }`. Every number is a double printed by Java's
 * Double.toString (`9250.0`, `1.4277E-8`; non-finite ones bare, `NaN`,
 * `Infinity`: invalid JSON that clients must tolerate); strings are escaped
 * as json-simple does (`/` as `\/`). With `firstFields` (the appliance's
 * answer to `fetchLatestMetadata=true`) the first sample also carries
 * `, "fields": { "K": "v","K2": "v2"}`, exactly JSONResponse's spacing.
 * Yields text in pieces of about `chunkChars` so a 60,001-sample answer
 * streams without being built whole.
 *
 * @example
 *   for (const piece of answerChunks('X', { EGU: 'mm' }, samples)) res.write(piece);
 */
export function* answerChunks(
  pv: string,
  meta: Record<string, string>,
  samples: Iterable<CatalogueSample>,
  chunkChars = 64 * 1024,
  firstFields?: Record<string, string>,
): Generator<string> {
  const metaText = Object.entries({ name: pv, ...meta })
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)} `)
    .join(', ');
  let buffer = `[ \n{ "meta": { ${metaText}},\n"data": [ \n`;
  let first = true;
  for (const s of samples) {
    buffer += `${first ? '' : ',\n'}${sampleJson(s, first ? firstFields : undefined)}`;
    first = false;
    if (buffer.length >= chunkChars) {
      yield buffer;
      buffer = '';
    }
  }
  yield `${buffer}] }\n ]\n`;
}

function sampleJson(s: CatalogueSample, fields?: Record<string, string>): string {
  const secs = s.timeNs / 1_000_000_000n;
  const nanos = s.timeNs % 1_000_000_000n;
  return `{ "secs": ${secs}, "val": ${valueJson(s.value)}, "nanos": ${nanos}, "severity":${s.severity}, "status":${s.status}${fieldsJson(fields)} }`;
}

/** JSONResponse.consumeMetadata: `, "fields": { ` + `"K": "v"` joined by `,` + `}`. */
function fieldsJson(fields?: Record<string, string>): string {
  if (!fields || Object.keys(fields).length === 0) return '';
  return `, "fields": { ${Object.entries(fields).map(([k, v]) => `"${k}": "${jsonSimpleEscape(v)}"`).join(',')}}`;
}

function valueJson(value: SimValue): string {
  if (typeof value === 'string') return `"${jsonSimpleEscape(value)}"`;
  if (Array.isArray(value)) return `[${(value as (number | string)[]).map((v) => valueJson(v)).join(',')}]`;
  // Every archived number here is a double: Java prints 9250.0, 1.4277E-8, NaN.
  return javaDoubleToString(value);
}

/**
 * json-simple's JSONValue.escape: `"`, `\\`, `/` and the short escapes, other
 * control characters (and U+007F..U+009F, U+2000..U+20FF) as `\uXXXX`.
 */
export function jsonSimpleEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '/': out += '\\/'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default:
        out += c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0x2000 && c <= 0x20ff) ? `\\u${c.toString(16).toUpperCase().padStart(4, '0')}` : ch;
    }
  }
  return out;
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
