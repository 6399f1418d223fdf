/**
 * What can go wrong when talking to the broker, as three kinds a caller
 * handles differently: the broker said no (fix the request), the broker could
 * not be reached or was unavailable (retry later), or something answered that
 * is not the broker's API (wrong address, a proxy's error page).
 */

/** The broker answered `{status: "failed", message}`: the request was refused; `field` names the part at fault. */
export class BrokerRefused extends Error {
  override readonly name: string = 'BrokerRefused';
  constructor(
    message: string,
    readonly field?: string,
    /** Set when a run number was allocated but the run could not be started. */
    readonly runNumber?: number,
  ) {
    super(message);
  }
}

/** The broker could not be reached, did not answer in time, or answered 5xx: worth retrying. */
export class BrokerUnavailable extends Error {
  override readonly name = 'BrokerUnavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Something answered that does not speak the broker's API (not JSON, unknown path, no `status`). */
export class BrokerProtocolError extends Error {
  override readonly name = 'BrokerProtocolError';
  constructor(message: string) {
    super(message);
  }
}

/**
 * The run number exists but no run is behind it: it was taken by
 * advance_run_number (or by a request stopped before its bookkeeping).
 * A refusal (exit code 1): there is nothing to show or wait for.
 */
export class RunWithoutRetrieval extends BrokerRefused {
  override readonly name: string = 'RunWithoutRetrieval';
  constructor(message: string, runNumber: number) {
    super(message, 'run_number', runNumber);
  }
}
