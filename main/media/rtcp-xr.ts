import { MediapathError } from '../common/errors';
import { ok, type Result } from '../common/result';
import type { NtpTime } from './ntp';
import { rtcpFail, type MediaParseError } from './parse-error';
import { isU16, isU32, isU8, put16, put32, u16, u32 } from './wire';

/** RFC 3611 §4 block types we read and write; others are kept as opaque bytes. */
export const XR_BT_RRT = 4;
export const XR_BT_DLRR = 5;
export const XR_BT_VOIP_METRICS = 7;

/** RFC 3611 §4.7: the value of the 8-bit level, R factor and MOS fields meaning "unavailable". */
export const XR_UNAVAILABLE = 127;

/** RFC 3611 §4.7.6 RX config: PLC (2 bits), JBA (2 bits), JB rate (4 bits). */
export type XrPlc = 'unspecified' | 'disabled' | 'enhanced' | 'standard';
export type XrJitterBufferKind = 'unknown' | 'reserved' | 'non-adaptive' | 'adaptive';
const PLC_BY_BITS: readonly XrPlc[] = ['unspecified', 'disabled', 'enhanced', 'standard'];
const JBA_BY_BITS: readonly XrJitterBufferKind[] = ['unknown', 'reserved', 'non-adaptive', 'adaptive'];

export interface XrRxConfig {
  readonly plc: XrPlc;
  readonly jitterBuffer: XrJitterBufferKind;
  /** JB adjustment rate 0–15 (RFC 3611 §4.7.6). */
  readonly jbRate: number;
}

/**
 * RFC 3611 §4.7 VoIP Metrics Report Block (BT=7), field for field. Rates and densities are
 * fractions ×256 (binary point at the left edge), durations and delays in ms, levels in signed dB,
 * MOS ×10; 127 marks an unavailable level, R factor or MOS.
 */
export interface VoipMetrics {
  readonly ssrc: number;
  readonly lossRate: number;
  readonly discardRate: number;
  readonly burstDensity: number;
  readonly gapDensity: number;
  readonly burstDurationMs: number;
  readonly gapDurationMs: number;
  readonly roundTripDelayMs: number;
  readonly endSystemDelayMs: number;
  readonly signalLevel: number;
  readonly noiseLevel: number;
  readonly rerl: number;
  readonly gmin: number;
  readonly rFactor: number;
  readonly extRFactor: number;
  readonly mosLq: number;
  readonly mosCq: number;
  readonly rxConfig: XrRxConfig;
  readonly jbNominalMs: number;
  readonly jbMaxMs: number;
  readonly jbAbsMaxMs: number;
}

/** RFC 3611 §4.5 DLRR sub-block: the receiver-side counterpart of LSR/DLSR. */
export interface DlrrItem {
  readonly ssrc: number;
  readonly lastRr: number;
  readonly delaySinceLastRr: number;
}

export type XrBlock =
  | ({ readonly type: 'voip-metrics' } & VoipMetrics)
  | { readonly type: 'rrt'; readonly ntp: NtpTime }
  | { readonly type: 'dlrr'; readonly items: readonly DlrrItem[] }
  | { readonly type: 'unknown'; readonly blockType: number; readonly typeSpecific: number; readonly body: Uint8Array };

const VOIP_METRICS_WORDS = 8;

/** A fraction 0–1 as the ×256 byte of RFC 3611 §4.7.1 (1.0 saturates at 255). */
export function fractionToXr(f: number): number {
  if (!Number.isFinite(f) || f <= 0) return 0;
  return Math.min(255, Math.floor(f * 256));
}

/** MOS 1–5 as the ×10 byte of RFC 3611 §4.7.5 (10–50), or 127 when not computed. */
export function mosToXr(mos: number | undefined): number {
  if (mos === undefined || !Number.isFinite(mos)) return XR_UNAVAILABLE;
  return Math.min(50, Math.max(10, Math.round(mos * 10)));
}

/** R factor 0–100 as the byte of RFC 3611 §4.7.5, or 127 when not computed. */
export function rFactorToXr(r: number | undefined): number {
  if (r === undefined || !Number.isFinite(r)) return XR_UNAVAILABLE;
  return Math.min(100, Math.max(0, Math.round(r)));
}

function bad(message: string): MediapathError {
  return new MediapathError('INVALID_ARGUMENT', `RTCP XR encode: ${message}`, { layer: 'media' });
}

