import { err, ok, type Result } from '../common/result';
import {
  attributeOf,
  attributesOf,
  type Connection,
  type Direction,
  type MediaDescription,
  type RemoteCandidate,
  type SdpAttribute,
  type SdpCandidate,
  type SessionDescription,
} from './types';

/** An audio payload format (RFC 3551 static types, or dynamic with an rtpmap). */
export interface AudioCodec {
  readonly payloadType: number;
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels?: number;
  readonly fmtp?: string;
}

export const PCMU: AudioCodec = { payloadType: 0, encoding: 'PCMU', clockRate: 8000 };
export const PCMA: AudioCodec = { payloadType: 8, encoding: 'PCMA', clockRate: 8000 };
/** RFC 4733 DTMF events 0-16 on 101, as Lync and most phones use it. */
export const TELEPHONE_EVENT: AudioCodec = { payloadType: 101, encoding: 'telephone-event', clockRate: 8000, fmtp: '0-16' };
export const DEFAULT_AUDIO_CODECS: readonly AudioCodec[] = [PCMU, PCMA, TELEPHONE_EVENT];

/** RFC 3551 §6 static payload types an offer may use without an rtpmap. */
const STATIC_TYPES: ReadonlyMap<number, AudioCodec> = new Map([
  [0, PCMU],
  [3, { payloadType: 3, encoding: 'GSM', clockRate: 8000 }],
  [8, PCMA],
  [9, { payloadType: 9, encoding: 'G722', clockRate: 8000 }],
  [13, { payloadType: 13, encoding: 'CN', clockRate: 8000 }],
  [18, { payloadType: 18, encoding: 'G729', clockRate: 8000 }],
]);

export interface AudioSdpInput {
  readonly sessionId: string;
  readonly sessionVersion?: string;
  readonly username?: string;
  /** Goes into o= and the session c= line. */
  readonly address: string;
  readonly port: number;
  /** `RTP/AVP` by default; Lync uses `TCP/RTP/AVP` when it offers no UDP candidate. */
  readonly protocol?: string;
  readonly codecs?: readonly AudioCodec[];
  readonly ptime?: number;
  readonly direction?: Direction;
  readonly rtcpPort?: number;
  readonly rtcpMux?: boolean;
  readonly ice?: {
    readonly ufrag?: string;
    readonly pwd?: string;
    readonly candidates: readonly SdpCandidate[];
    /** Lync writes IPv6 candidates as `a=x-candidate-ipv6`; RFC peers as `a=candidate`. */
    readonly ipv6Attribute?: 'candidate' | 'x-candidate-ipv6';
    /** v19 re-INVITE: the chosen remote candidates (RFC 5245 §9.1.2.2). */
    readonly remoteCandidates?: readonly RemoteCandidate[];
    /** Draft-6 re-INVITE: the chosen remote candidate's username. */
    readonly remoteCandidate?: string;
  };
  readonly label?: string;
  readonly ssrcRange?: { readonly first: number; readonly last: number };
  /** Session `b=CT:` in kbps (Lync writes 99980). */
  readonly bandwidthCT?: number;
  readonly sessionAttributes?: readonly SdpAttribute[];
  readonly mediaAttributes?: readonly SdpAttribute[];
}

/** One audio stream, attributes in the order Lync writes them. */
export function buildAudioSdp(p: AudioSdpInput): SessionDescription {
  const family = p.address.includes(':') ? 'IP6' : 'IP4';
  const connection: Connection = { netType: 'IN', addrType: family, address: p.address };
  const codecs = p.codecs ?? DEFAULT_AUDIO_CODECS;
  const a: SdpAttribute[] = [];
  if (p.ssrcRange) a.push({ kind: 'x-ssrc-range', ...p.ssrcRange });
  if (p.label) a.push({ kind: 'label', value: p.label });
  if (p.ice?.ufrag) a.push({ kind: 'ice-ufrag', value: p.ice.ufrag });
  if (p.ice?.pwd) a.push({ kind: 'ice-pwd', value: p.ice.pwd });
  for (const c of p.ice?.candidates ?? []) {
    const v6 = c.ip.includes(':') && p.ice?.ipv6Attribute === 'x-candidate-ipv6';
    a.push({ kind: 'candidate', name: v6 ? 'x-candidate-ipv6' : 'candidate', candidate: c });
  }
  if (p.ice?.remoteCandidates?.length) a.push({ kind: 'remote-candidates', candidates: p.ice.remoteCandidates });
  if (p.ice?.remoteCandidate) a.push({ kind: 'remote-candidate', username: p.ice.remoteCandidate });
  if (p.rtcpPort !== undefined) a.push({ kind: 'rtcp', port: p.rtcpPort });
  if (p.rtcpMux) a.push({ kind: 'rtcp-mux' });
  for (const c of codecs) {
    a.push({ kind: 'rtpmap', payloadType: c.payloadType, encoding: c.encoding, clockRate: c.clockRate, ...(c.channels ? { channels: c.channels } : {}) });
    if (c.fmtp !== undefined) a.push({ kind: 'fmtp', payloadType: c.payloadType, params: c.fmtp });
  }
  if (p.ptime !== undefined) a.push({ kind: 'ptime', ms: p.ptime });
  if (p.direction) a.push({ kind: 'direction', direction: p.direction });
  a.push(...(p.mediaAttributes ?? []));
  return {
    origin: { username: p.username ?? '-', sessionId: p.sessionId, sessionVersion: p.sessionVersion ?? '0', connection },
    sessionName: 'session',
    connection,
    bandwidths: p.bandwidthCT !== undefined ? [{ type: 'CT', value: p.bandwidthCT }] : [],
    timing: { start: '0', stop: '0' },
    attributes: [...(p.sessionAttributes ?? [])],
    otherLines: [],
    media: [
      {
        type: 'audio',
        port: p.port,
        protocol: p.protocol ?? 'RTP/AVP',
        formats: codecs.map((c) => String(c.payloadType)),
        bandwidths: [],
        attributes: a,
        otherLines: [],
      },
    ],
  };
}

