import { LocalPedestalFiles } from '../../lib/adapters/jungfrau-files/pedestal-files';
import type { PedestalRef } from '../../lib/core/detectors/ports';
import { computeDetectorPedestal } from '../../lib/core/detectors/pedestal-tasks';
import { lambdaApp } from '../../lib/runtime/lambda';

/** Pedestal workflow task: one detector's pedestal from the run's raw frames, copied where conversion finds it. */
export const handler = async (input: PedestalRef & { detector: string }) => {
  const app = lambdaApp();
  return computeDetectorPedestal(input, { ...app, computeFiles: new LocalPedestalFiles(app.config.dataRoot) });
};
