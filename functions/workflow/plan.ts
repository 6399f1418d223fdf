import type { WorkflowInput } from '../../lib/core/ports';
import { planSources } from '../../lib/core/plan';
import { loadRetrievalDelays } from '../../lib/runtime/config';
import { deps } from '../../lib/runtime/deps';

/** Workflow task: mark the run `retrieving` and list its branches (one per source). */
export const handler = async (input: WorkflowInput) => {
  const items = planSources(input, loadRetrievalDelays());
  await deps().store.putStatus({
    beamline: input.beamline, pgroup: input.pgroup, run_number: input.run_number, state: 'retrieving', updated: new Date().toISOString(),
    sources: items.map((i) => ({ source: i.source, kind: i.kind, file: i.file, state: 'pending' })),
  });
  return { ...input, items };
};
