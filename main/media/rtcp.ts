import { MediapathError } from '../common/errors';
import { ok, type Result } from '../common/result';
import type { NtpTime } from './ntp';
import { rtcpFail, type MediaParseError } from './parse-error';
import { readXrBlocks, writeXrBlock, xrBlockBytes, type XrBlock } from './rtcp-xr';
import { isU32, isU8, put16, put24, put32, u16, u24, u32 } from './wire';

/** RFC 3550 §12.1 and RFC 3611 §2: RTCP packet types. */
export const RTCP_PT = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204, XR: 207 } as const;

/** RFC 3550 §12.2: SDES item types. */
export const SDES = { END: 0, CNAME: 1, NAME: 2, EMAIL: 3, PHONE: 4, LOC: 5, TOOL: 6, NOTE: 7, PRIV: 8 } as const;

/** RFC 3550 §6.4.1 report block: what a receiver says about one source. */
export interface ReportBlock {
  readonly ssrc: number;
  /** Fraction lost since the previous report, ×256 (8 bits). */
  readonly fractionLost: number;
  /** Cumulative packets lost, signed 24 bits (duplicates can make it negative). */
  readonly cumulativeLost: number;
  readonly extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units (RFC 3550 §6.4.1, A.8). */
  readonly jitter: number;
  /** Middle 32 bits of the NTP time of the last SR from this source, 0 if none. */
  readonly lsr: number;
  /** Delay since that SR, in 1/65536 s. */
  readonly dlsr: number;
}

export interface RtcpSenderReport {
  readonly type: 'sr';
  readonly ssrc: number;
  readonly ntp: NtpTime;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
  readonly reports: readonly ReportBlock[];
  /** Profile-specific extension after the report blocks (RFC 3550 §6.4.1), if any. */
  readonly extension?: Uint8Array;
}

export interface RtcpReceiverReport {
  readonly type: 'rr';
  readonly ssrc: number;
  readonly reports: readonly ReportBlock[];
  readonly extension?: Uint8Array;
}

export interface SdesItem {
  readonly type: number;
  readonly text: string;
}

export interface SdesChunk {
  readonly ssrc: number;
  readonly items: readonly SdesItem[];
}

export interface RtcpSdes {
  readonly type: 'sdes';
  readonly chunks: readonly SdesChunk[];
}

export interface RtcpBye {
  readonly type: 'bye';
  readonly ssrcs: readonly number[];
  readonly reason?: string;
}

export interface RtcpApp {
  readonly type: 'app';
  readonly subtype: number;
  readonly ssrc: number;
  /** Four ASCII characters (RFC 3550 §6.7). */
  readonly name: string;
  readonly data: Uint8Array;
}

export interface RtcpXr {
  readonly type: 'xr';
  readonly ssrc: number;
  readonly blocks: readonly XrBlock[];
}

