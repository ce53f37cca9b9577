import { MediapathError } from '../common/errors';
import type { RandomSource } from '../common/random';
import { err, ok, type Result } from '../common/result';
import type { CompatProfile } from '../compat/profile';
import type { Candidate } from '../ice/candidate';
import type { RemoteCandidateInput } from '../ice/candidate-factory';
import type { CodecName } from '../media/codecs';
import { detectIceDialect, dualDialectParts, iceCredentials, pickSdpPart } from '../sdp/alternatives';
import { buildAudioSdp, negotiateAudio, PCMA, PCMU, TELEPHONE_EVENT, type AudioCodec } from '../sdp/offer-answer';
import { parseSdp } from '../sdp/parse';
import { attributeOf, type Draft6Candidate, type RemoteCandidate, type RfcCandidate, type SdpCandidate, type SessionDescription } from '../sdp/types';
import { writeSdp } from '../sdp/write';
import { buildMultipart, makeBoundary, parseMultipart } from '../sip/multipart';
import type { SipBody } from '../sip/ua';

/**
 * The call's session descriptions: our ICE candidates written into SDP in the dialect the
 * profile and the scenario ask for, and the peer's SDP (one part, or a Lync multipart body) read
 * back into what the ICE agent and the media stream need. PROTOCOLS.md §2: one INVITE may carry
 * both dialects (`multipart/alternative`, draft-6 part first marked ms-proxy-2007fallback, v19
 * part last, [MS-SIPRE] 3.15.4.1); answers are always a single SDP.
 */

/** `v19`: one RFC 5245 SDP (SfB 2016); `multipart-draft6`: both dialects (Lync 2010/2013). */
export type OfferDialect = 'v19' | 'multipart-draft6';

/** The codecs we offer, with the media layer's name for each. */
const CODEC_OF: ReadonlyArray<readonly [CodecName, AudioCodec]> = [
  ['PCMU', PCMU],
  ['PCMA', PCMA],
  ['G722', { payloadType: 9, encoding: 'G722', clockRate: 8000 }],
  ['opus', { payloadType: 111, encoding: 'opus', clockRate: 48000, channels: 2 }],
];

/** The offer's codec list: the chosen one first (RFC 3264 §5.1: preference order), DTMF last. */
export function offeredCodecList(preferred: CodecName = 'PCMU'): AudioCodec[] {
  const list = CODEC_OF.filter(([n]) => n === preferred || n === 'PCMU' || n === 'PCMA').sort(([a], [b]) => Number(b === preferred) - Number(a === preferred));
  // G.711 stays in every offer: every SIP peer has it (RFC 3551 §4.5.14).
  return [...list.map(([, c]) => c), TELEPHONE_EVENT];
}

export function codecNameOf(c: AudioCodec): CodecName | undefined {
  return CODEC_OF.find(([, x]) => x.encoding.toLowerCase() === c.encoding.toLowerCase() && x.clockRate === c.clockRate)?.[0];
}

/** An ICE candidate as an RFC 5245 ("v19") candidate line. */
export function toRfcCandidate(c: Candidate): RfcCandidate {
  return {
    dialect: 'rfc5245',
    foundation: c.foundation,
    component: c.component,
    transport: c.transport,
    ...(c.tcpType ? { tcpType: c.tcpType } : {}),
    priority: c.priority,
    ip: c.address.ip,
    port: c.address.port,
    type: c.type,
    ...(c.related ? { relAddr: c.related.ip, relPort: c.related.port } : {}),
    extensions: [],
  };
}

/**
 * [MS-ICE] draft-6 lines carry per-candidate credentials and a fractional priority; the values
 * follow what Lync writes (PROTOCOLS.md §2: host 0.830–0.840, srflx 0.550, relay 0.410–0.450).
 * Our agent cannot run draft-6 checks (RFC 3489-style STUN): this part is the fallback a legacy
 * peer would read, written so that such a peer sees the same addresses.
 */
const DRAFT6_PRIORITY: Readonly<Record<Candidate['type'], number>> = { host: 0.83, prflx: 0.6, srflx: 0.55, relay: 0.45 };

function b64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

export function toDraft6Candidates(cs: readonly Candidate[], random: RandomSource): Draft6Candidate[] {
  // One username/password per transport address: RTP and RTCP of one base share it.
  const creds = new Map<string, { username: string; password: string }>();
  return cs
    .filter((c) => !(c.transport === 'tcp' && c.tcpType === 'active'))
    .map((c) => {
      const key = `${c.type}|${c.transport}|${c.address.ip}`;
      let cred = creds.get(key);
      if (!cred) {
        cred = { username: b64NoPad(random.bytes(32)), password: b64NoPad(random.bytes(16)) };
        creds.set(key, cred);
      }
      return {
        dialect: 'draft6' as const,
        username: cred.username,
        component: c.component,
        password: cred.password,
        transport: c.transport,
        priority: DRAFT6_PRIORITY[c.type],
        ip: c.address.ip,
        port: c.address.port,
      };
    });
}

