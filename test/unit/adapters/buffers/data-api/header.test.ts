import { describe, expect, test } from 'vitest';
import { parseChannelHeader, type ChannelHeader } from '../../../../../lib/adapters/buffers/data-api/header';
import { parseRequestStatus } from '../../../../../lib/adapters/buffers/data-api/request-status';
import { BufferProtocolError } from '../../../../../lib/core/errors';

const LE = 'LITTLE_ENDIAN';
const h = (over: Partial<ChannelHeader>): ChannelHeader => ({
  name: 'CH',
  dtype: 'float64',
  shape: [],
  byteOrder: 'little',
  compression: 'none',
  ...over,
});

describe('channel header', () => {
  test.for<[string, Record<string, unknown>, ChannelHeader]>([
    ["today's scalar", { name: 'CH', type: 'float64', shape: [], byteOrder: LE }, h({})],
    ['older scalar: no shape, compression "0"', { name: 'CH', type: 'float64', byteOrder: LE, compression: '0' }, h({})],
    ['legacy [1] uncompressed is a scalar', { name: 'CH', type: 'int32', shape: [1], byteOrder: LE, compression: 0 }, h({ dtype: 'int32' })],
    ['[1] compressed stays a one-element waveform', { name: 'CH', type: 'int32', shape: [1], byteOrder: LE, compression: 1 }, h({ dtype: 'int32', shape: [1], compression: 'bitshuffle-lz4' })],
    ['waveform, null compression', { name: 'CH', type: 'float32', shape: [2048], byteOrder: LE, compression: null }, h({ dtype: 'float32', shape: [2048] })],
    ['image [width, height] -> [height, width], compression "1"', { name: 'CAM:FPICTURE', type: 'uint16', shape: [1280, 1024], byteOrder: LE, compression: '1' }, h({ name: 'CAM:FPICTURE', dtype: 'uint16', shape: [1024, 1280], compression: 'bitshuffle-lz4' })],
    ['big-endian', { name: 'CH', type: 'int64', shape: [], byteOrder: 'BIG_ENDIAN' }, h({ dtype: 'int64', byteOrder: 'big' })],
    ['bool8 is bool, character is int8', { name: 'CH', type: 'bool8', byteOrder: LE }, h({ dtype: 'bool' })],
    ['character', { name: 'CH', type: 'character', byteOrder: LE }, h({ dtype: 'int8' })],
    ['upper-case type', { name: 'CH', type: 'UINT64', byteOrder: LE }, h({ dtype: 'uint64' })],
    ['string, compressed', { name: 'CH', type: 'string', shape: [], byteOrder: LE, compression: 1 }, h({ dtype: 'string', compression: 'bitshuffle-lz4' })],
    ['no type: the older server\'s "no data" header', { name: 'CH' }, h({ dtype: undefined })],
  ])('%s', ([, json, header]) => {
    expect(parseChannelHeader(json, 'data')).toEqual(header);
  });

  test.for<[string, unknown, RegExp]>([
    ['compression "2" (plain LZ4)', { name: 'CH', type: 'uint16', shape: [4, 4], byteOrder: LE, compression: '2' }, /compression 2 \(plain LZ4\) is not supported/],
    ['unknown compression', { name: 'CH', type: 'uint16', shape: [4], byteOrder: LE, compression: 'zstd' }, /unknown compression/],
    ['unknown type', { name: 'CH', type: 'float128', byteOrder: LE }, /unsupported type "float128"/],
    ['3-d shape', { name: 'CH', type: 'uint8', shape: [2, 2, 2], byteOrder: LE }, /more than 2 dimensions/],
    ['bad shape', { name: 'CH', type: 'uint8', shape: 'big', byteOrder: LE }, /bad shape/],
    ['array of strings', { name: 'CH', type: 'string', shape: [3], byteOrder: LE }, /arrays of strings/],
    ['compressed numeric scalar', { name: 'CH', type: 'float64', shape: [], byteOrder: LE, compression: 1 }, /compressed numeric scalars/],
    ['bad byte order', { name: 'CH', type: 'float64', byteOrder: 'MIDDLE_ENDIAN' }, /unknown byteOrder/],
    ['no name', { type: 'float64' }, /without a name/],
    ['not an object', [1, 2], /not a JSON object/],
  ])('refused: %s', ([, json, message]) => {
    expect(() => parseChannelHeader(json, 'image')).toThrow(BufferProtocolError);
    expect(() => parseChannelHeader(json, 'image')).toThrow(message);
  });
});

describe('request status', () => {
  test('today: errors left out when empty, unknown channels counted', () => {
    expect(parseRequestStatus('{"error_count":0,"warn_count":2,"channel_not_found":1}', 'data')).toEqual({
      errors: [],
      warnCount: 2,
      notFoundNames: undefined,
      notFoundCount: 1,
    });
  });

  test('errors as strings or objects; a list of channel names', () => {
    expect(
      parseRequestStatus('{"error_count":2,"warn_count":0,"channel_not_found":["A","B"],"errors":["disk gone",{"msg":"node 3 down"}]}', 'data'),
    ).toEqual({ errors: ['disk gone', 'node 3 down'], warnCount: 0, notFoundNames: ['A', 'B'], notFoundCount: 2 });
  });

  test('an error count without details still counts as an error', () => {
    expect(parseRequestStatus('{"error_count":1}', 'data').errors).toEqual(['1 error(s) reported without details']);
  });

  test('not JSON is a protocol error', () => {
    expect(() => parseRequestStatus('<html>', 'data')).toThrow(BufferProtocolError);
  });
});
