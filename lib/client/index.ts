/**
 * The broker's typed client: what the `sfdaq` CLI is built on, usable from
 * any TypeScript code (scan software, notebooks run with tsx, tests).
 *
 * @example
 *   import { BrokerClient, followRun, requestFromFiles } from './lib/client';
 *   const broker = new BrokerClient({ broker: process.env.SFDAQ_BROKER ?? 'http://localhost:10002' });
 *   const request = await requestFromFiles({ pgroup: 'p12345', start_pulseid: 1000, stop_pulseid: 2000 }, { channelsFile: 'channel_list' });
 *   const { run_number } = await broker.retrieve(request);
 *   const run = await followRun(broker, 'p12345', run_number);   // final status: done | done_with_problems | failed
 */
export { BrokerClient, type BrokerClientOptions } from './broker-client';
export { BrokerProtocolError, BrokerRefused, BrokerUnavailable, RunWithoutRetrieval } from './errors';
export { HttpPulseClock, ModelPulseClock, pulseClock, type PulseClock } from './pulse-clock';
export { hasSources, InputFileError, parseNameList, readNameFile, requestFromFiles, splitChannels, type RequestBase, type RequestFiles } from './request-files';
export { followRun, waitForPulses, WaitTimeout, type PulseWait } from './wait';
export { followPedestal, PedestalWaitTimeout } from './pedestal';
export type * from './types';
