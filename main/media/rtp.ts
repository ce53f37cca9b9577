import { MediapathError } from '../common/errors';
import { ok, type Result } from '../common/result';
import { rtpFail, type MediaParseError } from './parse-error';
import { isU16, isU32, put16, put32, u16, u32 } from './wire';

/** RFC 3550 §5.1: the fixed header is 12 bytes, followed by 0–15 CSRCs. */
export const RTP_FIXED_HEADER_BYTES = 12;
export const RTP_VERSION = 2;
export const RTP_MAX_CSRCS = 15;

/** RFC 3550 §5.3.1: 16 bits defined by profile, 16-bit length in 32-bit words, then the data. */
export interface RtpHeaderExtension {
  readonly profile: number;
  /** Length must be a multiple of 4 (the wire carries the length in words). */
  readonly data: Uint8Array;
}

export interface RtpPacket {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  readonly extension?: RtpHeaderExtension;
  /** A view into the decoded datagram (no copy). */
  readonly payload: Uint8Array;
  /** Bytes of padding after the payload, 0 when the P bit is clear. */
  readonly paddingLength: number;
}

export interface RtpPacketInit {
  readonly marker?: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs?: readonly number[];
  readonly extension?: RtpHeaderExtension;
  readonly payload: Uint8Array;
  /** 0 for none; else 1–255 bytes, the last of which carries the count (RFC 3550 §5.1, P). */
  readonly paddingLength?: number;
}

function bad(message: string): MediapathError {
  return new MediapathError('INVALID_ARGUMENT', `RTP encode: ${message}`, { layer: 'media' });
}

/** Serialises a packet we built ourselves; a field out of range is our bug, so it throws. */
export function encodeRtp(p: RtpPacketInit): Uint8Array {
  const csrcs = p.csrcs ?? [];
  const pad = p.paddingLength ?? 0;
  if (!isU16(p.sequenceNumber)) throw bad(`sequence number ${p.sequenceNumber}`);
  if (!isU32(p.timestamp)) throw bad(`timestamp ${p.timestamp}`);
  if (!isU32(p.ssrc)) throw bad(`ssrc ${p.ssrc}`);
  if (!Number.isInteger(p.payloadType) || p.payloadType < 0 || p.payloadType > 127) throw bad(`payload type ${p.payloadType}`);
  if (csrcs.length > RTP_MAX_CSRCS) throw bad(`${csrcs.length} CSRCs (max ${RTP_MAX_CSRCS})`);
  for (const c of csrcs) if (!isU32(c)) throw bad(`csrc ${c}`);
  if (!Number.isInteger(pad) || pad < 0 || pad > 255) throw bad(`padding ${pad}`);
  const ext = p.extension;
  if (ext) {
    if (!isU16(ext.profile)) throw bad(`extension profile ${ext.profile}`);
    if (ext.data.length % 4 !== 0 || ext.data.length / 4 > 0xffff) throw bad(`extension length ${ext.data.length}`);
  }
  const headerLen = RTP_FIXED_HEADER_BYTES + 4 * csrcs.length + (ext ? 4 + ext.data.length : 0);
  const out = new Uint8Array(headerLen + p.payload.length + pad);
  out[0] = (RTP_VERSION << 6) | (pad > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  out[1] = (p.marker ? 0x80 : 0) | p.payloadType;
  put16(out, 2, p.sequenceNumber);
  put32(out, 4, p.timestamp);
  put32(out, 8, p.ssrc);
  let o = RTP_FIXED_HEADER_BYTES;
  for (const c of csrcs) {
    put32(out, o, c);
    o += 4;
  }
  if (ext) {
    put16(out, o, ext.profile);
    put16(out, o + 2, ext.data.length / 4);
    out.set(ext.data, o + 4);
    o += 4 + ext.data.length;
  }
  out.set(p.payload, o);
  // RFC 3550 §5.1: padding octets are zero except the last, which counts them all.
  if (pad > 0) out[out.length - 1] = pad;
  return out;
}

/** Parses an RTP datagram. Never throws; every length is checked against the datagram first. */
export function decodeRtp(b: Uint8Array): Result<RtpPacket, MediaParseError> {
  if (b.length < RTP_FIXED_HEADER_BYTES) return rtpFail(0, `${b.length} bytes, shorter than the 12-byte header`);
  const version = b[0]! >>> 6;
  if (version !== RTP_VERSION) return rtpFail(0, `version ${version}, expected 2`);
  const hasPadding = (b[0]! & 0x20) !== 0;
  const hasExtension = (b[0]! & 0x10) !== 0;
  const cc = b[0]! & 0x0f;
  let o = RTP_FIXED_HEADER_BYTES;
  if (b.length < o + 4 * cc) return rtpFail(o, `${cc} CSRCs do not fit in ${b.length} bytes`);
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++, o += 4) csrcs.push(u32(b, o));
  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    if (b.length < o + 4) return rtpFail(o, 'header extension header truncated');
    const words = u16(b, o + 2);
    if (b.length < o + 4 + 4 * words) return rtpFail(o, `header extension of ${words} words does not fit`);
    extension = { profile: u16(b, o), data: b.subarray(o + 4, o + 4 + 4 * words) };
    o += 4 + 4 * words;
  }
  let end = b.length;
  let paddingLength = 0;
  if (hasPadding) {
    paddingLength = b[b.length - 1]!;
    // The count includes itself, so 0 is malformed; it may not eat into the header.
    if (paddingLength === 0) return rtpFail(b.length - 1, 'padding count 0 with the P bit set');
    if (paddingLength > b.length - o) return rtpFail(b.length - 1, `padding count ${paddingLength} exceeds the ${b.length - o} bytes after the header`);
    end -= paddingLength;
  }
  return ok({
    marker: (b[1]! & 0x80) !== 0,
    payloadType: b[1]! & 0x7f,
    sequenceNumber: u16(b, 2),
    timestamp: u32(b, 4),
    ssrc: u32(b, 8),
    csrcs,
    ...(extension ? { extension } : {}),
    payload: b.subarray(o, end),
    paddingLength,
  });
}
