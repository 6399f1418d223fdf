/**
 * The Data API 3 simulator (data buffer and image buffer) and its catalogue.
 *
 * @example
 *   import { startDataApiSimulator } from './data-api';
 *   const sim = await startDataApiSimulator({ port: 8081, backend: 'sf-databuffer', clock, retentionPulses: 360_000 });
 *   console.log(`data buffer at ${sim.url}`);
 */
export { startDataApiSimulator, type DataApiSimulator, type DataApiSimulatorOptions } from './server';
export { Catalogue, defaultCatalogue, defaultChannels, typedValueAt, valueAt, type ListedChannel } from './catalogue';
export { channelSearchAnswer, api1ChannelsAnswer } from './search';
export { numericChannel, stringChannel, saltOf, type ChannelSpec, type NumericChannelOptions, type StringChannelOptions } from './channel';
export { imageChannel, IMAGE_VARIANTS } from './images';
export { encodeFrame, eventFrame, headerFrame } from './frame-sink';
