import type { RetrieveRequestBody } from '../schemas/retrieve-request';
import { acceptRetrieve, type AcceptDeps, type Accepted } from './accept';
import { RequestRefused } from './errors';
import { apiKeyHash, type FacilityConfig } from './facility';
import { acceptWithKey, type IdempotentDeps } from './idempotency';

/**
 * Scan-step events: when a scan step completes, the facility's scan software
 * puts an event on EventBridge whose `detail` is the very body of POST
 * /retrieve_from_buffers. The event is accepted by the same path as the HTTP
 * request (same validation, same bookkeeping); only the caller's beamline is
 * found differently.
 *
 * Which beamline an event acts for: the event's `source`, looked up in the
 * facility config. Each beamline lists the sources its scan software emits:
 *
 *   { "beamlines": { "alvra": { "networks": [...], "eventSources": ["ch.psi.sf.alvra.scan"] } } }
 *
 * A source listed by no beamline is refused, so an event never reaches a
 * pgroup without a configured mapping. EventBridge lets any principal allowed
 * to PutEvents on the bus write any `source`, so the mapping is only as good
 * as the bus's permissions: the deployment grants each beamline's scan
 * software PutEvents with the IAM condition `events:source` equal to its own
 * sources (the local stack checks the same thing; README, "Scan-step events").
 */
export const SCAN_STEP_DETAIL_TYPE = 'Scan Step Completed';

/** The part of an EventBridge event the broker reads. */
export interface ScanEvent {
  id?: string;
  source: string;
  'detail-type'?: string;
  account?: string;
  time?: string;
  detail: unknown;
}

/**
 * The beamline whose scan software emits `source`; refuses an unknown source
 * and a source two beamlines claim (a config mistake must not pick one).
 *
 * @example beamlineOfEventSource({ beamlines: { alvra: { networks: [], eventSources: ['ch.psi.sf.alvra.scan'] } } }, 'ch.psi.sf.alvra.scan') // 'alvra'
 */
export function beamlineOfEventSource(facility: FacilityConfig, source: string): string {
  const owners = Object.entries(facility.beamlines)
    .filter(([, config]) => config.eventSources?.includes(source) === true)
    .map(([name]) => name);
  if (owners.length === 0) throw new RequestRefused('source', `event source ${JSON.stringify(source)} belongs to no beamline (the facility config lists each beamline's eventSources)`);
  if (owners.length > 1) throw new RequestRefused('source', `event source ${JSON.stringify(source)} is claimed by several beamlines (${owners.join(', ')}): fix the facility config`);
  return owners[0]!;
}

/**
 * The beamline an event acts for, and the request it carries: `detail`
 * without an optional `beamline` key, which if present must agree with the
 * source's beamline (it is a check, never a way to choose).
 */
export function scanEventRequest(facility: FacilityConfig, event: ScanEvent): { beamline: string; body: unknown } {
  if (typeof event?.source !== 'string' || event.source === '') throw new RequestRefused('source', 'the event has no source');
  const beamline = beamlineOfEventSource(facility, event.source);
  const detail = event.detail;
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    throw new RequestRefused('detail', 'the event detail must be the retrieve request (a JSON object)');
  }
  const { beamline: named, ...body } = detail as Record<string, unknown>;
  if (named !== undefined && named !== beamline) {
    throw new RequestRefused('beamline', `the event's source ${event.source} belongs to beamline ${beamline}, but its detail names beamline ${JSON.stringify(named)}`);
  }
  return { beamline, body };
}

/** The key of the one-beamline facility view below; never configured anywhere, never leaves this module. */
const EVENT_CALLER_KEY = 'scan-event';

/**
 * Accept a validated request for a beamline already known (from the event's
 * source), through acceptRetrieve itself: it is given a view of the facility
 * holding only that beamline, reachable by a key only this function presents.
 * So every check and every write is the HTTP path's, and no other beamline's
 * pgroup is reachable.
 *
 * @example const { runNumber } = await acceptForBeamline(validateRetrieveBody(body), 'alvra', deps);
 */
export function acceptForBeamline(body: RetrieveRequestBody, beamline: string, deps: AcceptDeps): Promise<Accepted>;
/**
 * With `eventId`: EventBridge delivers at least once, so the event's id is the
 * request's Idempotency-Key and a second delivery gets the first one's run.
 */
export function acceptForBeamline(body: RetrieveRequestBody, beamline: string, deps: IdempotentDeps, eventId: string): Promise<Accepted>;
export function acceptForBeamline(body: RetrieveRequestBody, beamline: string, deps: AcceptDeps | IdempotentDeps, eventId?: string): Promise<Accepted> {
  const config = deps.facility.beamlines[beamline];
  if (!config) throw new RequestRefused(undefined, `beamline ${beamline} is not in the facility config`);
  const view: FacilityConfig = { beamlines: { [beamline]: { networks: [], apiKeySha256: [apiKeyHash(EVENT_CALLER_KEY)], ...(config.detectors ? { detectors: config.detectors } : {}) } } };
  const caller = { sourceIp: '', apiKey: EVENT_CALLER_KEY };
  if (eventId !== undefined) return acceptWithKey(body, caller, `event:${eventId}`, { ...(deps as IdempotentDeps), facility: view });
  return acceptRetrieve(body, caller, { ...deps, facility: view });
}
