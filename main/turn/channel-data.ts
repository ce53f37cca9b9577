/**
 * ChannelData messages (RFC 8656 §12.4): a 4-byte header (channel number 0x4000–0x4FFF, data
 * length) and the data. Over UDP the padding is optional; over TCP/TLS the message is padded to a
 * multiple of 4 (§12.5) so the stream stays aligned.
 */
export const MIN_CHANNEL = 0x4000;
export const MAX_CHANNEL = 0x4fff;

export function isChannelNumber(n: number): boolean {
  return n >= MIN_CHANNEL && n <= MAX_CHANNEL;
}

export function looksLikeChannelData(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && (bytes[0]! & 0xc0) === 0x40;
}

export function encodeChannelData(channel: number, data: Uint8Array, padForStream: boolean): Uint8Array {
  const len = data.length;
  const total = 4 + (padForStream ? (len + 3) & ~3 : len);
  const out = new Uint8Array(total);
  out[0] = channel >>> 8;
  out[1] = channel & 0xff;
  out[2] = len >>> 8;
  out[3] = len & 0xff;
  out.set(data, 4);
  return out;
}

/** Returns undefined for anything that is not a well-formed ChannelData message. */
export function decodeChannelData(bytes: Uint8Array): { channel: number; data: Uint8Array } | undefined {
  if (bytes.length < 4) return undefined;
  const channel = (bytes[0]! << 8) | bytes[1]!;
  if (!isChannelNumber(channel)) return undefined;
  const len = (bytes[2]! << 8) | bytes[3]!;
  if (4 + len > bytes.length) return undefined;
  return { channel, data: bytes.subarray(4, 4 + len) };
}
