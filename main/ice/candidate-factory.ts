import type { TransportAddress } from '../common/address';
import { MediapathError } from '../common/errors';
import type { CompatProfile } from '../compat/profile';
import { candidateId, candidateKind, type Candidate, type CandidateServer, type CandidateTransport, type CandidateType, type TcpType } from './candidate';
import type { FoundationRegistry } from './foundation';
import { candidatePriority } from './priority';

export interface LocalCandidateInput {
  readonly type: CandidateType;
  readonly component: number;
  readonly transport: CandidateTransport;
  readonly tcpType?: TcpType;
  readonly address: TransportAddress;
  /** Required for srflx and prflx; host and relay candidates are their own base. */
  readonly base?: TransportAddress;
  /** Defaults to the base for srflx/prflx; give the mapped address for a relay. */
  readonly related?: TransportAddress;
  readonly server?: CandidateServer;
  readonly interfaceName?: string;
  /** Rank of the base address (RFC 8421 order, see address-order.ts) or of the relay server. */
  readonly index?: number;
  /** Overrides the computed priority (a local prflx takes the PRIORITY its check carried). */
  readonly priority?: number;
  readonly ufrag?: string;
}

/**
 * Builds a local candidate with its foundation (RFC 8445 §5.1.1.3) and priority (§5.1.2.1) from
 * the session's profile, so gathering code never computes either itself.
 */
export function makeLocalCandidate(profile: CompatProfile, foundations: FoundationRegistry, input: LocalCandidateInput): Candidate {
  const ownBase = input.type === 'host' || input.type === 'relay';
  const base = ownBase ? input.address : input.base;
  if (!base) throw new MediapathError('INVALID_ARGUMENT', `a ${input.type} candidate needs its base`, { layer: 'ice' });
  if (input.transport === 'tcp' && !input.tcpType) throw new MediapathError('INVALID_ARGUMENT', 'a TCP candidate needs its tcptype (RFC 6544 §4.5)', { layer: 'ice' });
  const related = input.related ?? (ownBase ? undefined : base);
  const shape = { type: input.type, component: input.component, transport: input.transport, tcpType: input.tcpType, address: input.address, server: input.server };
  const priority = input.priority ?? candidatePriority(profile, candidateKind(shape), input.component, input.index ?? 0);
  return {
    id: candidateId('local', shape),
    foundation: foundations.foundationFor({
      type: input.type,
      baseIp: base.ip,
      transport: input.transport,
      serverIp: input.server?.address.ip,
      serverProtocol: input.server?.protocol,
    }),
    component: input.component,
    transport: input.transport,
    ...(input.tcpType ? { tcpType: input.tcpType } : {}),
    type: input.type,
    address: input.address,
    priority,
    base,
    ...(related ? { related } : {}),
    ...(input.server ? { server: input.server } : {}),
    ...(input.interfaceName ? { interfaceName: input.interfaceName } : {}),
    ...(input.ufrag ? { ufrag: input.ufrag } : {}),
  };
}

export interface RemoteCandidateInput {
  readonly foundation: string;
  readonly component: number;
  readonly transport: CandidateTransport;
  readonly tcpType?: TcpType;
  readonly type: CandidateType;
  readonly address: TransportAddress;
  readonly priority: number;
  readonly related?: TransportAddress;
  readonly ufrag?: string;
}

/** A candidate the peer signalled (or one learnt as peer-reflexive). We never know its base: it is its own. */
export function makeRemoteCandidate(input: RemoteCandidateInput): Candidate {
  return {
    id: candidateId('remote', input),
    foundation: input.foundation,
    component: input.component,
    transport: input.transport,
    ...(input.tcpType ? { tcpType: input.tcpType } : {}),
    type: input.type,
    address: input.address,
    priority: input.priority,
    base: input.address,
    ...(input.related ? { related: input.related } : {}),
    ...(input.ufrag ? { ufrag: input.ufrag } : {}),
  };
}

/** What the peer learns of one of our candidates (what SDP carries): the input to makeRemoteCandidate. */
export function remoteInputOf(c: Candidate): RemoteCandidateInput {
  return {
    foundation: c.foundation,
    component: c.component,
    transport: c.transport,
    ...(c.tcpType ? { tcpType: c.tcpType } : {}),
    type: c.type,
    address: c.address,
    priority: c.priority,
    ...(c.related ? { related: c.related } : {}),
  };
}
