import type { WorkflowInput } from '../../lib/core/ports';
import { recordOutcome } from '../../lib/core/outcome';
import { deps } from '../../lib/runtime/deps';

/** Workflow task: record the run's final status from the branches' results. */
export const handler = async (input: WorkflowInput & { results?: unknown[] }) => {
  const status = await recordOutcome(input, deps().store, () => new Date());
  return { ...input, state: status.state };
};
