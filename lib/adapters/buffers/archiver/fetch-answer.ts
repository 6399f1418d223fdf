import { BufferProtocolError, BufferUnavailable } from '../../../core/errors';

/** What the appliance answers (in Tomcat's error page) for a PV it does not archive. */
const NOT_ARCHIVED = /Unable to find typeinfo for pv/i;

/**
 * One GET of a getData.json URL, HTTP outcomes turned into domain errors:
 * 200 gives the body; 404 with the appliance's "Unable to find typeinfo for
 * pv X" gives undefined (PV not archived); 5xx, refused or lost connections
 * and timeouts are BufferUnavailable (transient); any other status is
 * BufferProtocolError (400 means we built a bad request, another 404 a wrong
 * base URL: retrying cannot help). An abort by `signal` rethrows its reason.
 *
 * @example
 *   const body = await fetchAnswer(getDataUrl(base, pv, fromNs, toNs), pv, 60_000);
 *   if (body === undefined) return notArchived(pv);
 */
export async function fetchAnswer(url: string, pv: string, timeoutMs: number, signal?: AbortSignal): Promise<string | undefined> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headers: { accept: 'application/json' },
    });
    // The timeout covers the body too: a 60,001-sample answer is several MB.
    const body = await response.text();
    if (response.status === 200) return body;
    if (response.status === 404 && NOT_ARCHIVED.test(body)) return undefined;
    const reason = `archiver answered HTTP ${response.status} for ${pv}: ${summary(body)}`;
    if (response.status >= 500) throw new BufferUnavailable('archiver', reason);
    throw new BufferProtocolError('archiver', reason);
  } catch (error) {
    if (error instanceof BufferUnavailable || error instanceof BufferProtocolError) throw error;
    if (signal?.aborted) throw signal.reason;
    if (timeout.aborted) {
      throw new BufferUnavailable('archiver', `archiver did not answer for ${pv} within ${timeoutMs} ms`, { cause: error });
    }
    // fetch reports refused connections and sockets lost mid-body as TypeError.
    throw new BufferUnavailable('archiver', `archiver unreachable for ${pv}: ${describe(error)}`, { cause: error });
  }
}

/** The readable part of an error page: tags stripped, whitespace squeezed, cut short. */
function summary(body: string): string {
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  if (!text) return '(empty body)';
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { message?: string; code?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : String(e.message ?? error);
}
