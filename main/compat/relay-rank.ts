import type { CandidateKind } from './kinds';

/**
 * Where candidates of one type would tie, the local preference must still differ (RFC 8445
 * §5.1.2.1). Both the base-address rank and the protocol to the server separate them: one step per
 * address or server, and within that UDP before TCP before TLS (a TCP or TLS leg to the server
 * adds head-of-line blocking, so it is the worse path for the same server).
 */
export function preferenceOffset(kind: CandidateKind, index: number): number {
  const proto = kind.relayProtocol === 'tls' ? 2 : kind.relayProtocol === 'tcp' ? 1 : 0;
  return Math.max(0, Math.floor(index)) * 3 + proto;
}
