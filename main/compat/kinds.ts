import type { IpFamily } from '../common/address';

/**
 * The few words about a candidate that a dialect profile needs to rank it. They live here, below
 * ice/, because a profile (compat) may not import ice; ice's Candidate satisfies them structurally.
 */

/** RFC 8445 §5.1.1: the four candidate types. */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** Transport towards the peer. A relay reached over TCP still relays UDP: see RelayProtocol. */
export type CandidateTransport = 'udp' | 'tcp';

/** RFC 6544 §4.5 TCP candidate types; Lync writes active/passive as TCP-ACT/TCP-PASS. */
export type TcpType = 'active' | 'passive' | 'so';

/** How the agent reaches the STUN/TURN server that produced a srflx or relay candidate. */
export type RelayProtocol = 'udp' | 'tcp' | 'tls';

/** RFC 8445 §6.1.1: which agent decides; carried as ICE-CONTROLLING / ICE-CONTROLLED. */
export type IceRole = 'controlling' | 'controlled';

/**
 * RFC 8445 §8.1 regular nomination (check, then re-check with USE-CANDIDATE), RFC 5245 §8.1.1.2
 * aggressive nomination (USE-CANDIDATE on every check), and [MS-ICE] draft-6 implicit nomination
 * (no USE-CANDIDATE: the pair that works is the pair).
 */
export type NominationMode = 'regular' | 'aggressive' | 'implicit';

export interface CandidateKind {
  readonly type: CandidateType;
  readonly transport: CandidateTransport;
  readonly tcpType?: TcpType | undefined;
  readonly family: IpFamily;
  /** For srflx and relay candidates: the protocol used to reach the server. */
  readonly relayProtocol?: RelayProtocol | undefined;
}
