import type { ItemResult } from '../../lib/core/outcome';
import type { RunRef } from '../../lib/core/ports';
import { lambdaApp } from '../../lib/runtime/lambda';
import { checkTask } from '../../lib/retrieval/workflow-tasks';

/** Workflow task: `<output>.err` for failed sources, then every written file checked against the request. */
export const handler = async (input: RunRef & { results: ItemResult[] }) => checkTask(input, lambdaApp());
