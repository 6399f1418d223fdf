import type { PedestalRef } from '../../lib/core/detectors/ports';
import { pedestalRunProgress } from '../../lib/core/detectors/pedestal-tasks';
import { lambdaApp } from '../../lib/runtime/lambda';

/** Pedestal workflow task: where the pedestal run's retrieval is (wait | compute | give_up). */
export const handler = async (input: PedestalRef) => pedestalRunProgress(input, lambdaApp());
