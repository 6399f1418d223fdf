import type { WorkflowInput } from '../../lib/core/ports';
import type { SourceResult } from '../../lib/core/run-status';
import { checkRun } from '../../lib/retrieval/check-files';
import { deps } from '../../lib/runtime/deps';

/** Workflow task: check every written file against the request; findings go to the logs and the results. */
export const handler = async (input: WorkflowInput & { results: SourceResult[]; items?: unknown }) => {
  const { items: _items, ...rest } = input;
  return { ...rest, results: await checkRun(rest, input.results, deps().config.dataRoot) };
};
