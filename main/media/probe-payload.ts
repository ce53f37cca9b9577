import { MediapathError } from '../common/errors';
import { ok, type Result } from '../common/result';
import { rtpFail, type MediaParseError } from './parse-error';
import { put32, u32 } from './wire';

/**
 * The payload of our synthetic audio: when both ends are mediapath, each packet says when it was
 * sent and which packet it is, so the receiver can count loss from the sender's own numbering
 * (independent of RTP sequence wrap and probation) and, with a shared clock (the lab), measure
 * one-way delay exactly. The rest of the frame is the codec's silence byte, so packet sizes
 * match the imitated codec on the wire.
 *
 *   0..3   magic "mptb"
 *   4      version (1)
 *   5..7   reserved, zero
 *   8..15  send time, µs of the sender's injected clock (unsigned 64-bit)
 *   16..19 extended sequence number (unsigned 32-bit, first packet 0)
 */
export const PROBE_MAGIC = 0x6d707462;
export const PROBE_VERSION = 1;
export const PROBE_HEADER_BYTES = 20;

export interface ProbePayload {
  readonly sendTimeUs: number;
  readonly extSeq: number;
}

/** Builds a probe payload of `frameBytes` (at least the 20-byte header), padded with `fillByte`. */
export function encodeProbePayload(p: ProbePayload, frameBytes: number, fillByte = 0): Uint8Array {
  if (!Number.isSafeInteger(p.sendTimeUs) || p.sendTimeUs < 0) {
    throw new MediapathError('INVALID_ARGUMENT', `probe send time ${p.sendTimeUs} µs`, { layer: 'media' });
  }
  if (!Number.isInteger(p.extSeq) || p.extSeq < 0 || p.extSeq > 0xffffffff) {
    throw new MediapathError('INVALID_ARGUMENT', `probe sequence ${p.extSeq}`, { layer: 'media' });
  }
  const out = new Uint8Array(Math.max(PROBE_HEADER_BYTES, frameBytes));
  if (out.length > PROBE_HEADER_BYTES) out.fill(fillByte, PROBE_HEADER_BYTES);
  put32(out, 0, PROBE_MAGIC);
  out[4] = PROBE_VERSION;
  put32(out, 8, Math.floor(p.sendTimeUs / 0x1_0000_0000));
  put32(out, 12, p.sendTimeUs % 0x1_0000_0000);
  put32(out, 16, p.extSeq);
  return out;
}

/** Reads a probe payload; anything else (a real codec's bytes, a foreign sender) is an error. */
export function decodeProbePayload(b: Uint8Array): Result<ProbePayload, MediaParseError> {
  if (b.length < PROBE_HEADER_BYTES) return rtpFail(0, `payload of ${b.length} bytes is shorter than a probe header`);
  if (u32(b, 0) !== PROBE_MAGIC) return rtpFail(0, 'payload does not start with the probe magic');
  if (b[4] !== PROBE_VERSION) return rtpFail(4, `probe version ${b[4]}, expected ${PROBE_VERSION}`);
  const hi = u32(b, 8);
  // 2^53 µs is 285 years; a larger value cannot come from our clock.
  if (hi >= 0x200000) return rtpFail(8, 'probe send time beyond 2^53 µs');
  return ok({ sendTimeUs: hi * 0x1_0000_0000 + u32(b, 12), extSeq: u32(b, 16) });
}

/** Microseconds of an injected clock's `now()` (milliseconds, fractional), as a probe carries them. */
export function clockMsToProbeUs(ms: number): number {
  return Math.max(0, Math.round(ms * 1000));
}
