import { createHash, timingSafeEqual } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/**
 * The facility as the broker sees it: which beamlines exist, which client
 * networks and API keys belong to each, and which detectors each owns.
 * Loaded once from configuration (lib/runtime/config.ts) and passed down.
 *
 * @example
 *   { "beamlines": { "alvra": { "networks": ["129.129.242.0/24"], "apiKeySha256": ["<64 hex digits>"], "detectors": { "JF01T03V01": {} } } } }
 */
export interface BeamlineConfig {
  /** Client networks in CIDR notation (IPv4 or IPv6). */
  networks: string[];
  /**
   * SHA-256 hashes (64 hex digits) of this beamline's API keys: a caller
   * presenting one of the keys belongs to this beamline wherever it calls
   * from. Only hashes are stored, so the config (a Lambda environment
   * variable, a file) never holds a usable key. Make one with
   * `printf %s 'the-key' | sha256sum`.
   */
  apiKeySha256?: string[];
  /** EventBridge `source` names of this beamline's scan software (scan-completion events act for this beamline). */
  eventSources?: string[];
  /** Detectors installed at this beamline, by name (JFxxTyyVzz). */
  detectors?: Record<string, DetectorConfig>;
}

/** What the facility says about one of a beamline's detectors (every field optional). */
export interface DetectorConfig {
  /** For people (get_allowed_detectors), e.g. "1p5M Bernina detector"; default: the name. */
  description?: string;
  /** The DAQ machine number: the live view is `sf-daq-<daq>:<5000 + detector number>`. */
  daq?: number;
  /** Modules known bad: a pedestal frame needs that many modules fewer in the forced gain. */
  bad_modules?: number;
}

export interface FacilityConfig {
  beamlines: Record<string, BeamlineConfig>;
}

/** Who called: the source address as the network (API Gateway or the socket) saw it, and an API key if sent. */
export interface Caller {
  sourceIp: string;
  apiKey?: string | undefined;
}

export type BeamlineResolution = { ok: true; beamline: string } | { ok: false; message: string };

/**
 * The beamline of a caller: an API key if one is presented (it must be valid),
 * otherwise the most specific configured network containing the source address.
 * Never a header the client can set freely (no X-Forwarded-For).
 */
export function resolveBeamline(facility: FacilityConfig, caller: Caller): BeamlineResolution {
  if (caller.apiKey !== undefined && caller.apiKey !== '') {
    const presented = createHash('sha256').update(caller.apiKey, 'utf8').digest();
    let found: string | undefined;
    // Every hash is compared, each in constant time, so the answer's timing tells nothing about the keys.
    for (const [name, beamline] of Object.entries(facility.beamlines)) {
      for (const hash of beamline.apiKeySha256 ?? []) {
        if (timingSafeEqual(presented, Buffer.from(hash, 'hex')) && found === undefined) found = name;
      }
    }
    return found !== undefined ? { ok: true, beamline: found } : { ok: false, message: 'the API key is not known to any beamline' };
  }
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    const parsed = ipaddr.parse(caller.sourceIp);
    address = parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
  } catch {
    return { ok: false, message: 'can not identify from which machine the request was made' };
  }
  let best: { beamline: string; prefix: number } | undefined;
  for (const [name, beamline] of Object.entries(facility.beamlines)) {
    for (const cidr of beamline.networks) {
      const [range, prefix] = ipaddr.parseCIDR(cidr);
      if (range.kind() === address.kind() && address.match(range, prefix) && (!best || prefix > best.prefix)) {
        best = { beamline: name, prefix };
      }
    }
  }
  if (!best) return { ok: false, message: `can not determine from which console the request came (${caller.sourceIp} is in no beamline's network), so which beamline it is` };
  return { ok: true, beamline: best.beamline };
}

/** Check a facility config once at load: CIDRs parse, names are safe path parts. Throws with the culprit. */
export function checkFacilityConfig(facility: FacilityConfig): FacilityConfig {
  if (!facility || typeof facility.beamlines !== 'object') throw new Error('facility config: "beamlines" is missing');
  for (const [name, beamline] of Object.entries(facility.beamlines)) {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name)) throw new Error(`facility config: beamline name ${JSON.stringify(name)} is not a plain lower-case word`);
    for (const cidr of beamline.networks ?? []) {
      if (!ipaddr.isValidCIDR(cidr)) throw new Error(`facility config: ${name}: ${JSON.stringify(cidr)} is not a CIDR network`);
    }
    if ((beamline as { apiKeys?: unknown }).apiKeys !== undefined) {
      throw new Error(`facility config: ${name}: "apiKeys" held keys in clear; store their SHA-256 hashes in "apiKeySha256" instead (printf %s 'the-key' | sha256sum)`);
    }
    for (const hash of beamline.apiKeySha256 ?? []) {
      if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw new Error(`facility config: ${name}: apiKeySha256 entries must be SHA-256 hashes (64 lower-case hex digits)`);
    }
    if (beamline.eventSources !== undefined && (!Array.isArray(beamline.eventSources) || !beamline.eventSources.every((x) => typeof x === 'string' && x !== ''))) {
      throw new Error(`facility config: ${name}: eventSources must be a list of event source names`);
    }
    for (const [det, config] of Object.entries(beamline.detectors ?? {})) {
      if (!/^JF[0-9]{2}T[0-9]{2}V[0-9]{2}$/.test(det)) throw new Error(`facility config: ${name}: detector ${JSON.stringify(det)} is not of the form JFxxTyyVzz`);
      const { description, daq, bad_modules: bad } = (config ?? {}) as DetectorConfig;
      if (description !== undefined && typeof description !== 'string') throw new Error(`facility config: ${name}: ${det}.description must be text`);
      if (daq !== undefined && !(Number.isInteger(daq) && daq >= 0)) throw new Error(`facility config: ${name}: ${det}.daq must be a DAQ machine number`);
      if (bad !== undefined && !(Number.isInteger(bad) && bad >= 0)) throw new Error(`facility config: ${name}: ${det}.bad_modules must be a whole number`);
    }
  }
  return facility;
}

/**
 * The hash of an API key as the facility config stores it.
 * @example apiKeyHash('alvra-demo-key') // '5b0e...' (64 hex digits)
 */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
