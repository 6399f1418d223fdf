import type { RunRef } from '../../lib/core/ports';
import { lambdaApp } from '../../lib/runtime/lambda';
import { planTask } from '../../lib/retrieval/workflow-tasks';

/** Workflow task: mark the run `retrieving` and list its items (one per source). */
export const handler = async (input: RunRef) => planTask(input, lambdaApp());
