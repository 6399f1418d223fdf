/**
 * The simulators' channel catalogue: fixed channels covering every dtype and
 * shape the Data API sends, the seed's channels, a few SwissFEL-like names,
 * and synthetic channels made on the fly from their name (for benchmarks):
 *
 *   BENCH:SCALAR-<digits>            float64 scalar        (data buffer)
 *   BENCH:WAVE-<digits>              float32[2048]         (data buffer)
 *   BENCH:CAMERA-<digits>:FPICTURE   uint16 1280x1024      (image buffer)
 *
 * `valueAt(channel, pulseId)` is what a retrieved file must hold.
 */
import { DTYPES, typedArrayOf } from '../../../lib/core/dtypes';
import { numericChannel, saltOf, stringChannel, swapBytes, type ChannelSpec } from './channel';
import { imageChannel } from './images';

const ALARM = ['ok', 'warning', 'alarm 5 µA'];

/** EvtSet: event code i fires every (1 + i mod 16) pulses (720720 = lcm(1..16) keeps it exact). */
const evtSet = (name: string): ChannelSpec =>
  numericChannel({
    name,
    dtype: 'uint8',
    shape: [256],
    element: (p, _low, i) => (Number(p % 720720n) % (1 + (i % 16)) === 0 ? 1 : 0),
  });

/** A float64 scalar with distinct, exactly representable values per channel. */
const scalar = (name: string, has?: (p: bigint) => boolean): ChannelSpec => {
  const salt = saltOf(name);
  return numericChannel({ name, dtype: 'float64', has, element: (_p, low) => low * 0.5 + salt });
};

/** The fixed channels of both buffers. */
export function defaultChannels(): ChannelSpec[] {
  return [
    // Every scalar dtype.
    scalar('SIM-DTYPE:FLOAT64'),
    numericChannel({ name: 'SIM-DTYPE:FLOAT32', dtype: 'float32', element: (_p, low) => (low % 100_000) * 0.5 + 7 }),
    numericChannel({ name: 'SIM-DTYPE:INT8', dtype: 'int8', element: (_p, low) => low * 31 - 5 }),
    numericChannel({ name: 'SIM-DTYPE:INT16', dtype: 'int16', element: (_p, low) => low * 31 - 500 }),
    numericChannel({ name: 'SIM-DTYPE:INT32', dtype: 'int32', element: (_p, low) => low * 3001 - 500_000_000 }),
    numericChannel({ name: 'SIM-DTYPE:INT64', dtype: 'int64', element: (p) => -(p * 1_000_003n) }),
    numericChannel({ name: 'SIM-DTYPE:UINT8', dtype: 'uint8', element: (_p, low) => low * 7 }),
    numericChannel({ name: 'SIM-DTYPE:UINT16', dtype: 'uint16', element: (_p, low) => low * 13 }),
    numericChannel({ name: 'SIM-DTYPE:UINT32', dtype: 'uint32', element: (_p, low) => low * 4099 + 3_000_000_000 }),
    // 2^64 - 1 - p: beyond 2^63, so a signed reading would show.
    numericChannel({ name: 'SIM-DTYPE:UINT64', dtype: 'uint64', element: (p) => BigInt.asUintN(64, -(p + 1n)) }),
    numericChannel({ name: 'SIM-DTYPE:BOOL', dtype: 'bool', element: (_p, low) => (low % 3 === 0 ? 1 : 0) }),
    stringChannel({ name: 'SIM-DTYPE:STRING', text: (p) => `pulse ${p} ${ALARM[Number(p % 3n)]}` }),
    stringChannel({ name: 'SIM-DTYPE:STRING-LZ4', compression: 'bitshuffle-lz4', text: (p) => `compressed status of pulse ${p}: ${ALARM[Number(p % 3n)]}` }),
    // Waveforms, uncompressed and compressed (partial last block, raw remainder).
    numericChannel({ name: 'SIM-WAVE:FLOAT32-2048', dtype: 'float32', shape: [2048], element: (_p, low, i) => (i === 0 ? low : (i % 512) * 0.25 + (low % 1000)) }),
    numericChannel({ name: 'SIM-WAVE:INT16-100', dtype: 'int16', shape: [100], element: (_p, low, i) => low * 7 + i * 331 }),
    numericChannel({ name: 'SIM-WAVE:INT32-1003-LZ4', dtype: 'int32', shape: [1003], compression: 'bitshuffle-lz4', element: (_p, low, i) => low * 1000 + i - 500_000 }),
    numericChannel({
      name: 'SARFE10-PSSS059:SPECTRUM_Y',
      dtype: 'float64',
      shape: [2560],
      compression: 'bitshuffle-lz4',
      element: (_p, low, i) => 1000 / (1 + ((i - 1280 - (low % 100)) / 50) ** 2),
    }),
    // Rates: drops (missing when pulse id mod 7 == 3), 10 Hz, never.
    scalar('SIM-RATE:DROPS', (p) => p % 7n !== 3n),
    scalar('SIM-RATE:10HZ', (p) => p % 10n === 0n),
    scalar('SIM-EMPTY:NEVER', () => false),
    // Byte order and legacy shapes.
    numericChannel({ name: 'SIM-ENDIAN:INT32-BE', dtype: 'int32', byteOrder: 'big', element: (_p, low) => low * 3 - 1000 }),
    numericChannel({ name: 'SIM-ENDIAN:FLOAT64-16-BE', dtype: 'float64', shape: [16], byteOrder: 'big', element: (_p, low, i) => i * 0.5 + low }),
    numericChannel({ name: 'SIM-LEGACY:SHAPE1', dtype: 'float64', wireShape: [1], element: (_p, low) => low + 0.25 }),
    // The seed's channels and SwissFEL-like names.
    evtSet('SAR-CVME-TIFALL5:EvtSet'),
    evtSet('SAR-CVME-TIFALL4:EvtSet'),
    scalar('SARFE10-PBPG050:HAMP-INTENSITY-CAL'),
    scalar('SLAAR11-LMOT-M451:ENC_1_BS'),
    scalar('SINEG01-DICT215:B1_CHARGE'),
    // Cameras.
    imageChannel({ name: 'SARES11-SPEC125-M1:FPICTURE', width: 1280, height: 1024 }),
    imageChannel({ name: 'SATES21-CAMS154-M1:FPICTURE', width: 256, height: 128 }),
  ];
}

