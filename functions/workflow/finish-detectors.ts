import type { ItemResult } from '../../lib/core/outcome';
import type { RunRef } from '../../lib/core/ports';
import { lambdaApp } from '../../lib/runtime/lambda';
import { finishTask } from '../../lib/retrieval/workflow-tasks';

/** Workflow task: each detector's file assembled from its parts (or failed naming the part), one result per source. */
export const handler = async (input: RunRef & { results: ItemResult[] }) => finishTask(input, lambdaApp());
