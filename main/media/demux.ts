/**
 * What a datagram on a media port is, from its first two bytes: one port may carry STUN checks,
 * RTP and RTCP (rtcp-mux), and DTLS. RFC 7983 §7 splits by the first byte; RFC 5761 §4 splits RTP
 * from RTCP by the second (RTCP packet types 192–223 never collide with the RTP payload types a
 * muxed session may use).
 */
export type DatagramKind = 'stun' | 'dtls' | 'turn-channel' | 'rtp' | 'rtcp' | 'unknown';

export function classifyDatagram(b: Uint8Array): DatagramKind {
  if (b.length < 2) return 'unknown';
  const first = b[0]!;
  if (first <= 3) return 'stun';
  if (first >= 20 && first <= 63) return 'dtls';
  if (first >= 64 && first <= 79) return 'turn-channel';
  if (first >= 128 && first <= 191) {
    const second = b[1]!;
    return second >= 192 && second <= 223 ? 'rtcp' : 'rtp';
  }
  return 'unknown';
}