/** What the channel search lists of a channel (Data API 4's ChannelSearchSingleResult, in part). */
export interface ListedChannel {
  name: string;
  backend: ChannelSpec['backend'];
  /** The header's dtype name (float64, uint16, string, ...). */
  type: string;
  /** The Data API's shape: [] scalar, [n] waveform, [width, height] image. */
  shape: number[];
}

/** The Data API's shape order: images fastest axis first. */
const wireShapeOf = (spec: ChannelSpec): number[] => spec.wireShape ?? (spec.shape.length === 2 ? [spec.shape[1]!, spec.shape[0]!] : spec.shape);

/** The synthetic channels' search entries, 0001..count of each pattern. */
function listedSynthetic(count: number): ListedChannel[] {
  const pad = (i: number) => String(i).padStart(4, '0');
  const out: ListedChannel[] = [];
  for (let i = 1; i <= count; i++) {
    out.push({ name: `BENCH:SCALAR-${pad(i)}`, backend: 'sf-databuffer', type: 'float64', shape: [] });
    out.push({ name: `BENCH:WAVE-${pad(i)}`, backend: 'sf-databuffer', type: 'float32', shape: [2048] });
    out.push({ name: `BENCH:CAMERA-${pad(i)}:FPICTURE`, backend: 'sf-imagebuffer', type: 'uint16', shape: [1280, 1024] });
  }
  return out;
}

/** Synthetic channels recognised by name. */
const PATTERNS: Array<[RegExp, (name: string) => ChannelSpec]> = [
  [/^BENCH:SCALAR-\d+$/, (name) => scalar(name)],
  [
    /^BENCH:WAVE-\d+$/,
    (name) => {
      const salt = saltOf(name);
      return numericChannel({ name, dtype: 'float32', shape: [2048], element: (_p, low, i) => (i === 0 ? low : (i % 512) * 0.25 + salt) });
    },
  ],
  [/^BENCH:CAMERA-\d+:FPICTURE$/, (name) => imageChannel({ name, width: 1280, height: 1024 })],
];

