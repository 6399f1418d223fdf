import type { WorkItem } from '../../lib/core/plan';
import { lambdaApp } from '../../lib/runtime/lambda';
import { retrieveTask } from '../../lib/retrieval/workflow-tasks';

/**
 * Workflow task: retrieve one item of a run into its file. Permanent problems
 * come back as a `failed` result; transient ones (BufferUnavailable) are
 * thrown so the state machine's Retry runs the task again.
 */
export const handler = async (input: WorkItem) => retrieveTask(input, lambdaApp());
