/**
 * The SDP model (RFC 4566/8866) as the audio path needs it. Attributes are one ordered list of
 * typed entries, so a description written back keeps its line order, and an attribute we do not
 * model is an `other` entry re-emitted verbatim. Candidate types are defined here, in the two
 * dialects a Lync call carries (PROTOCOLS.md §2), so ice/ can map its own candidates onto them.
 */

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';
export type CandidateTransport = 'udp' | 'tcp';
/** RFC 6544 §4.5; Lync writes active/passive as the transports TCP-ACT/TCP-PASS. */
export type TcpType = 'active' | 'passive' | 'so';

/**
 * An RFC 5245/8445 candidate line, which Lync calls ICE "v19":
 * `<foundation> <component> <transport> <priority> <ip> <port> typ <type> [raddr <ip> rport <port>] [ext…]`.
 */
export interface RfcCandidate {
  readonly dialect: 'rfc5245';
  readonly foundation: string;
  readonly component: number;
  readonly transport: CandidateTransport;
  readonly tcpType?: TcpType;
  readonly priority: number;
  readonly ip: string;
  /** As written: Lync's TCP-ACT lines carry the real port where RFC 6544 writes 9. */
  readonly port: number;
  readonly type: CandidateType;
  readonly relAddr?: string;
  readonly relPort?: number;
  /** Extension pairs after the known fields (`generation 0`, `network-id 1`…), kept in order. */
  readonly extensions: readonly (readonly [string, string])[];
}

/**
 * An [MS-ICE] (ICE draft 6) candidate line: per-candidate credentials, a fractional priority,
 * no foundation and no type: `<b64 username> <component> <b64 password> UDP|TCP 0.<prio> <ip> <port>`.
 */
export interface Draft6Candidate {
  readonly dialect: 'draft6';
  /** Base64 without padding, as on the wire. */
  readonly username: string;
  readonly component: number;
  readonly password: string;
  readonly transport: CandidateTransport;
  /** The fraction: `0.830` is 0.83. */
  readonly priority: number;
  readonly ip: string;
  readonly port: number;
}

export type SdpCandidate = RfcCandidate | Draft6Candidate;
export type IceDialect = SdpCandidate['dialect'];

/** One entry of `a=remote-candidates` (RFC 5245 §15.2). */
export interface RemoteCandidate {
  readonly component: number;
  readonly ip: string;
  readonly port: number;
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export type SdpAttribute =
  | { readonly kind: 'candidate'; readonly name: 'candidate' | 'x-candidate-ipv6'; readonly candidate: SdpCandidate }
  | { readonly kind: 'remote-candidates'; readonly candidates: readonly RemoteCandidate[] }
  /** Draft 6: the username of the remote candidate chosen for this stream. */
  | { readonly kind: 'remote-candidate'; readonly username: string }
  | { readonly kind: 'ice-ufrag'; readonly value: string }
  | { readonly kind: 'ice-pwd'; readonly value: string }
  | { readonly kind: 'rtpmap'; readonly payloadType: number; readonly encoding: string; readonly clockRate: number; readonly channels?: number }
  | { readonly kind: 'fmtp'; readonly payloadType: number; readonly params: string }
  | { readonly kind: 'rtcp'; readonly port: number; readonly address?: Connection }
  | { readonly kind: 'rtcp-mux' }
  | { readonly kind: 'ptime'; readonly ms: number }
  | { readonly kind: 'maxptime'; readonly ms: number }
  | { readonly kind: 'direction'; readonly direction: Direction }
  | { readonly kind: 'label'; readonly value: string }
  | { readonly kind: 'x-ssrc-range'; readonly first: number; readonly last: number }
  /** `a=x-mediabw:main-audio send=…;recv=…` ([MS-SDPEXT] 2.2.x bandwidth per media label). */
  | { readonly kind: 'x-mediabw'; readonly label: string; readonly params: readonly (readonly [string, string])[] }
  | { readonly kind: 'other'; readonly name: string; readonly value?: string };

export type AttributeKind = SdpAttribute['kind'];
export type AttributeOf<K extends AttributeKind> = Extract<SdpAttribute, { kind: K }>;

export interface Connection {
  readonly netType: string;
  readonly addrType: 'IP4' | 'IP6' | string;
  /** The address as written, with any `/ttl` suffix. */
  readonly address: string;
}

export interface Origin {
  readonly username: string;
  readonly sessionId: string;
  /** Kept as text: it may exceed 2^53 in the wild; `nextSessionVersion` does the arithmetic. */
  readonly sessionVersion: string;
  readonly connection: Connection;
}

export interface Bandwidth {
  readonly type: string;
  readonly value: number;
}

export interface MediaDescription {
  readonly type: string;
  readonly port: number;
  readonly portCount?: number;
  /** `RTP/AVP`, `RTP/SAVP`, `TCP/RTP/AVP`… */
  readonly protocol: string;
  readonly formats: readonly string[];
  readonly connection?: Connection;
  readonly bandwidths: readonly Bandwidth[];
  readonly attributes: readonly SdpAttribute[];
  /** `i=` and `k=` lines of this section, verbatim (`i=…`). */
  readonly otherLines: readonly string[];
}

export interface SessionDescription {
  readonly origin: Origin;
  readonly sessionName: string;
  readonly connection?: Connection;
  readonly bandwidths: readonly Bandwidth[];
  readonly timing: { readonly start: string; readonly stop: string };
  readonly attributes: readonly SdpAttribute[];
  /** `i= u= e= p= r= z= k=` and extra `t=` lines, verbatim, in order. */
  readonly otherLines: readonly string[];
  readonly media: readonly MediaDescription[];
}

/** Every SDP parser here returns this on bad input: the 1-based line and what is wrong. */
export interface SdpParseError {
  readonly code: 'SDP_PARSE';
  readonly line: number;
  readonly reason: string;
}

export function sdpParseError(line: number, reason: string): SdpParseError {
  return { code: 'SDP_PARSE', line, reason };
}

/** The attributes of one kind, typed. */
export function attributesOf<K extends AttributeKind>(
  holder: { readonly attributes: readonly SdpAttribute[] },
  kind: K,
): AttributeOf<K>[] {
  return holder.attributes.filter((a): a is AttributeOf<K> => a.kind === kind);
}

export function attributeOf<K extends AttributeKind>(
  holder: { readonly attributes: readonly SdpAttribute[] },
  kind: K,
): AttributeOf<K> | undefined {
  return holder.attributes.find((a): a is AttributeOf<K> => a.kind === kind);
}
