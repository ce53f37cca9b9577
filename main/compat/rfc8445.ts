import { assertNever } from '../common/assert';
import type { CandidateKind, CandidateType, TcpType } from './kinds';
import type { CompatProfile } from './profile';
import { preferenceOffset } from './relay-rank';
import { rfcUsername } from './rfc-username';
import { shortTermKey } from '../stun/integrity';

/** RFC 8445 §5.1.2.2 recommended type preferences. */
const TYPE_PREFERENCE: Record<CandidateType, number> = { host: 126, prflx: 110, srflx: 100, relay: 0 };

/**
 * RFC 6544 §4.2 direction preference (0–7): host, relayed and UDP-tunnelled TCP candidates favour
 * active, then passive, then simultaneous-open; server-reflexive and NAT-assisted ones favour
 * simultaneous-open, then active, then passive (an active or passive mapping through a NAT is less
 * likely to work).
 */
function directionPreference(type: CandidateType, tcpType: TcpType): number {
  const reflexive = type === 'srflx';
  switch (tcpType) {
    case 'active':
      return reflexive ? 4 : 6;
    case 'passive':
      return reflexive ? 2 : 4;
    case 'so':
      return reflexive ? 6 : 2;
    default:
      return assertNever(tcpType, 'tcp type');
  }
}

/** RFC 6544 §4.2: local preference = 2^13 · direction-pref + other-pref (other-pref 0–8191). */
export function rfc6544LocalPreference(kind: CandidateKind, index: number): number {
  const other = Math.max(0, 8191 - preferenceOffset(kind, index));
  return (1 << 13) * directionPreference(kind.type, kind.tcpType ?? 'passive') + other;
}

export const rfc8445Profile: CompatProfile = {
  name: 'rfc8445',
  label: 'RFC 8445 ICE',
  typePreference: (kind) => TYPE_PREFERENCE[kind.type],
  // RFC 8445 §5.1.2.1: 65535 for a single address; below that one step per address rank (the
  // caller orders addresses per RFC 8421 §4) and per relay server. TCP per RFC 6544 §4.2.
  localPreference: (kind, index) =>
    kind.transport === 'tcp' ? rfc6544LocalPreference(kind, index) : Math.max(0, 65535 - preferenceOffset(kind, index)),
  check: { ...rfcUsername, integrityKey: shortTermKey, priorityAttribute: true, roleAttributes: true, useCandidateAttribute: true, fingerprint: true },
  checkAttributes: () => [],
  responseAttributes: () => [],
  nominations: ['regular', 'aggressive'],
  sdp: { candidateSyntax: 'rfc5245', tcpSyntax: 'rfc6544', ipv6Attribute: 'candidate' },
  limitations: [],
};
