import type { AttributeSpec } from '../stun/encode';
import type { CandidateKind, IceRole, NominationMode } from './kinds';

export type ProfileName = 'rfc8445' | 'lync-ice2' | 'lync-ice-v6';

/** What a profile may look at when it adds its own attributes to an outgoing check. */
export interface CheckContext {
  readonly role: IceRole;
  readonly component: number;
  /** Foundation of the pair's local candidate ([MS-ICE2] CANDIDATE-IDENTIFIER carries it). */
  readonly localFoundation: string;
  readonly nominate: boolean;
}

/** What a profile may look at when it adds its own attributes to a check's success response. */
export interface ResponseContext {
  readonly component: number;
}

/**
 * How a dialect spells a connectivity check. Each flag is a capability of the dialect, so code
 * below the profile asks "does this dialect carry PRIORITY?" and never "which dialect is this?".
 */
export interface CheckDialect {
  /** USERNAME of an outgoing check (RFC 8445 §7.2.2: `remoteUfrag:localUfrag`). */
  requestUsername(localUfrag: string, remoteUfrag: string, component: number): Uint8Array;
  /** Whether an incoming check's USERNAME is addressed to us (RFC 8445 §7.3: it starts with our ufrag). */
  usernameIsOurs(username: Uint8Array, localUfrag: string, component: number): boolean;
  /** The sender's part of an incoming USERNAME, when the dialect carries one. */
  remoteUfragOf(username: Uint8Array): string | undefined;
  /** MESSAGE-INTEGRITY key from a password (RFC 8489 §9.1.1 short-term: the password itself). */
  integrityKey(password: string): Uint8Array;
  readonly priorityAttribute: boolean;
  readonly roleAttributes: boolean;
  readonly useCandidateAttribute: boolean;
  readonly fingerprint: boolean;
}

/**
 * Where the SDP layer learns how this dialect writes candidates. The writers themselves belong to
 * sdp/ (which may import compat, not the other way round): it keeps one writer per syntax in a
 * table keyed by these names, so no dialect test appears there either.
 */
export interface SdpHints {
  /** `rfc5245`: `a=candidate:<foundation> … typ …` with ice-ufrag/pwd; `draft6`: per-candidate credentials. */
  readonly candidateSyntax: 'rfc5245' | 'draft6';
  /** `rfc6544`: `TCP … tcptype active`; `lync`: `TCP-ACT` / `TCP-PASS`. */
  readonly tcpSyntax: 'rfc6544' | 'lync';
  /** Lync puts IPv6 candidates on `a=x-candidate-ipv6:` lines. */
  readonly ipv6Attribute: 'candidate' | 'x-candidate-ipv6';
}

/**
 * One dialect of ICE, chosen once per session and passed down (DESIGN.md convention 4). Nothing
 * below the session asks for the dialect's name to decide behaviour; it asks the profile.
 */
export interface CompatProfile {
  readonly name: ProfileName;
  /** Human label for reports. */
  readonly label: string;
  /** RFC 8445 §5.1.2.1 type preference, 0–126. */
  typePreference(kind: CandidateKind): number;
  /**
   * RFC 8445 §5.1.2.1 local preference, 0–65535. `index` is the rank of the candidate's base
   * address among the agent's addresses (RFC 8421 order, 0 = best) or of its relay server, so that
   * candidates of one type get distinct values.
   */
  localPreference(kind: CandidateKind, index: number): number;
  readonly check: CheckDialect;
  /** Extra attributes for an outgoing check ([MS-ICE2] CANDIDATE-IDENTIFIER, IMPLEMENTATION-VERSION…). */
  checkAttributes(ctx: CheckContext): AttributeSpec[];
  /** Extra attributes for a check's success response. */
  responseAttributes(ctx: ResponseContext): AttributeSpec[];
  /** Nomination styles this dialect accepts from a peer; the first is what we use by default. */
  readonly nominations: readonly NominationMode[];
  readonly sdp: SdpHints;
  /** What this profile does not model yet (empty when complete); reports print it. */
  readonly limitations: readonly string[];
}
