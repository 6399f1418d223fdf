import type { OutcomeInput } from '../../lib/core/outcome';
import { lambdaApp } from '../../lib/runtime/lambda';
import { outcomeTask } from '../../lib/retrieval/workflow-tasks';

/** Workflow task: record the run's final status (done | done_with_problems | failed) from the items' results. */
export const handler = async (input: OutcomeInput) => outcomeTask(input, lambdaApp());
