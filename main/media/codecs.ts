import { MediapathError } from '../common/errors';

/**
 * The audio formats a synthetic stream can imitate. Only sizes and clocks matter here (payloads
 * are probe bytes, not encoded speech), plus the E-model constants the MOS estimate needs.
 */
export type CodecName = 'PCMU' | 'PCMA' | 'G722' | 'opus';

/** ITU-T G.107 equipment impairment Ie and packet-loss robustness Bpl for one codec. */
export interface EModelCodecFactors {
  readonly ie: number;
  /** Bpl with packet loss concealment. */
  readonly bplWithPlc: number;
  /** Bpl without concealment, when a source gives one. */
  readonly bplWithoutPlc?: number;
  /**
   * Where the numbers come from. `assumed` means no citable narrowband value was found: the
   * figure is a placeholder that callers should override through configuration.
   */
  readonly source: string;
  readonly assumed: boolean;
}

export interface CodecInfo {
  readonly name: CodecName;
  /** Static payload type (RFC 3551 §6 Table 4), or the default we offer for a dynamic one. */
  readonly payloadType: number;
  readonly dynamicPayloadType: boolean;
  /** RTP timestamp rate (Hz). */
  readonly clockRate: number;
  /** Audio sampling rate (Hz); differs from clockRate for G.722. */
  readonly sampleRate: number;
  readonly bitrateBps: number;
  readonly ptimesMs: readonly number[];
  readonly defaultPtimeMs: number;
  /** The byte a silent frame of this codec is made of, used to pad probe payloads. */
  readonly fillByte: number;
  readonly emodel: EModelCodecFactors;
}

const G711_EMODEL: EModelCodecFactors = {
  ie: 0,
  bplWithPlc: 25.1,
  bplWithoutPlc: 4.3,
  source: 'ITU-T G.113 Appendix I (G.711 with G.711 Appendix I PLC; 4.3 without PLC)',
  assumed: false,
};

const TEN_TO_SIXTY = [10, 20, 30, 40, 50, 60] as const;

export const CODECS: Readonly<Record<CodecName, CodecInfo>> = {
  PCMU: {
    name: 'PCMU',
    payloadType: 0,
    dynamicPayloadType: false,
    clockRate: 8000,
    sampleRate: 8000,
    bitrateBps: 64_000,
    ptimesMs: TEN_TO_SIXTY,
    defaultPtimeMs: 20,
    // G.711 µ-law encodes zero as 0xFF.
    fillByte: 0xff,
    emodel: G711_EMODEL,
  },
  PCMA: {
    name: 'PCMA',
    payloadType: 8,
    dynamicPayloadType: false,
    clockRate: 8000,
    sampleRate: 8000,
    bitrateBps: 64_000,
    ptimesMs: TEN_TO_SIXTY,
    defaultPtimeMs: 20,
    // G.711 A-law encodes zero as 0xD5 (0x55 with the sign bit set).
    fillByte: 0xd5,
    emodel: G711_EMODEL,
  },
  G722: {
    name: 'G722',
    payloadType: 9,
    dynamicPayloadType: false,
    // RFC 3551 §4.5.2: the RTP clock is 8000 Hz although G.722 samples at 16 kHz (a historical
    // error kept for compatibility), so a 20 ms frame advances the timestamp by 160.
    clockRate: 8000,
    sampleRate: 16000,
    bitrateBps: 64_000,
    ptimesMs: TEN_TO_SIXTY,
    defaultPtimeMs: 20,
    fillByte: 0x00,
    emodel: {
      ie: 0,
      bplWithPlc: 25.1,
      source: 'assumed: G.107 is narrowband and G.113 Appendix I lists no G.722 value; scored like G.711 with PLC',
      assumed: true,
    },
  },
  opus: {
    name: 'opus',
    payloadType: 111,
    dynamicPayloadType: true,
    // RFC 7587 §4.1: the Opus RTP clock is always 48 kHz, whatever the audio bandwidth.
    clockRate: 48000,
    sampleRate: 48000,
    bitrateBps: 32_000,
    // RFC 6716 §2.1.4 frame durations of 10 ms and more; 40/60 ms are multi-frame packets.
    ptimesMs: [10, 20, 40, 60],
    defaultPtimeMs: 20,
    fillByte: 0x00,
    emodel: {
      ie: 0,
      bplWithPlc: 25.1,
      source: 'assumed: no ITU-T G.113 narrowband value for Opus; scored like G.711 with PLC',
      assumed: true,
    },
  },
};

export interface CodecChoice {
  readonly codec: CodecInfo;
  readonly ptimeMs: number;
  readonly payloadType: number;
}

/**
 * Picks a codec and packetization; a dynamic payload type may be renumbered (negotiated in SDP).
 * Invalid choices come from configuration, so they throw INVALID_ARGUMENT.
 */
export function chooseCodec(name: CodecName, ptimeMs?: number, payloadType?: number): CodecChoice {
  const codec = CODECS[name];
  if (!codec) throw new MediapathError('INVALID_ARGUMENT', `unknown codec ${String(name)}`, { layer: 'media' });
  const ptime = ptimeMs ?? codec.defaultPtimeMs;
  if (!codec.ptimesMs.includes(ptime)) {
    throw new MediapathError('INVALID_ARGUMENT', `${name} cannot be packetized at ${ptime} ms (allowed: ${codec.ptimesMs.join(', ')})`, {
      layer: 'media',
    });
  }
  let pt = codec.payloadType;
  if (payloadType !== undefined) {
    if (!codec.dynamicPayloadType && payloadType !== codec.payloadType) {
      throw new MediapathError('INVALID_ARGUMENT', `${name} has static payload type ${codec.payloadType}, not ${payloadType}`, {
        layer: 'media',
      });
    }
    // RFC 3551 §6: dynamic payload types are 96–127.
    if (codec.dynamicPayloadType && (!Number.isInteger(payloadType) || payloadType < 96 || payloadType > 127)) {
      throw new MediapathError('INVALID_ARGUMENT', `dynamic payload type ${payloadType} outside 96–127`, { layer: 'media' });
    }
    pt = payloadType;
  }
  return { codec, ptimeMs: ptime, payloadType: pt };
}

/** Payload bytes of one packet: bitrate × packet duration. */
export function frameBytes(codec: CodecInfo, ptimeMs: number): number {
  return Math.round((codec.bitrateBps * ptimeMs) / 8000);
}

/** RTP timestamp advance per packet (RFC 3550 §5.1: in units of the payload format's clock). */
export function timestampIncrement(codec: CodecInfo, ptimeMs: number): number {
  return Math.round((codec.clockRate * ptimeMs) / 1000);
}

/** The codec of a static payload type, or of a dynamic one through the negotiated map. */
export function codecForPayloadType(pt: number, dynamic: ReadonlyMap<number, CodecName> = new Map()): CodecInfo | undefined {
  const named = dynamic.get(pt);
  if (named) return CODECS[named];
  for (const c of Object.values(CODECS)) if (!c.dynamicPayloadType && c.payloadType === pt) return c;
  return undefined;
}