/** RFC 3264 §8: a new offer in the same session carries the version plus one. */
export function nextSessionVersion(d: SessionDescription): SessionDescription {
  return { ...d, origin: { ...d.origin, sessionVersion: (BigInt(d.origin.sessionVersion) + 1n).toString() } };
}

export interface NegotiationError {
  readonly code: 'SDP_NEGOTIATION_FAILED';
  readonly reason: string;
}

export interface NegotiatedAudio {
  /** Index of the audio section in the offer (the answer keeps the same m= order). */
  readonly mediaIndex: number;
  /** Common codecs with the offer's payload types, in the offer's order (RFC 3264 §6.1). */
  readonly codecs: readonly AudioCodec[];
  /** Our direction in the answer. */
  readonly direction: Direction;
  /** Where the peer wants RTP (before ICE picks anything better). */
  readonly remote: { readonly address: string; readonly port: number; readonly rtcpPort: number; readonly rtcpMux: boolean };
}

/** The codecs an offer lists for a media section, resolving static types without rtpmap. */
export function offeredCodecs(m: MediaDescription): AudioCodec[] {
  const maps = attributesOf(m, 'rtpmap');
  const fmtps = attributesOf(m, 'fmtp');
  const out: AudioCodec[] = [];
  for (const f of m.formats) {
    const pt = /^\d{1,3}$/.test(f) ? Number(f) : NaN;
    if (!(pt >= 0 && pt <= 127)) continue;
    const map = maps.find((x) => x.payloadType === pt);
    const base = map ? { payloadType: pt, encoding: map.encoding, clockRate: map.clockRate, ...(map.channels ? { channels: map.channels } : {}) } : STATIC_TYPES.get(pt);
    if (!base) continue;
    const fmtp = fmtps.find((x) => x.payloadType === pt);
    out.push(fmtp ? { ...base, fmtp: fmtp.params } : base);
  }
  return out;
}

function sameCodec(a: AudioCodec, b: AudioCodec): boolean {
  return a.encoding.toLowerCase() === b.encoding.toLowerCase() && a.clockRate === b.clockRate && (a.channels ?? 1) === (b.channels ?? 1);
}

/**
 * RFC 3264 §6: answer the first active audio stream of an offer with the codecs we share. A
 * stream with only telephone-event in common is refused (there would be no voice).
 */
export function negotiateAudio(
  offer: SessionDescription,
  local: readonly AudioCodec[] = DEFAULT_AUDIO_CODECS,
  localDirection: Direction = 'sendrecv',
): Result<NegotiatedAudio, NegotiationError> {
  const mediaIndex = offer.media.findIndex((m) => m.type === 'audio' && m.port !== 0);
  if (mediaIndex < 0) return err({ code: 'SDP_NEGOTIATION_FAILED', reason: 'no active audio stream in the offer' });
  const m = offer.media[mediaIndex]!;
  if (!/^(TCP\/)?RTP\/S?AVP$/i.test(m.protocol)) {
    return err({ code: 'SDP_NEGOTIATION_FAILED', reason: `unsupported transport protocol ${m.protocol}` });
  }
  const codecs = offeredCodecs(m).filter((c) => local.some((l) => sameCodec(l, c)));
  if (!codecs.some((c) => c.encoding.toLowerCase() !== 'telephone-event')) {
    return err({ code: 'SDP_NEGOTIATION_FAILED', reason: 'no audio codec in common' });
  }
  const offered = attributeOf(m, 'direction')?.direction ?? attributeOf(offer, 'direction')?.direction ?? 'sendrecv';
  const address = m.connection?.address ?? offer.connection?.address;
  if (!address) return err({ code: 'SDP_NEGOTIATION_FAILED', reason: 'no c= line for the audio stream' });
  const rtcp = attributeOf(m, 'rtcp');
  const rtcpMux = attributeOf(m, 'rtcp-mux') !== undefined;
  return ok({
    mediaIndex,
    codecs,
    direction: answerDirection(offered, localDirection),
    remote: { address: address.split('/')[0]!, port: m.port, rtcpPort: rtcp?.port ?? (rtcpMux ? m.port : m.port + 1), rtcpMux },
  });
}

/** RFC 3264 §6.1: sendonly is answered recvonly and vice versa; inactive stays inactive. */
export function answerDirection(offered: Direction, local: Direction): Direction {
  const canSend = (offered === 'sendrecv' || offered === 'recvonly') && (local === 'sendrecv' || local === 'sendonly');
  const canRecv = (offered === 'sendrecv' || offered === 'sendonly') && (local === 'sendrecv' || local === 'recvonly');
  return canSend && canRecv ? 'sendrecv' : canSend ? 'sendonly' : canRecv ? 'recvonly' : 'inactive';
}

/** Candidates of one media section, both attribute spellings. */
export function mediaCandidates(m: MediaDescription): SdpCandidate[] {
  return attributesOf(m, 'candidate').map((a) => a.candidate);
}
