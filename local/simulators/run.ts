import '../../lib/runtime/polyfills';
import { resolve } from 'node:path';
import { FacilityClock } from '../../lib/core/clock';
import { clockFromEnv } from '../../lib/runtime/config';
import { startArchiverSimulator } from './archiver';
import { startDataApiSimulator } from './data-api';
import { DetectorBufferSimulator } from './detector';

/**
 * One simulator alone, for pointing curl at it:
 *   npm run sim:data      Data API 3 data buffer   (PORT, default 8371)
 *   npm run sim:image     Data API 3 image buffer  (PORT, default 8372)
 *   npm run sim:archiver  Archiver Appliance       (PORT, default 17668)
 *   npm run sim:detector  detector buffer files    (SFDAQ_DETECTOR_BUFFER_ROOT, default ./.local-state/detector_buffer;
 *                         SFDAQ_DETECTORS, default JF01T03V01,JF07T01V01)
 */
const which = process.argv[2];
const clock = new FacilityClock(clockFromEnv());
const port = (fallback: number) => Number(process.env.PORT ?? fallback);
const retentionPulses = Number(process.env.SFDAQ_RETENTION_PULSES ?? 36_000);
const host = process.env.HOST ?? '127.0.0.1';

let stop: () => Promise<void> | void;
switch (which) {
  case 'data':
  case 'image': {
    const sim = await startDataApiSimulator({ host, port: port(which === 'data' ? 8371 : 8372), backend: which === 'data' ? 'sf-databuffer' : 'sf-imagebuffer', clock, retentionPulses });
    console.log(`${which} buffer (Data API 3) at ${sim.url}: POST ${sim.url}/api/1/query, GET ${sim.url}/api/4/map/pulse/${which === 'data' ? 'sf-databuffer' : 'sf-imagebuffer'}/${clock.currentPulseId()}`);
    stop = sim.close;
    break;
  }
  case 'archiver': {
    const sim = await startArchiverSimulator({ host, port: port(17668), clock, retentionMs: retentionPulses * 10 });
    console.log(`archiver at ${sim.url}: GET ${sim.url}/retrieval/data/getData.json?pv=SARFE10-OPSH044:PRESSURE&from=...&to=...`);
    stop = sim.close;
    break;
  }
  case 'detector': {
    const root = resolve(process.env.SFDAQ_DETECTOR_BUFFER_ROOT ?? '.local-state/detector_buffer');
    const detectors = (process.env.SFDAQ_DETECTORS ?? 'JF01T03V01,JF07T01V01').split(',');
    const sim = new DetectorBufferSimulator({ root, detectors, clock, retentionPulses, pixels: 'sparse' });
    sim.start();
    console.log(`detector buffer writing ${detectors.join(', ')} under ${root}`);
    stop = () => sim.stop();
    break;
  }
  default:
    console.error('usage: run.ts data|image|archiver|detector');
    process.exit(2);
}
process.on('SIGINT', () => void Promise.resolve(stop()).then(() => process.exit(0)));
