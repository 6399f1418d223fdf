import { recordPedestal, type RecordInput } from '../../lib/core/detectors/pedestal-tasks';
import { lambdaApp } from '../../lib/runtime/lambda';

/** Pedestal workflow task: the pedestal's outcome (done | failed); answers a small summary. */
export const handler = async (input: RecordInput) => {
  const status = await recordPedestal(input, lambdaApp());
  return { state: status.state, ...(status.reason ? { reason: status.reason } : {}) };
};
