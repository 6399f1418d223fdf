import type { WorkItem } from '../../lib/core/plan';
import { lambdaApp } from '../../lib/runtime/lambda';
import { detectorPartTask } from '../../lib/retrieval/workflow-tasks';

/**
 * Workflow task: one part (a pulse range, all modules) of a detector, written
 * into the run's file or its part file. Transient buffer faults are thrown for
 * the state machine's Retry, which also reruns this part alone when its worker
 * is killed or times out.
 */
export const handler = async (input: WorkItem) => detectorPartTask(input, lambdaApp());
