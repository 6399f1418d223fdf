import type { TaskError } from '../../lib/core/failure-reason';
import type { WorkItem } from '../../lib/core/plan';
import { lambdaApp } from '../../lib/runtime/lambda';
import { detectorPartFailedTask } from '../../lib/retrieval/workflow-tasks';

/** Workflow task: record why a detector part failed for good (the Map's result stays a few bytes). */
export const handler = async (input: WorkItem & { error?: TaskError }) => detectorPartFailedTask(input, lambdaApp());
