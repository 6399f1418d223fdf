import { hasSources, requestFromFiles, type RetrieveRequest } from '../../lib/client';
import { ALLOWED_RATE_MULTIPLICATORS } from '../../lib/schemas/retrieve-request';
import { UsageError } from '../io';
import { integerOption, pgroupOption, stringOption, type Values } from '../options';

/**
 * The request from the command line and the daq_client.py files, with pulse
 * ids to be filled in. Every file is read now, before any waiting, so a typo
 * in a file name fails in a second, not after the pulses were taken.
 * rate_multiplicator is always sent (1 by default), as daq_client.py did.
 */
export async function requestFromOptions(values: Values, pulses: { start: number; stop: number }): Promise<RetrieveRequest> {
  const rate = integerOption(values, 'rate') ?? 1;
  if (!(ALLOWED_RATE_MULTIPLICATORS as readonly number[]).includes(rate)) {
    throw new UsageError(`--rate must be one of ${ALLOWED_RATE_MULTIPLICATORS.join(', ')} (1 = 100 Hz), not ${rate}`);
  }
  const directory = stringOption(values, 'directory');
  const request = await requestFromFiles(
    // daq_client.py's key order, so the bookkeeping file reads the same whichever client wrote it.
    { pgroup: pgroupOption(values), ...(directory !== undefined ? { directory_name: directory } : {}), start_pulseid: pulses.start, stop_pulseid: pulses.stop, rate_multiplicator: rate },
    {
      ...(stringOption(values, 'channels') !== undefined ? { channelsFile: stringOption(values, 'channels') } : {}),
      ...(stringOption(values, 'epics') !== undefined ? { pvFile: stringOption(values, 'epics') } : {}),
      ...(stringOption(values, 'detectors') !== undefined ? { detectorsFile: stringOption(values, 'detectors') } : {}),
      ...(stringOption(values, 'scan-step') !== undefined ? { scanStepFile: stringOption(values, 'scan-step') } : {}),
    },
  );
  if (!hasSources(request)) {
    throw new UsageError('nothing to retrieve: name channels (-c FILE), PVs (-e FILE) or detectors (-f FILE), and make sure the files are not empty');
  }
  return request;
}
