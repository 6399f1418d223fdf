import type { PlannedSource } from '../../lib/core/plan';
import { retrieveSource } from '../../lib/retrieval/retrieve-source';
import { loadBufferEndpoints } from '../../lib/runtime/config';
import { deps } from '../../lib/runtime/deps';

/**
 * Workflow task: retrieve one source into its file. Permanent problems come
 * back as a `failed` result; transient ones (BufferUnavailable) are thrown so
 * the state machine's Retry runs the task again.
 */
export const handler = async (item: PlannedSource) => retrieveSource(item, loadBufferEndpoints(), deps().config.dataRoot);
