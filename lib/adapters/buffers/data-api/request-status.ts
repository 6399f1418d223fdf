/**
 * The answer of `GET <base>/api/1/requestStatus/<id>`:
 * `{"error_count", "warn_count", "channel_not_found", "errors"?}` (`errors`
 * left out when empty; an unknown id gives `errors: ["request-id not found"]`).
 * Errors raised after the body started, and unknown channels, are only visible here.
 */
import { BufferProtocolError } from '../../../core/errors';

export interface RequestStatus {
  errors: string[];
  warnCount: number;
  /**
   * Names when the server lists them; otherwise undefined and `notFoundCount`
   * says how many (today's server only counts them: *choice*, we accept both).
   */
  notFoundNames: string[] | undefined;
  notFoundCount: number;
}

function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    const msg = [o.message, o.msg, o.error].find((v) => typeof v === 'string');
    if (typeof msg === 'string') return msg;
  }
  return JSON.stringify(e);
}

/**
 * Parse the request-status JSON text.
 *
 * @example
 *   parseRequestStatus('{"error_count":0,"warn_count":0,"channel_not_found":1}', 'data')
 *   // { errors: [], warnCount: 0, notFoundNames: undefined, notFoundCount: 1 }
 */
export function parseRequestStatus(body: string, buffer: string): RequestStatus {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new BufferProtocolError(buffer, `${buffer} buffer request status is not JSON: ${body.slice(0, 200)}`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BufferProtocolError(buffer, `${buffer} buffer request status is not a JSON object: ${body.slice(0, 200)}`);
  }
  const s = json as Record<string, unknown>;
  const errors = Array.isArray(s.errors) ? s.errors.map(errorText) : [];
  const errorCount = typeof s.error_count === 'number' ? s.error_count : 0;
  if (errors.length === 0 && errorCount > 0) errors.push(`${errorCount} error(s) reported without details`);
  const nf = s.channel_not_found;
  const notFoundNames = Array.isArray(nf) ? nf.map(String) : undefined;
  const notFoundCount = notFoundNames ? notFoundNames.length : typeof nf === 'number' ? nf : 0;
  return { errors, warnCount: typeof s.warn_count === 'number' ? s.warn_count : 0, notFoundNames, notFoundCount };
}