/**
 * The default candidate of a component, whose address goes in `m=`/`c=` (RFC 8445 §5.1.4 and
 * RFC 8839 §4.2.1.4): a relay is the one most likely to work for a peer that ignores ICE, then a
 * reflexive, then a host candidate; UDP before TCP.
 */
export function defaultCandidate(cs: readonly Candidate[], component = 1): Candidate | undefined {
  const rank = (c: Candidate): number => ({ relay: 0, srflx: 1, prflx: 2, host: 3 })[c.type] * 2 + (c.transport === 'udp' ? 0 : 1);
  return [...cs].filter((c) => c.component === component && !(c.transport === 'tcp' && c.tcpType === 'active')).sort((a, b) => rank(a) - rank(b) || b.priority - a.priority)[0];
}

export interface LocalDescriptionInput {
  readonly profile: CompatProfile;
  readonly dialect: OfferDialect;
  readonly ufrag: string;
  readonly pwd: string;
  /** Every local candidate of the offer, or only the chosen ones in the final re-INVITE. */
  readonly candidates: readonly Candidate[];
  readonly sessionId: string;
  readonly sessionVersion: number;
  readonly codecs: readonly AudioCodec[];
  readonly ptimeMs: number;
  /** The final offer after checks (RFC 5245 §9.1.2.2): the remote candidates of the chosen pairs. */
  readonly remoteCandidates?: readonly RemoteCandidate[];
  /** Needed for the draft-6 part (per-candidate credentials) and the MIME boundary. */
  readonly random: RandomSource;
  /** `o=` user name. */
  readonly username?: string;
}

function describe(input: LocalDescriptionInput, candidates: readonly SdpCandidate[], ice: { ufrag?: string; pwd?: string }, remote?: readonly RemoteCandidate[]): SessionDescription {
  const def = defaultCandidate(input.candidates);
  const address = def?.address.ip ?? '0.0.0.0';
  // Lync writes TCP/RTP/AVP when no UDP candidate is offered (PROTOCOLS.md §2).
  const anyUdp = input.candidates.some((c) => c.transport === 'udp');
  return buildAudioSdp({
    sessionId: input.sessionId,
    sessionVersion: String(input.sessionVersion),
    ...(input.username ? { username: input.username } : {}),
    address,
    port: def?.address.port ?? 9,
    protocol: anyUdp || input.candidates.length === 0 ? 'RTP/AVP' : 'TCP/RTP/AVP',
    codecs: input.codecs,
    ptime: input.ptimeMs,
    rtcpMux: true,
    direction: 'sendrecv',
    label: 'main-audio',
    ice: {
      ...ice,
      candidates,
      ipv6Attribute: input.profile.sdp.ipv6Attribute,
      ...(remote?.length ? { remoteCandidates: remote } : {}),
    },
  });
}

/**
 * Our SDP as a SIP body: the v19 SDP alone, or (`multipart-draft6`) a multipart/alternative with
 * the draft-6 fallback part first and the v19 part last. A re-INVITE after checks carries only the
 * chosen candidates and `a=remote-candidates`; its draft-6 part names the peer's candidate by the
 * draft-6 `a=remote-candidate` only when the peer spoke draft-6 (ours never does), so it is left out.
 */
export function buildLocalDescription(input: LocalDescriptionInput): SipBody {
  const v19 = writeSdp(describe(input, input.candidates.map(toRfcCandidate), { ufrag: input.ufrag, pwd: input.pwd }, input.remoteCandidates), {
    tcpSyntax: input.profile.sdp.tcpSyntax,
  });
  if (input.dialect === 'v19') return { body: v19, contentType: 'application/sdp' };
  const draft6 = writeSdp(describe(input, toDraft6Candidates(input.candidates, input.random), {}));
  const mp = buildMultipart(dualDialectParts(draft6, v19), { subtype: 'alternative', boundary: makeBoundary(input.random) });
  return { body: mp.body, contentType: mp.contentType };
}

/** The remote-candidates of the pairs carrying media, for the final offer (RFC 5245 §9.1.2.2). */
export function remoteCandidatesOf(pairs: ReadonlyArray<{ readonly remote: Candidate }>): RemoteCandidate[] {
  return pairs.map((p) => ({ component: p.remote.component, ip: p.remote.address.ip, port: p.remote.address.port }));
}