/**
 * @example
 *   const cat = new Catalogue();                 // the default channels + BENCH patterns
 *   cat.lookup('BENCH:WAVE-0042')?.shape         // [2048]
 *   new Catalogue([...defaultChannels(), myChannel])
 */
export class Catalogue {
  private readonly fixed = new Map<string, ChannelSpec>();
  private readonly synthesised = new Map<string, ChannelSpec>();
  private readonly extraListed: ListedChannel[];
  private readonly syntheticListed: number;

  /**
   * @param options.syntheticListed how many of each BENCH pattern the channel search lists (0001..N; default 1000:
   *   every one the benchmarks use); any number still answers queries.
   * @param options.listedOnly names the search lists without data (a large catalogue for name-check tests).
   */
  constructor(channels: ChannelSpec[] = defaultChannels(), options: { syntheticListed?: number; listedOnly?: ListedChannel[] } = {}) {
    for (const c of channels) this.fixed.set(c.name, c);
    this.syntheticListed = options.syntheticListed ?? 1000;
    this.extraListed = options.listedOnly ?? [];
  }

  /**
   * What the channel search knows (Data API 4 `search/channel`, API 1 `channels`): the fixed
   * channels, the first `syntheticListed` of each BENCH pattern and any `listedOnly` names, sorted by name.
   */
  listed(backend?: ChannelSpec['backend']): ListedChannel[] {
    if (!this.listing) {
      const fixed = [...this.fixed.values()].map((c): ListedChannel => ({ name: c.name, backend: c.backend, type: c.dtype, shape: wireShapeOf(c) }));
      this.listing = [...fixed, ...listedSynthetic(this.syntheticListed), ...this.extraListed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    return backend ? this.listing.filter((c) => c.backend === backend) : this.listing;
  }

  private listing: ListedChannel[] | undefined;

  /** Add or replace a channel. */
  add(channel: ChannelSpec): this {
    this.fixed.set(channel.name, channel);
    this.listing = undefined;
    return this;
  }

  /** The channel called `name` (fixed, or synthesised from a BENCH pattern), if any. */
  lookup(name: string): ChannelSpec | undefined {
    const known = this.fixed.get(name) ?? this.synthesised.get(name);
    if (known) return known;
    for (const [pattern, make] of PATTERNS) {
      if (pattern.test(name)) {
        const spec = make(name);
        this.synthesised.set(name, spec);
        return spec;
      }
    }
    return undefined;
  }

  /** The fixed channels, optionally of one backend. */
  list(backend?: ChannelSpec['backend']): ChannelSpec[] {
    return [...this.fixed.values()].filter((c) => !backend || c.backend === backend);
  }
}

export const defaultCatalogue = new Catalogue();

/**
 * What the buffer holds for `channel` at `pulseId` (ignoring retention and
 * faults): element bytes in the channel's byte order, or the string; undefined
 * when the channel is unknown or has no event at that pulse.
 *
 * @example
 *   valueAt('SIM-DTYPE:STRING', 18_940_426_916n) // 'pulse 18940426916 alarm 5 µA'
 */
export function valueAt(channel: string, pulseId: bigint, catalogue: Catalogue = defaultCatalogue): Uint8Array | string | undefined {
  const spec = catalogue.lookup(channel);
  if (!spec || !spec.has(pulseId)) return undefined;
  return spec.value(pulseId);
}

/**
 * valueAt as numbers: a typed array in the host's (little-endian) order, or the string.
 *
 * @example
 *   typedValueAt('SIM-DTYPE:UINT64', 5n) // BigUint64Array [18446744073709551610n]
 */
export function typedValueAt(channel: string, pulseId: bigint, catalogue: Catalogue = defaultCatalogue) {
  const spec = catalogue.lookup(channel);
  const value = valueAt(channel, pulseId, catalogue);
  if (value === undefined || typeof value === 'string' || !spec || spec.dtype === 'string') return value;
  const bytes = spec.byteOrder === 'big' ? swapBytes(value.slice(), DTYPES[spec.dtype].size) : value;
  return typedArrayOf(spec.dtype, bytes);
}
