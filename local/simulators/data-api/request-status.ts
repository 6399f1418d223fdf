/**
 * Request ids and the request-status board of the simulated Data API.
 *
 * Ids look like the facility's: 8 hex digits followed by a 2-digit node
 * number (*choice*: no separator). The board is bounded: the oldest entries
 * are forgotten, which then answer "request-id not found" like an unknown id.
 */
import { randomBytes } from 'node:crypto';

export interface RequestStatusEntry {
  errors: string[];
  warnCount: number;
  channelNotFound: number;
}

export class RequestStatusBoard {
  private readonly entries = new Map<string, RequestStatusEntry>();

  constructor(private readonly nodeNumber = 0, private readonly capacity = 10_000) {}

  /** Open an entry for a new request and return its id. */
  open(): { id: string; entry: RequestStatusEntry } {
    const id = `${randomBytes(4).toString('hex')}${String(this.nodeNumber % 100).padStart(2, '0')}`;
    const entry: RequestStatusEntry = { errors: [], warnCount: 0, channelNotFound: 0 };
    this.entries.set(id, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return { id, entry };
  }

  /** The JSON the requestStatus endpoint answers: `errors` only when there are some. */
  json(id: string): Record<string, unknown> {
    const e = this.entries.get(id);
    if (!e) return { error_count: 1, warn_count: 0, channel_not_found: 0, errors: ['request-id not found'] };
    const body: Record<string, unknown> = { error_count: e.errors.length, warn_count: e.warnCount, channel_not_found: e.channelNotFound };
    if (e.errors.length > 0) body.errors = [...e.errors];
    return body;
  }
}
