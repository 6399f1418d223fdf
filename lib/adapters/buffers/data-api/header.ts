/**
 * The Data API 3 channel header (mtype 0) -> our ChannelHeader, in one place.
 *
 * Wire forms handled (buffers.md): `type` absent = no data (older server);
 * `shape` absent, `[]` or uncompressed `[1]` = scalar, `[n]` waveform,
 * `[width, height]` image (we turn it into HDF5 order `[height, width]`);
 * `compression` absent/null/0/"0" = none, 1/"1" = bitshuffle-LZ4, "2" (plain
 * LZ4) refused as the facility's client does; `byteOrder` LITTLE_ENDIAN|BIG_ENDIAN.
 */
import { BufferProtocolError } from '../../../core/errors';
import { dtypeFromDataApi, type DType } from '../../../core/dtypes';

export interface ChannelHeader {
  name: string;
  /** undefined: an older server's header without `type`, meaning the channel has no data. */
  dtype: DType | undefined;
  /** HDF5 order: [] scalar, [n] waveform, [height, width] image. */
  shape: number[];
  byteOrder: 'little' | 'big';
  compression: 'none' | 'bitshuffle-lz4';
}

function compressionOf(raw: unknown, name: string, buffer: string): ChannelHeader['compression'] {
  if (raw === undefined || raw === null || raw === 0 || raw === '0' || raw === '') return 'none';
  if (raw === 1 || raw === '1') return 'bitshuffle-lz4';
  if (raw === 2 || raw === '2') {
    throw new BufferProtocolError(buffer, `channel ${name}: compression 2 (plain LZ4) is not supported, only bitshuffle-LZ4 (1)`);
  }
  throw new BufferProtocolError(buffer, `channel ${name}: unknown compression ${JSON.stringify(raw)}`);
}

function byteOrderOf(raw: unknown, name: string, buffer: string): ChannelHeader['byteOrder'] {
  // *choice*: a header without byteOrder is taken as little-endian (the facility's hosts are).
  if (raw === undefined || raw === null) return 'little';
  const text = String(raw).toUpperCase();
  if (text === 'LITTLE_ENDIAN' || text === 'LITTLE') return 'little';
  if (text === 'BIG_ENDIAN' || text === 'BIG') return 'big';
  throw new BufferProtocolError(buffer, `channel ${name}: unknown byteOrder ${JSON.stringify(raw)}`);
}

function shapeOf(raw: unknown, compressed: boolean, name: string, buffer: string): number[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || !raw.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new BufferProtocolError(buffer, `channel ${name}: bad shape ${JSON.stringify(raw)}`);
  }
  const dims = raw as number[];
  if (dims.length === 0) return [];
  if (dims.length === 1) return !compressed && dims[0] === 1 ? [] : [dims[0]!];
  if (dims.length === 2) return [dims[1]!, dims[0]!]; // wire [width, height] -> [height, width]
  throw new BufferProtocolError(buffer, `channel ${name}: shape ${JSON.stringify(raw)} has more than 2 dimensions`);
}

/**
 * Interpret a channel header's JSON. `buffer` names the buffer in errors.
 *
 * @example
 *   parseChannelHeader({ name: 'CAM:FPICTURE', type: 'uint16', shape: [1280, 1024], byteOrder: 'LITTLE_ENDIAN', compression: 1 }, 'image')
 *   // { name: 'CAM:FPICTURE', dtype: 'uint16', shape: [1024, 1280], byteOrder: 'little', compression: 'bitshuffle-lz4' }
 */
export function parseChannelHeader(json: unknown, buffer: string): ChannelHeader {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BufferProtocolError(buffer, `channel header is not a JSON object: ${JSON.stringify(json)}`);
  }
  const h = json as Record<string, unknown>;
  if (typeof h.name !== 'string' || h.name === '') {
    throw new BufferProtocolError(buffer, `channel header without a name: ${JSON.stringify(json)}`);
  }
  const name = h.name;
  if (h.type === undefined || h.type === null) {
    return { name, dtype: undefined, shape: [], byteOrder: 'little', compression: 'none' };
  }
  if (typeof h.type !== 'string') throw new BufferProtocolError(buffer, `channel ${name}: bad type ${JSON.stringify(h.type)}`);
  const dtype = dtypeFromDataApi(h.type.toLowerCase());
  if (!dtype) throw new BufferProtocolError(buffer, `channel ${name}: unsupported type ${JSON.stringify(h.type)}`);
  const compression = compressionOf(h.compression, name, buffer);
  const shape = shapeOf(h.shape, compression !== 'none', name, buffer);
  if (dtype === 'string' && shape.length > 0) {
    throw new BufferProtocolError(buffer, `channel ${name}: arrays of strings are not supported (shape ${JSON.stringify(h.shape)})`);
  }
  if (dtype !== 'string' && shape.length === 0 && compression !== 'none') {
    throw new BufferProtocolError(buffer, `channel ${name}: compressed numeric scalars are not supported`);
  }
  return { name, dtype, shape, byteOrder: byteOrderOf(h.byteOrder, name, buffer), compression };
}

/** Number of elements of one value (1 for scalars). */
export function elementCount(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
