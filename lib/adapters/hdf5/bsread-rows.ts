/**
 * A channel's rows waiting to be written: pulse ids, timestamps and values in
 * compact typed arrays (not row objects), values already converted to the
 * little-endian bytes of the stored dtype.
 */
import { DTYPES, type DType } from '../../core/dtypes';
import { elementCount } from './h5-create';
import { swapInto, writeElement, type ByteOrder } from './h5-dtypes';

/** A channel as the writer stores it. */
export interface ChannelSpec {
  dtype: DType;
  /** Element shape: [] scalar, [n] waveform, [h, w] image. */
  shape: number[];
  /** Byte order of `Uint8Array` values (default little). */
  byteOrder?: ByteOrder;
}

/**
 * One event's value: element bytes in the channel's byte order (strings:
 * UTF-8 bytes), a number/bigint/boolean for scalars, arrays for waveforms.
 */
export type RowValue = Uint8Array | string | number | bigint | boolean | number[] | string[];

export interface Row {
  pulseId: bigint;
  timestampNs: bigint;
  value: RowValue;
}

/** Bytes counted per pending row besides its value (pulse id, timestamp, bookkeeping). */
const ROW_OVERHEAD = 24;

export class RowBuffer {
  readonly elements: number;
  /** Bytes per row of a numeric channel (0 for strings). */
  readonly rowBytes: number;
  rows = 0;
  /** Approximate memory held, for the writer's bound. */
  bytes = 0;
  pulseIds: BigInt64Array;
  timestamps: BigInt64Array;
  values: Uint8Array;
  strings: string[] = [];
  private view: DataView;
  private readonly decoder = new TextDecoder();
  private readonly initialRows: number;

  constructor(private readonly name: string, private readonly spec: ChannelSpec, initialRows = 64) {
    this.elements = elementCount(spec.shape);
    this.rowBytes = spec.dtype === 'string' ? 0 : this.elements * DTYPES[spec.dtype].size;
    this.pulseIds = new BigInt64Array(initialRows);
    this.timestamps = new BigInt64Array(initialRows);
    this.values = new Uint8Array(initialRows * this.rowBytes);
    this.view = new DataView(this.values.buffer);
    this.initialRows = initialRows;
  }

  /** Append one row; throws (leaving the buffer unchanged) when the value does not fit the channel. */
  push(row: Row): void {
    const pulseId = BigInt(row.pulseId);
    const timestampNs = BigInt(row.timestampNs);
    this.ensureCapacity(this.rows + 1);
    if (this.spec.dtype === 'string') {
      const strings = this.stringsOf(row.value);
      this.strings.push(...strings);
      this.bytes += strings.reduce((sum, s) => sum + 2 * s.length, 0);
    } else {
      this.encode(row.value, this.rows * this.rowBytes);
      this.bytes += this.rowBytes;
    }
    this.pulseIds[this.rows] = pulseId;
    this.timestamps[this.rows] = timestampNs;
    this.bytes += ROW_OVERHEAD;
    this.rows += 1;
  }

  /** Forget the pending rows (after they were written); give back memory grown for them. */
  clear(): void {
    this.rows = 0;
    this.bytes = 0;
    this.strings = [];
    if (this.pulseIds.length > this.initialRows) {
      this.pulseIds = new BigInt64Array(this.initialRows);
      this.timestamps = new BigInt64Array(this.initialRows);
      this.values = new Uint8Array(this.initialRows * this.rowBytes);
      this.view = new DataView(this.values.buffer);
    }
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.pulseIds.length) return;
    const capacity = Math.max(rows, this.pulseIds.length * 2);
    const pulseIds = new BigInt64Array(capacity);
    const timestamps = new BigInt64Array(capacity);
    const values = new Uint8Array(capacity * this.rowBytes);
    pulseIds.set(this.pulseIds);
    timestamps.set(this.timestamps);
    values.set(this.values);
    this.pulseIds = pulseIds;
    this.timestamps = timestamps;
    this.values = values;
    this.view = new DataView(values.buffer);
  }

  private encode(value: RowValue, at: number): void {
    const { dtype, byteOrder = 'little' } = this.spec;
    const size = DTYPES[dtype].size;
    if (value instanceof Uint8Array) {
      if (value.length !== this.rowBytes) this.fail(`${value.length} bytes, expected ${this.rowBytes}`);
      if (byteOrder === 'big' && size > 1) swapInto(value, this.values, at, size);
      else this.values.set(value, at);
      return;
    }
    const items = Array.isArray(value) ? value : [value];
    // Check every element before writing any, so a bad row leaves the buffer as it was.
    const integral = dtype !== 'float64' && dtype !== 'float32';
    for (const v of items) {
      if (typeof v === 'string') this.fail('a string value');
      if (integral && typeof v === 'number' && !Number.isInteger(v)) this.fail(`${v}, not a whole number`);
    }
    if (items.length !== this.elements) this.fail(`${items.length} elements, expected ${this.elements}`);
    for (let i = 0; i < items.length; i++) writeElement(this.view, at + i * size, dtype, items[i] as number | bigint | boolean);
  }

  private stringsOf(value: RowValue): string[] {
    const items = value instanceof Uint8Array ? [this.decoder.decode(value)] : Array.isArray(value) ? value : [value];
    if (items.length !== this.elements) this.fail(`${items.length} strings, expected ${this.elements}`);
    if (items.some((v) => typeof v !== 'string')) this.fail('a non-string value');
    return items as string[];
  }

  private fail(what: string): never {
    throw new TypeError(`channel ${this.name} (${this.spec.dtype} [${this.spec.shape.join(', ')}]): got ${what}`);
  }
}