/** What the peer's SDP tells the ICE agent and the media stream. */
export interface RemoteDescriptionInfo {
  readonly sdp: SessionDescription;
  /** True when the body was multipart (Lync 2010/2013 style); the v19 part was read. */
  readonly multipart: boolean;
  readonly dialect: 'rfc5245' | 'draft6' | 'none';
  readonly codec: CodecName;
  readonly payloadType: number;
  readonly ptimeMs?: number;
  readonly ice: { readonly ufrag: string; readonly pwd: string; readonly candidates: readonly RemoteCandidateInput[] };
  /** `a=remote-candidates` of a final offer (RFC 5245 §9.1.2.2). */
  readonly remoteCandidates?: readonly RemoteCandidate[];
}

export interface RemoteDescriptionError {
  readonly code: 'SDP_PARSE' | 'SDP_NEGOTIATION_FAILED';
  readonly reason: string;
}

const fail = (code: RemoteDescriptionError['code'], reason: string): Result<never, RemoteDescriptionError> => err({ code, reason });

/** A v19 candidate line as the agent takes it. */
export function remoteInputOfSdp(c: RfcCandidate): RemoteCandidateInput {
  return {
    foundation: c.foundation,
    component: c.component,
    transport: c.transport,
    // RFC 6544: a candidate without tcptype is passive for us to connect to only when it says so.
    ...(c.transport === 'tcp' ? { tcpType: c.tcpType ?? 'passive' } : {}),
    type: c.type,
    address: { ip: c.ip, port: c.port },
    priority: c.priority,
    ...(c.relAddr !== undefined && c.relPort !== undefined ? { related: { ip: c.relAddr, port: c.relPort } } : {}),
  };
}

/**
 * Reads the peer's offer or answer: the SDP part to use (the v19 part of a multipart body), the
 * audio codec we both have, the ICE credentials and candidates. Never throws on hostile input.
 */
export function readRemoteDescription(body: SipBody, localCodecs: readonly AudioCodec[] = offeredCodecList()): Result<RemoteDescriptionInfo, RemoteDescriptionError> {
  const type = body.contentType.split(';')[0]!.trim().toLowerCase();
  let text = body.body;
  let multipart = false;
  if (type.startsWith('multipart/')) {
    const mp = parseMultipart(body.body, body.contentType);
    if (!mp.ok) return fail('SDP_PARSE', `multipart body: ${mp.error.reason}`);
    const picked = pickSdpPart(mp.value.parts, 'rfc5245');
    if (!picked) return fail('SDP_NEGOTIATION_FAILED', 'multipart body without an application/sdp part');
    text = picked.part.body;
    multipart = true;
  } else if (type !== 'application/sdp') {
    return fail('SDP_NEGOTIATION_FAILED', `body is ${type}, not application/sdp`);
  }
  const parsed = parseSdp(text);
  if (!parsed.ok) return fail('SDP_PARSE', `line ${parsed.error.line}: ${parsed.error.reason}`);
  const sdp = parsed.value;
  const neg = negotiateAudio(sdp, localCodecs);
  if (!neg.ok) return fail('SDP_NEGOTIATION_FAILED', neg.error.reason);
  const m = sdp.media[neg.value.mediaIndex]!;
  const voice = neg.value.codecs.find((c) => codecNameOf(c) !== undefined);
  if (!voice) return fail('SDP_NEGOTIATION_FAILED', 'no voice codec our media stream can send');
  const dialect = detectIceDialect(sdp);
  if (dialect === 'draft6') return fail('SDP_NEGOTIATION_FAILED', 'only ICE draft-6 candidates: this engine checks RFC 5245 (v19) candidates only');
  const creds = iceCredentials(sdp, m);
  if (!creds) return fail('SDP_NEGOTIATION_FAILED', 'no a=ice-ufrag/a=ice-pwd for the audio stream');
  const candidates = m.attributes.flatMap((a) => (a.kind === 'candidate' && a.candidate.dialect === 'rfc5245' ? [remoteInputOfSdp(a.candidate)] : []));
  const remote = attributeOf(m, 'remote-candidates');
  const ptime = attributeOf(m, 'ptime');
  return ok({
    sdp,
    multipart,
    dialect,
    codec: codecNameOf(voice)!,
    payloadType: voice.payloadType,
    ...(ptime ? { ptimeMs: ptime.ms } : {}),
    ice: { ufrag: creds.ufrag, pwd: creds.pwd, candidates },
    ...(remote ? { remoteCandidates: remote.candidates } : {}),
  });
}

/** The same as an error to throw, for code paths that cannot go on without the peer's SDP. */
export function remoteDescriptionError(e: RemoteDescriptionError, what: string): MediapathError {
  return new MediapathError(e.code, `${what}: ${e.reason}`, { layer: 'session' });
}
