/**
 * An event frame + its channel header -> the event the client yields.
 *
 * Compressed values keep the original bitshuffle-LZ4 stream in `compressed`
 * (a writer can store it as a direct HDF5 chunk) and decompress `value` lazily
 * on first access: a 1280x1024 image costs milliseconds to decode, and a
 * writer that stores direct chunks never needs the pixels. The 12-byte
 * header is still checked at once, so a wrong size fails where it arrives.
 */
import { BufferProtocolError } from '../../../core/errors';
import { DTYPES } from '../../../core/dtypes';
import { BitshuffleError, bitshuffleLz4Decompress, readBitshuffleHeader } from './bitshuffle';
import type { Frame } from './frames';
import { elementCount, type ChannelHeader } from './header';

export interface DataApiEvent {
  kind: 'event';
  channel: string;
  timestampNs: bigint;
  pulseId: bigint;
  /** Element bytes in the header's byte order, or the text of a string channel. */
  value: Uint8Array | string;
  /** The bitshuffle-LZ4 stream as sent (12-byte header included), when the value was compressed. */
  compressed?: Uint8Array;
}

const text = new TextDecoder('utf-8'); // not fatal: a stray byte in a PV string must not fail a run

/**
 * The event builder for one channel header: the per-channel facts (element
 * size, expected length) are worked out once, not per event.
 *
 * @example
 *   const toEvent = eventDecoder(header, 'data');
 *   const event = toEvent(frame); // for each mtype-1 frame after that header
 */
export function eventDecoder(header: ChannelHeader, buffer: string): (frame: Extract<Frame, { mtype: 1 }>) => DataApiEvent {
  const dtype = header.dtype;
  const channel = header.name;
  if (dtype === undefined) {
    return () => {
      throw new BufferProtocolError(buffer, `channel ${channel}: event frame after a header without type`);
    };
  }
  const isString = dtype === 'string';
  const elemSize = isString ? 1 : DTYPES[dtype].size;
  const expected = isString ? undefined : elementCount(header.shape) * elemSize;
  const describe = `${dtype}${JSON.stringify(header.shape)}`;

  if (header.compression === 'none') {
    return (frame) => {
      let value: Uint8Array | string;
      if (isString) {
        value = text.decode(frame.value);
      } else {
        if (frame.value.length !== expected) {
          throw new BufferProtocolError(buffer, `channel ${channel} pulse ${frame.pulseId}: value of ${frame.value.length} B, expected ${expected} B for ${describe}`);
        }
        // Views into a shared network chunk are copied so the caller may keep the value.
        value = frame.owned ? frame.value : frame.value.slice();
      }
      return { kind: 'event', channel, timestampNs: frame.timestampNs, pulseId: frame.pulseId, value };
    };
  }

  return (frame) => {
    const compressed = frame.owned ? frame.value : frame.value.slice();
    let declared: number;
    try {
      declared = readBitshuffleHeader(compressed).uncompressedBytes;
    } catch (error) {
      throw new BufferProtocolError(buffer, `channel ${channel} pulse ${frame.pulseId}: ${(error as Error).message}`, { cause: error });
    }
    if (expected !== undefined && declared !== expected) {
      throw new BufferProtocolError(buffer, `channel ${channel} pulse ${frame.pulseId}: compressed value declares ${declared} B, expected ${expected} B for ${describe}`);
    }
    const event = { kind: 'event', channel, timestampNs: frame.timestampNs, pulseId: frame.pulseId, compressed } as DataApiEvent;
    let cached: Uint8Array | string | undefined;
    Object.defineProperty(event, 'value', {
      enumerable: true,
      get(): Uint8Array | string {
        if (cached === undefined) {
          let bytes: Uint8Array;
          try {
            bytes = bitshuffleLz4Decompress(compressed, elemSize);
          } catch (error) {
            if (!(error instanceof BitshuffleError)) throw error;
            throw new BufferProtocolError(buffer, `channel ${channel} pulse ${frame.pulseId}: ${error.message}`, { cause: error });
          }
          cached = isString ? text.decode(bytes) : bytes;
        }
        return cached;
      },
    });
    return event;
  };
}
