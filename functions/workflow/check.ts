import type { WorkflowInput } from '../../lib/core/ports';
import type { SourceResult } from '../../lib/core/run-status';
import { checkRun } from '../../lib/retrieval/check-files';
import { writeErrorFiles } from '../../lib/retrieval/error-file';
import { deps } from '../../lib/runtime/deps';

/**
 * Workflow task: mark failed sources with `<output>.err` (as the original did),
 * then check every written file against the request; findings go to the logs and the results.
 */
export const handler = async (input: WorkflowInput & { results: SourceResult[]; items?: unknown }) => {
  const { items: _items, ...rest } = input;
  const { dataRoot } = deps().config;
  await writeErrorFiles(dataRoot, rest, input.results);
  return { ...rest, results: await checkRun(rest, input.results, dataRoot) };
};