function checkS8(name: string, v: number): void {
  if (!Number.isInteger(v) || v < -128 || v > 127) throw bad(`${name} ${v} is not a signed byte`);
}

export function xrBlockBytes(b: XrBlock): number {
  switch (b.type) {
    case 'voip-metrics':
      return 4 + 4 * VOIP_METRICS_WORDS;
    case 'rrt':
      return 12;
    case 'dlrr':
      return 4 + 12 * b.items.length;
    case 'unknown':
      return 4 + b.body.length;
  }
}

/** Writes one block at `o`; returns the offset after it. Bad fields are our bug: they throw. */
export function writeXrBlock(out: Uint8Array, o: number, b: XrBlock): number {
  switch (b.type) {
    case 'voip-metrics': {
      const bytes8: Array<[string, number]> = [
        ['loss rate', b.lossRate],
        ['discard rate', b.discardRate],
        ['burst density', b.burstDensity],
        ['gap density', b.gapDensity],
        ['RERL', b.rerl],
        ['Gmin', b.gmin],
        ['R factor', b.rFactor],
        ['ext. R factor', b.extRFactor],
        ['MOS-LQ', b.mosLq],
        ['MOS-CQ', b.mosCq],
      ];
      for (const [n, v] of bytes8) if (!isU8(v)) throw bad(`${n} ${v} is not a byte`);
      const words16: Array<[string, number]> = [
        ['burst duration', b.burstDurationMs],
        ['gap duration', b.gapDurationMs],
        ['round trip delay', b.roundTripDelayMs],
        ['end system delay', b.endSystemDelayMs],
        ['JB nominal', b.jbNominalMs],
        ['JB maximum', b.jbMaxMs],
        ['JB abs max', b.jbAbsMaxMs],
      ];
      for (const [n, v] of words16) if (!isU16(v)) throw bad(`${n} ${v} is not a 16-bit value`);
      checkS8('signal level', b.signalLevel);
      checkS8('noise level', b.noiseLevel);
      if (!isU32(b.ssrc)) throw bad(`ssrc ${b.ssrc}`);
      const rx = b.rxConfig;
      if (!Number.isInteger(rx.jbRate) || rx.jbRate < 0 || rx.jbRate > 15) throw bad(`JB rate ${rx.jbRate}`);
      out[o] = XR_BT_VOIP_METRICS;
      out[o + 1] = 0;
      put16(out, o + 2, VOIP_METRICS_WORDS);
      put32(out, o + 4, b.ssrc);
      out[o + 8] = b.lossRate;
      out[o + 9] = b.discardRate;
      out[o + 10] = b.burstDensity;
      out[o + 11] = b.gapDensity;
      put16(out, o + 12, b.burstDurationMs);
      put16(out, o + 14, b.gapDurationMs);
      put16(out, o + 16, b.roundTripDelayMs);
      put16(out, o + 18, b.endSystemDelayMs);
      out[o + 20] = b.signalLevel & 0xff;
      out[o + 21] = b.noiseLevel & 0xff;
      out[o + 22] = b.rerl;
      out[o + 23] = b.gmin;
      out[o + 24] = b.rFactor;
      out[o + 25] = b.extRFactor;
      out[o + 26] = b.mosLq;
      out[o + 27] = b.mosCq;
      out[o + 28] = (PLC_BY_BITS.indexOf(rx.plc) << 6) | (JBA_BY_BITS.indexOf(rx.jitterBuffer) << 4) | rx.jbRate;
      out[o + 29] = 0;
      put16(out, o + 30, b.jbNominalMs);
      put16(out, o + 32, b.jbMaxMs);
      put16(out, o + 34, b.jbAbsMaxMs);
      return o + 36;
    }
    case 'rrt':
      if (!isU32(b.ntp.seconds) || !isU32(b.ntp.fraction)) throw bad('RRT NTP timestamp');
      out[o] = XR_BT_RRT;
      out[o + 1] = 0;
      put16(out, o + 2, 2);
      put32(out, o + 4, b.ntp.seconds);
      put32(out, o + 8, b.ntp.fraction);
      return o + 12;
    case 'dlrr': {
      if (b.items.length * 3 > 0xffff) throw bad(`${b.items.length} DLRR items`);
      out[o] = XR_BT_DLRR;
      out[o + 1] = 0;
      put16(out, o + 2, 3 * b.items.length);
      let p = o + 4;
      for (const it of b.items) {
        if (!isU32(it.ssrc) || !isU32(it.lastRr) || !isU32(it.delaySinceLastRr)) throw bad('DLRR item field');
        put32(out, p, it.ssrc);
        put32(out, p + 4, it.lastRr);
        put32(out, p + 8, it.delaySinceLastRr);
        p += 12;
      }
      return p;
    }
    case 'unknown':
      if (!isU8(b.blockType) || !isU8(b.typeSpecific)) throw bad('unknown block type fields');
      if (b.body.length % 4 !== 0 || b.body.length / 4 > 0xffff) throw bad(`unknown block body of ${b.body.length} bytes`);
      out[o] = b.blockType;
      out[o + 1] = b.typeSpecific;
      put16(out, o + 2, b.body.length / 4);
      out.set(b.body, o + 4);
      return o + 4 + b.body.length;
  }
}