/** Any other packet type (RTPFB/PSFB feedback and future types), kept byte for byte. */
export interface RtcpUnknown {
  readonly type: 'unknown';
  readonly packetType: number;
  /** The 5-bit count/format field. */
  readonly count: number;
  readonly body: Uint8Array;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpApp | RtcpXr | RtcpUnknown;

/** Hard limits: a compound larger than this is hostile, not a report. */
export const RTCP_MAX_PACKETS = 256;
const MAX_COUNT = 31;

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

function bad(message: string): MediapathError {
  return new MediapathError('INVALID_ARGUMENT', `RTCP encode: ${message}`, { layer: 'media' });
}

// ---------------------------------------------------------------------------------------------
// Encoding

function reportBlocksBytes(n: number): number {
  if (n > MAX_COUNT) throw bad(`${n} report blocks (max 31 per packet)`);
  return 24 * n;
}

function writeReportBlock(out: Uint8Array, o: number, r: ReportBlock): void {
  if (!isU32(r.ssrc) || !isU8(r.fractionLost) || !isU32(r.extendedHighestSeq) || !isU32(r.jitter) || !isU32(r.lsr) || !isU32(r.dlsr)) {
    throw bad(`report block field out of range for ssrc ${r.ssrc}`);
  }
  if (!Number.isInteger(r.cumulativeLost)) throw bad(`cumulative lost ${r.cumulativeLost}`);
  put32(out, o, r.ssrc);
  out[o + 4] = r.fractionLost;
  put24(out, o + 5, clampCumulativeLost(r.cumulativeLost) & 0xffffff);
  put32(out, o + 8, r.extendedHighestSeq);
  put32(out, o + 12, r.jitter);
  put32(out, o + 16, r.lsr);
  put32(out, o + 20, r.dlsr);
}

/** RFC 3550 §6.4.1: cumulative lost is a signed 24-bit field; larger magnitudes saturate. */
export function clampCumulativeLost(n: number): number {
  return Math.max(-0x800000, Math.min(0x7fffff, n));
}

function sdesChunkBytes(c: SdesChunk): { size: number; items: Array<{ type: number; bytes: Uint8Array }> } {
  const items = c.items.map((it) => {
    if (!Number.isInteger(it.type) || it.type < 1 || it.type > 255) throw bad(`SDES item type ${it.type}`);
    const bytes = utf8Encoder.encode(it.text);
    if (bytes.length > 255) throw bad(`SDES item of ${bytes.length} bytes (max 255)`);
    return { type: it.type, bytes };
  });
  const raw = 4 + items.reduce((n, it) => n + 2 + it.bytes.length, 0);
  // At least one null octet ends the item list, then pad to the next 32-bit boundary (§6.5).
  return { size: (raw + 1 + 3) & ~3, items };
}

function packetBodyBytes(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
      return 24 + reportBlocksBytes(p.reports.length) + (p.extension?.length ?? 0);
    case 'rr':
      return 4 + reportBlocksBytes(p.reports.length) + (p.extension?.length ?? 0);
    case 'sdes':
      if (p.chunks.length > MAX_COUNT) throw bad(`${p.chunks.length} SDES chunks (max 31)`);
      return p.chunks.reduce((n, c) => n + sdesChunkBytes(c).size, 0);
    case 'bye': {
      if (p.ssrcs.length > MAX_COUNT) throw bad(`${p.ssrcs.length} BYE sources (max 31)`);
      const reason = p.reason === undefined ? 0 : (1 + utf8Encoder.encode(p.reason).length + 3) & ~3;
      return 4 * p.ssrcs.length + reason;
    }
    case 'app':
      return 8 + p.data.length;
    case 'xr':
      return 4 + p.blocks.reduce((n, b) => n + xrBlockBytes(b), 0);
    case 'unknown':
      return p.body.length;
  }
}

function writeHeader(out: Uint8Array, o: number, count: number, pt: number, totalBytes: number): void {
  out[o] = 0x80 | count;
  out[o + 1] = pt;
  put16(out, o + 2, totalBytes / 4 - 1);
}

