/**
 * Data API 3 client (data buffer, image buffer).
 *
 * @example
 *   import { DataApiClient } from '../adapters/buffers/data-api';
 */
export { DataApiClient, DEFAULT_PULSE_MAP_RETRY, type DataApiBackend, type DataApiClientOptions, type DataApiItem, type QueryReport } from './client';
export { EventBatcher, toEvents, type DataApiBatch, type DataApiBatchItem, type DataApiEvent, type EventRun } from './events';
export { parseChannelHeader, elementCount, type ChannelHeader } from './header';
export { FrameDecoder, MAX_FRAME_BYTES, type Frame, type FrameVisitor } from './frames';
export {
  bitshuffleLz4Compress,
  bitshuffleLz4Decompress,
  readBitshuffleHeader,
  BitshuffleError,
  DEFAULT_BLOCK_BYTES,
  type BitshuffleHeader,
} from './bitshuffle';
