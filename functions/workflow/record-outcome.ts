import { recordOutcome, type OutcomeInput } from '../../lib/core/outcome';
import { deps } from '../../lib/runtime/deps';

/** Workflow task: record the run's final status (done | done_with_problems | failed) from the branches' results. */
export const handler = async (input: OutcomeInput) => {
  const status = await recordOutcome(input, deps().store, () => new Date());
  return { beamline: status.beamline, pgroup: status.pgroup, run_number: status.run_number, state: status.state };
};
