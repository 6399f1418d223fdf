import type { EventBridgeEvent } from 'aws-lambda';
import { RequestRefused, RunNotStarted } from '../lib/core/errors';
import { acceptForBeamline, scanEventRequest } from '../lib/core/scan-event';
import { validateRetrieveBody } from '../lib/schemas/validate';
import { lambdaApp } from '../lib/runtime/lambda';
import { log } from '../lib/runtime/logger';

/**
 * EventBridge "Scan Step Completed" -> the accept path of POST
 * /retrieve_from_buffers (lib/core/scan-event.ts says how the beamline is
 * found). Answers like the HTTP endpoint; EventBridge ignores the answer, the
 * local event bus shows it.
 *
 * Refusals are answered, not thrown: retrying would refuse again. Other
 * errors are thrown so Lambda retries the invocation. The event's id is the
 * request's Idempotency-Key, so neither a Lambda retry nor EventBridge's
 * at-least-once delivery can number the step twice.
 */
export const handler = async (event: EventBridgeEvent<string, unknown>) => {
  const d = lambdaApp();
  const about = { event_id: event.id, source: event.source };
  try {
    const { beamline, body } = scanEventRequest(d.facility, event);
    const accepted = await acceptForBeamline(validateRetrieveBody(body), beamline, d, event.id);
    log.info('scan event accepted', { ...about, beamline, run_number: accepted.runNumber });
    return { status: 'ok', message: String(accepted.runNumber), run_number: accepted.runNumber, files: Object.values(accepted.files) };
  } catch (error) {
    if (error instanceof RequestRefused) {
      log.warn('scan event refused', { ...about, refusal: error.message, field: error.field });
      return { status: 'failed', message: error.message, ...(error.field ? { field: error.field } : {}) };
    }
    if (error instanceof RunNotStarted) {
      log.error('scan event numbered but not started', { ...about, reason: error.message, run_number: error.runNumber });
      return { status: 'failed', message: error.message, run_number: error.runNumber };
    }
    throw error;
  }
};
