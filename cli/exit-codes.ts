/**
 * Exit codes scripts can test. Documented in the README ("The sfdaq command line"); never renumber.
 *
 * @example
 *   sfdaq status -p p12345 -n 7; case $? in 0) echo done;; 4) echo problems;; 6) echo still running;; esac
 */
export const EXIT = {
  /** Done: the request was accepted, the run is done, the answer printed. */
  ok: 0,
  /** The broker refused (`{"status": "failed"}`): the message says why; fix the request. */
  refused: 1,
  /** Bad command line or an input file that cannot be used; nothing was sent. */
  usage: 2,
  /** The broker or the pulse clock could not be reached, timed out, answered 5xx, or is not the broker: retry later. */
  unavailable: 3,
  /** The run finished with problems (a source failed or its check found problems). */
  problems: 4,
  /** The run failed: nothing usable was retrieved. */
  failed: 5,
  /** The run is not finished yet (status without --wait, or --wait-timeout passed). */
  notFinished: 6,
  /** A confirmation was not given (sfdaq close: the pgroup was not typed as asked); nothing was sent. */
  notConfirmed: 7,
  /** A bug in sfdaq itself. */
  internal: 70,
  /** Ctrl-C: stopped, pulses discarded, nothing sent. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for a run's state. */
export function exitForState(state: string): ExitCode {
  switch (state) {
    case 'done':
      return EXIT.ok;
    case 'done_with_problems':
      return EXIT.problems;
    case 'failed':
      return EXIT.failed;
    default:
      return EXIT.notFinished;
  }
}