function s8(v: number): number {
  return v >= 128 ? v - 256 : v;
}

/** Maximum blocks read from one XR packet; a datagram of nothing but empty blocks stops here. */
export const XR_MAX_BLOCKS = 128;

/** Parses the report blocks of an XR packet body between `start` and `end` (after its sender SSRC). */
export function readXrBlocks(b: Uint8Array, start: number, end: number): Result<XrBlock[], MediaParseError> {
  const blocks: XrBlock[] = [];
  let o = start;
  while (o < end) {
    if (blocks.length >= XR_MAX_BLOCKS) return rtcpFail(o, `more than ${XR_MAX_BLOCKS} XR blocks`);
    if (end - o < 4) return rtcpFail(o, 'XR block header truncated');
    const bt = b[o]!;
    const typeSpecific = b[o + 1]!;
    const words = u16(b, o + 2);
    const next = o + 4 + 4 * words;
    if (next > end) return rtcpFail(o, `XR block of ${words} words overruns the packet`);
    if (bt === XR_BT_VOIP_METRICS) {
      if (words !== VOIP_METRICS_WORDS) return rtcpFail(o + 2, `VoIP metrics block length ${words}, expected 8`);
      const rx = b[o + 28]!;
      blocks.push({
        type: 'voip-metrics',
        ssrc: u32(b, o + 4),
        lossRate: b[o + 8]!,
        discardRate: b[o + 9]!,
        burstDensity: b[o + 10]!,
        gapDensity: b[o + 11]!,
        burstDurationMs: u16(b, o + 12),
        gapDurationMs: u16(b, o + 14),
        roundTripDelayMs: u16(b, o + 16),
        endSystemDelayMs: u16(b, o + 18),
        signalLevel: s8(b[o + 20]!),
        noiseLevel: s8(b[o + 21]!),
        rerl: b[o + 22]!,
        gmin: b[o + 23]!,
        rFactor: b[o + 24]!,
        extRFactor: b[o + 25]!,
        mosLq: b[o + 26]!,
        mosCq: b[o + 27]!,
        rxConfig: { plc: PLC_BY_BITS[rx >>> 6]!, jitterBuffer: JBA_BY_BITS[(rx >>> 4) & 3]!, jbRate: rx & 0x0f },
        jbNominalMs: u16(b, o + 30),
        jbMaxMs: u16(b, o + 32),
        jbAbsMaxMs: u16(b, o + 34),
      });
    } else if (bt === XR_BT_RRT) {
      if (words !== 2) return rtcpFail(o + 2, `RRT block length ${words}, expected 2`);
      blocks.push({ type: 'rrt', ntp: { seconds: u32(b, o + 4), fraction: u32(b, o + 8) } });
    } else if (bt === XR_BT_DLRR) {
      if (words % 3 !== 0) return rtcpFail(o + 2, `DLRR block length ${words} is not a multiple of 3`);
      const items: DlrrItem[] = [];
      for (let p = o + 4; p < next; p += 12) items.push({ ssrc: u32(b, p), lastRr: u32(b, p + 4), delaySinceLastRr: u32(b, p + 8) });
      blocks.push({ type: 'dlrr', items });
    } else {
      blocks.push({ type: 'unknown', blockType: bt, typeSpecific, body: b.slice(o + 4, next) });
    }
    o = next;
  }
  return ok(blocks);
}