function writePacket(out: Uint8Array, o: number, p: RtcpPacket, total: number): void {
  let q = o + 4;
  switch (p.type) {
    case 'sr':
    case 'rr': {
      if (!isU32(p.ssrc)) throw bad(`ssrc ${p.ssrc}`);
      if (p.extension && p.extension.length % 4 !== 0) throw bad('profile extension is not a multiple of 4 bytes');
      writeHeader(out, o, p.reports.length, p.type === 'sr' ? RTCP_PT.SR : RTCP_PT.RR, total);
      put32(out, q, p.ssrc);
      q += 4;
      if (p.type === 'sr') {
        if (!isU32(p.ntp.seconds) || !isU32(p.ntp.fraction) || !isU32(p.rtpTimestamp) || !isU32(p.packetCount) || !isU32(p.octetCount)) {
          throw bad('sender info field out of range');
        }
        put32(out, q, p.ntp.seconds);
        put32(out, q + 4, p.ntp.fraction);
        put32(out, q + 8, p.rtpTimestamp);
        put32(out, q + 12, p.packetCount);
        put32(out, q + 16, p.octetCount);
        q += 20;
      }
      for (const r of p.reports) {
        writeReportBlock(out, q, r);
        q += 24;
      }
      if (p.extension) out.set(p.extension, q);
      return;
    }
    case 'sdes':
      writeHeader(out, o, p.chunks.length, RTCP_PT.SDES, total);
      for (const c of p.chunks) {
        if (!isU32(c.ssrc)) throw bad(`ssrc ${c.ssrc}`);
        const { size, items } = sdesChunkBytes(c);
        put32(out, q, c.ssrc);
        let r = q + 4;
        for (const it of items) {
          out[r] = it.type;
          out[r + 1] = it.bytes.length;
          out.set(it.bytes, r + 2);
          r += 2 + it.bytes.length;
        }
        // The rest of the chunk is already zero: the END item and its padding.
        q += size;
      }
      return;
    case 'bye':
      writeHeader(out, o, p.ssrcs.length, RTCP_PT.BYE, total);
      for (const s of p.ssrcs) {
        if (!isU32(s)) throw bad(`ssrc ${s}`);
        put32(out, q, s);
        q += 4;
      }
      if (p.reason !== undefined) {
        const bytes = utf8Encoder.encode(p.reason);
        if (bytes.length > 255) throw bad(`BYE reason of ${bytes.length} bytes (max 255)`);
        out[q] = bytes.length;
        out.set(bytes, q + 1);
      }
      return;
    case 'app': {
      if (!Number.isInteger(p.subtype) || p.subtype < 0 || p.subtype > MAX_COUNT) throw bad(`APP subtype ${p.subtype}`);
      if (!/^[\x20-\x7e]{4}$/.test(p.name)) throw bad(`APP name ${JSON.stringify(p.name)} is not 4 ASCII characters`);
      if (p.data.length % 4 !== 0) throw bad('APP data is not a multiple of 4 bytes');
      if (!isU32(p.ssrc)) throw bad(`ssrc ${p.ssrc}`);
      writeHeader(out, o, p.subtype, RTCP_PT.APP, total);
      put32(out, q, p.ssrc);
      for (let i = 0; i < 4; i++) out[q + 4 + i] = p.name.charCodeAt(i);
      out.set(p.data, q + 8);
      return;
    }
    case 'xr':
      if (!isU32(p.ssrc)) throw bad(`ssrc ${p.ssrc}`);
      writeHeader(out, o, 0, RTCP_PT.XR, total);
      put32(out, q, p.ssrc);
      q += 4;
      for (const b of p.blocks) q = writeXrBlock(out, q, b);
      return;
    case 'unknown':
      if (!isU8(p.packetType) || !Number.isInteger(p.count) || p.count < 0 || p.count > MAX_COUNT) throw bad('unknown packet header');
      if (p.body.length % 4 !== 0) throw bad('unknown packet body is not a multiple of 4 bytes');
      writeHeader(out, o, p.count, p.packetType, total);
      out.set(p.body, q);
      return;
  }
}

/**
 * Serialises a compound packet (RFC 3550 §6.1). The caller orders it: SR or RR first, SDES with a
 * CNAME, then the rest; `validateCompoundOrder` checks that. No padding is added (it exists for
 * SRTCP block ciphers, which we do not use).
 */
export function encodeRtcpCompound(packets: readonly RtcpPacket[]): Uint8Array {
  if (packets.length === 0) throw bad('empty compound packet');
  if (packets.length > RTCP_MAX_PACKETS) throw bad(`${packets.length} packets in one compound`);
  const sizes = packets.map((p) => 4 + packetBodyBytes(p));
  for (const s of sizes) if (s / 4 - 1 > 0xffff) throw bad(`packet of ${s} bytes`);
  const out = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  let o = 0;
  packets.forEach((p, i) => {
    writePacket(out, o, p, sizes[i]!);
    o += sizes[i]!;
  });
  return out;
}

