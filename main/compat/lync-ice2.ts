import { assertNever } from '../common/assert';
import { Attr } from '../stun/constants';
import { attrs, type AttributeSpec } from '../stun/encode';
import type { CandidateKind, TcpType } from './kinds';
import type { CompatProfile } from './profile';
import { preferenceOffset } from './relay-rank';
import { rfcUsername } from './rfc-username';
import { shortTermKey } from '../stun/integrity';

/**
 * Lync / Skype for Business ICE "v19" with the [MS-ICE2] extensions. Type preferences are the
 * ones seen on the wire (PROTOCOLS.md §5): host 126, srflx 100, relay 10, IPv6 host 1; peer
 * reflexive keeps RFC 8445's 110. Any other IPv6 candidate goes to 0 so that every IPv6 candidate
 * sorts after every IPv4 one, which is the order Lync shows (unverified for IPv6 srflx/relay).
 */
function typePreference(kind: CandidateKind): number {
  if (kind.family === 6) return kind.type === 'host' ? 1 : 0;
  switch (kind.type) {
    case 'host':
      return 126;
    case 'prflx':
      return 110;
    case 'srflx':
      return 100;
    case 'relay':
      return 10;
    default:
      return assertNever(kind.type, 'candidate type');
  }
}

// [MS-ICE2] local preference = 2^12 · transport-pref + 2^9 · direction-pref + other-pref, with
// transport UDP 15 / TCP 6 and direction active 5 / passive 2 (libnice's MS-ICE constants agree).
// UDP fills the whole 12 low bits (65535 for the best address, the value Lync host lines carry).
const TRANSPORT_TCP = 6;

function msDirection(tcpType: TcpType): number {
  switch (tcpType) {
    case 'active':
    case 'so': // no MS value for S-O; ranked with active as libnice does
      return 5;
    case 'passive':
      return 2;
    default:
      return assertNever(tcpType, 'tcp type');
  }
}

function localPreference(kind: CandidateKind, index: number): number {
  const offset = preferenceOffset(kind, index);
  if (kind.transport === 'udp') return Math.max(0, 65535 - offset);
  return (1 << 12) * TRANSPORT_TCP + (1 << 9) * msDirection(kind.tcpType ?? 'passive') + Math.max(0, 511 - offset);
}

/** [MS-ICE2] IMPLEMENTATION-VERSION: a 32-bit version number; 2 for ICE2. */
export const MS_ICE2_IMPLEMENTATION_VERSION = 2;

function implementationVersion(): AttributeSpec {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, MS_ICE2_IMPLEMENTATION_VERSION);
  return attrs.raw(Attr.MS_IMPLEMENTATION_VERSION, v);
}

/**
 * [MS-ICE2] CANDIDATE-IDENTIFIER: the local candidate's foundation as text. libnice sends it
 * zero-padded to a multiple of 4 with the padding counted in the length; we do the same.
 */
export function candidateIdentifier(foundation: string): AttributeSpec {
  const text = new TextEncoder().encode(foundation);
  const v = new Uint8Array((text.length + 3) & ~3);
  v.set(text);
  return attrs.raw(Attr.MS_CANDIDATE_IDENTIFIER, v);
}

export const lyncIce2Profile: CompatProfile = {
  name: 'lync-ice2',
  label: 'Lync/SfB ICE v19 with [MS-ICE2]',
  typePreference,
  localPreference,
  check: { ...rfcUsername, integrityKey: shortTermKey, priorityAttribute: true, roleAttributes: true, useCandidateAttribute: true, fingerprint: true },
  checkAttributes: (ctx) => [candidateIdentifier(ctx.localFoundation), implementationVersion()],
  // Responses carry the version too, so a legacy peer can tell (unverified against a capture).
  responseAttributes: () => [implementationVersion()],
  // Which nomination Lync uses is unverified (PROTOCOLS.md §4): accept both, use regular.
  nominations: ['regular', 'aggressive'],
  sdp: { candidateSyntax: 'rfc5245', tcpSyntax: 'lync', ipv6Attribute: 'x-candidate-ipv6' },
  limitations: [
    'legacy Lync FINGERPRINT CRC table not modelled: checks carry the standard FINGERPRINT only',
    'type and local preferences are as observed on the wire, not from a normative table',
  ],
};
