import type { TransportAddress } from '../../../main/common/address';
import type { CompatProfile } from '../../../main/compat';
import { FoundationRegistry, makeLocalCandidate, makeRemoteCandidate, type Candidate, type CandidateType, type TcpType } from '../../../main/ice';

export const addr = (ip: string, port: number): TransportAddress => ({ ip, port });

/** Builds local candidates against one registry, the way gathering will. */
export function localFactory(profile: CompatProfile, foundations = new FoundationRegistry()) {
  return {
    foundations,
    host: (ip: string, port: number, component = 1, opts: { tcpType?: TcpType; index?: number } = {}): Candidate =>
      makeLocalCandidate(profile, foundations, {
        type: 'host',
        component,
        transport: opts.tcpType ? 'tcp' : 'udp',
        ...(opts.tcpType ? { tcpType: opts.tcpType } : {}),
        address: addr(ip, port),
        index: opts.index ?? 0,
      }),
    srflx: (ip: string, port: number, base: TransportAddress, component = 1, server = addr('192.0.2.1', 3478)): Candidate =>
      makeLocalCandidate(profile, foundations, { type: 'srflx', component, transport: 'udp', address: addr(ip, port), base, server: { address: server, protocol: 'udp' } }),
    relay: (ip: string, port: number, component = 1, server = addr('192.0.2.1', 3478)): Candidate =>
      makeLocalCandidate(profile, foundations, {
        type: 'relay',
        component,
        transport: 'udp',
        address: addr(ip, port),
        related: addr('198.51.100.9', 40000),
        server: { address: server, protocol: 'udp' },
      }),
  };
}

let remoteFoundation = 0;

export function remote(
  type: CandidateType,
  ip: string,
  port: number,
  priority: number,
  opts: { component?: number; tcpType?: TcpType; foundation?: string } = {},
): Candidate {
  return makeRemoteCandidate({
    foundation: opts.foundation ?? `rf${++remoteFoundation}`,
    component: opts.component ?? 1,
    transport: opts.tcpType ? 'tcp' : 'udp',
    ...(opts.tcpType ? { tcpType: opts.tcpType } : {}),
    type,
    address: addr(ip, port),
    priority,
  });
}