/** The checks RFC 3550 §6.1 puts on what we send: a report first and a CNAME somewhere. */
export function validateCompoundOrder(packets: readonly RtcpPacket[]): string | undefined {
  const first = packets[0];
  if (!first || (first.type !== 'sr' && first.type !== 'rr')) return 'a compound packet must start with SR or RR';
  if (!packets.some((p) => p.type === 'sdes' && p.chunks.some((c) => c.items.some((i) => i.type === SDES.CNAME)))) {
    return 'a compound packet must carry an SDES CNAME';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface RtcpDecodeOptions {
  /**
   * RFC 3550 §A.2 validity checks: the first packet is SR or RR. Off accepts reduced-size RTCP
   * (RFC 5506), where any packet type may come alone. Version, lengths and padding are always
   * checked.
   */
  readonly strict?: boolean;
}

function readReportBlock(b: Uint8Array, o: number): ReportBlock {
  const lost = u24(b, o + 5);
  return {
    ssrc: u32(b, o),
    fractionLost: b[o + 4]!,
    cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
    extendedHighestSeq: u32(b, o + 8),
    jitter: u32(b, o + 12),
    lsr: u32(b, o + 16),
    dlsr: u32(b, o + 20),
  };
}

function readReports(b: Uint8Array, o: number, end: number, count: number): Result<{ reports: ReportBlock[]; extension?: Uint8Array }, MediaParseError> {
  if (o + 24 * count > end) return rtcpFail(o, `${count} report blocks do not fit in the packet`);
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count; i++) reports.push(readReportBlock(b, o + 24 * i));
  const extStart = o + 24 * count;
  return ok(extStart < end ? { reports, extension: b.slice(extStart, end) } : { reports });
}

function readSdes(b: Uint8Array, start: number, end: number, count: number): Result<RtcpSdes, MediaParseError> {
  const chunks: SdesChunk[] = [];
  let o = start;
  for (let c = 0; c < count; c++) {
    if (o + 4 > end) return rtcpFail(o, `SDES chunk ${c} truncated`);
    const ssrc = u32(b, o);
    o += 4;
    const items: SdesItem[] = [];
    for (;;) {
      if (o >= end) return rtcpFail(o, `SDES chunk ${c} has no END item`);
      const type = b[o]!;
      if (type === SDES.END) {
        // Skip the END octet and the zero padding up to the next 32-bit boundary.
        o = (o + 1 + 3) & ~3;
        break;
      }
      if (o + 2 > end) return rtcpFail(o, 'SDES item header truncated');
      const len = b[o + 1]!;
      if (o + 2 + len > end) return rtcpFail(o, `SDES item of ${len} bytes overruns the packet`);
      items.push({ type, text: utf8Decoder.decode(b.subarray(o + 2, o + 2 + len)) });
      o += 2 + len;
    }
    if (o > end) return rtcpFail(end, `SDES chunk ${c} padding overruns the packet`);
    chunks.push({ ssrc, items });
  }
  return ok({ type: 'sdes', chunks });
}

function readPacket(b: Uint8Array, o: number, end: number, count: number, pt: number): Result<RtcpPacket, MediaParseError> {
  const body = o + 4;
  switch (pt) {
    case RTCP_PT.SR: {
      if (body + 24 > end) return rtcpFail(body, 'SR sender info truncated');
      const r = readReports(b, body + 24, end, count);
      if (!r.ok) return r;
      return ok({
        type: 'sr',
        ssrc: u32(b, body),
        ntp: { seconds: u32(b, body + 4), fraction: u32(b, body + 8) },
        rtpTimestamp: u32(b, body + 12),
        packetCount: u32(b, body + 16),
        octetCount: u32(b, body + 20),
        ...r.value,
      });
    }
    case RTCP_PT.RR: {
      if (body + 4 > end) return rtcpFail(body, 'RR sender SSRC truncated');
      const r = readReports(b, body + 4, end, count);
      if (!r.ok) return r;
      return ok({ type: 'rr', ssrc: u32(b, body), ...r.value });
    }
    case RTCP_PT.SDES:
      return readSdes(b, body, end, count);
    case RTCP_PT.BYE: {
      if (body + 4 * count > end) return rtcpFail(body, `${count} BYE sources do not fit`);
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(u32(b, body + 4 * i));
      const r = body + 4 * count;
      if (r < end) {
        const len = b[r]!;
        if (r + 1 + len > end) return rtcpFail(r, `BYE reason of ${len} bytes overruns the packet`);
        return ok({ type: 'bye', ssrcs, reason: utf8Decoder.decode(b.subarray(r + 1, r + 1 + len)) });
      }
      return ok({ type: 'bye', ssrcs });
    }
    case RTCP_PT.APP: {
      if (body + 8 > end) return rtcpFail(body, 'APP header truncated');
      const name = String.fromCharCode(b[body + 4]!, b[body + 5]!, b[body + 6]!, b[body + 7]!);
      return ok({ type: 'app', subtype: count, ssrc: u32(b, body), name, data: b.slice(body + 8, end) });
    }
    case RTCP_PT.XR: {
      if (body + 4 > end) return rtcpFail(body, 'XR sender SSRC truncated');
      const blocks = readXrBlocks(b, body + 4, end);
      if (!blocks.ok) return blocks;
      return ok({ type: 'xr', ssrc: u32(b, body), blocks: blocks.value });
    }
    default:
      return ok({ type: 'unknown', packetType: pt, count, body: b.slice(body, end) });
  }
}

/**
 * Parses a compound RTCP packet. Never throws: lengths are checked before every read, counts are
 * bounded by the packet length, and at most RTCP_MAX_PACKETS packets are read.
 * Validity follows RFC 3550 §A.2: version 2 throughout, lengths that add up to the datagram, and
 * padding only on the last packet; with `strict` (default) the first packet must be SR or RR.
 */
export function decodeRtcpCompound(b: Uint8Array, opts: RtcpDecodeOptions = {}): Result<RtcpPacket[], MediaParseError> {
  const strict = opts.strict ?? true;
  if (b.length < 4) return rtcpFail(0, `${b.length} bytes, shorter than an RTCP header`);
  if (b.length % 4 !== 0) return rtcpFail(0, `${b.length} bytes is not a multiple of 4`);
  const packets: RtcpPacket[] = [];
  let o = 0;
  while (o < b.length) {
    if (packets.length >= RTCP_MAX_PACKETS) return rtcpFail(o, `more than ${RTCP_MAX_PACKETS} packets in one compound`);
    if (b.length - o < 4) return rtcpFail(o, 'packet header truncated');
    const version = b[o]! >>> 6;
    if (version !== 2) return rtcpFail(o, `version ${version}, expected 2`);
    const padded = (b[o]! & 0x20) !== 0;
    const count = b[o]! & 0x1f;
    const pt = b[o + 1]!;
    if (packets.length === 0 && strict && pt !== RTCP_PT.SR && pt !== RTCP_PT.RR) {
      return rtcpFail(o + 1, `first packet type ${pt}, expected SR (200) or RR (201)`);
    }
    const len = 4 * (u16(b, o + 2) + 1);
    const next = o + len;
    if (next > b.length) return rtcpFail(o + 2, `packet length ${len} overruns the ${b.length - o} bytes left`);
    let end = next;
    if (padded) {
      // RFC 3550 §6.4.1 / A.2: only the last packet of a compound may be padded.
      if (next !== b.length) return rtcpFail(o, 'padding bit set on a packet that is not the last');
      const pad = b[next - 1]!;
      if (pad === 0 || pad > len - 4) return rtcpFail(next - 1, `padding count ${pad} invalid for a ${len}-byte packet`);
      end = next - pad;
    }
    const p = readPacket(b, o, end, count, pt);
    if (!p.ok) return p;
    packets.push(p.value);
    o = next;
  }
  return ok(packets);
}

/** The CNAME a compound carries for `ssrc`, if any. */
export function cnameOf(packets: readonly RtcpPacket[], ssrc: number): string | undefined {
  for (const p of packets) {
    if (p.type !== 'sdes') continue;
    for (const c of p.chunks) if (c.ssrc === ssrc) for (const it of c.items) if (it.type === SDES.CNAME) return it.text;
  }
  return undefined;
}
