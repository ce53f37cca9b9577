import { familyOf, formatAddress, normalizeIp, sameAddress, type IpFamily, type TransportAddress } from '../common/address';
import type { CandidateKind, CandidateTransport, CandidateType, RelayProtocol, TcpType } from '../compat/kinds';

export type { CandidateKind, CandidateTransport, CandidateType, RelayProtocol, TcpType } from '../compat/kinds';

/** The STUN or TURN server a srflx or relay candidate came from (RFC 8445 §5.1.1.3 uses its IP). */
export interface CandidateServer {
  readonly address: TransportAddress;
  /** Protocol used to reach the server: a relay over TCP or TLS still relays UDP to the peer. */
  readonly protocol: RelayProtocol;
}

/**
 * An ICE candidate (RFC 8445 §5.1.1), local or remote. Plain immutable data: the socket a local
 * candidate sends from is found by its `base` (RFC 8445 §5.1.1.1: a host candidate is its own
 * base, a srflx candidate's base is the host it was learnt from, a relay candidate is its own base).
 */
export interface Candidate {
  /** Unique within an agent: `L…` for local, `R…` for remote candidates. */
  readonly id: string;
  readonly foundation: string;
  /** 1 RTP, 2 RTCP. */
  readonly component: number;
  readonly transport: CandidateTransport;
  readonly tcpType?: TcpType;
  readonly type: CandidateType;
  readonly address: TransportAddress;
  readonly priority: number;
  readonly base: TransportAddress;
  /** `raddr`/`rport`: the base for srflx/prflx, the mapped address for relay. */
  readonly related?: TransportAddress;
  readonly server?: CandidateServer;
  readonly interfaceName?: string;
  /** Draft-6 candidates carry their own credentials; RFC candidates use the session's. */
  readonly ufrag?: string;
}

/** Plain data for events, the UI and reports (the JSON names `address` and `port`). */
export interface CandidateView {
  readonly id: string;
  readonly type: CandidateType;
  readonly transport: CandidateTransport;
  readonly tcpType?: TcpType;
  readonly address: string;
  readonly port: number;
  readonly family: IpFamily;
  readonly priority: number;
  readonly foundation: string;
  readonly component: number;
  readonly relatedAddress?: string;
  readonly relatedPort?: number;
  readonly relayProtocol?: RelayProtocol;
  readonly server?: string;
  readonly interfaceName?: string;
}

export function candidateFamily(c: Pick<Candidate, 'address'>): IpFamily {
  return familyOf(c.address.ip);
}

export function isIPv6(c: Pick<Candidate, 'address'>): boolean {
  return candidateFamily(c) === 6;
}

/** fe80::/10. Such addresses only reach the same link (RFC 4291 §2.5.6). */
export function isLinkLocalIPv6(ip: string): boolean {
  const lower = normalizeIp(ip);
  if (!lower.includes(':')) return false;
  const first = Number.parseInt(lower.split(':')[0] || '0', 16);
  return (first & 0xffc0) === 0xfe80;
}

/** What a profile needs to rank this candidate. */
export function candidateKind(c: Pick<Candidate, 'type' | 'transport' | 'tcpType' | 'address' | 'server'>): CandidateKind {
  return { type: c.type, transport: c.transport, tcpType: c.tcpType, family: familyOf(c.address.ip), relayProtocol: c.server?.protocol };
}

/** `udp`, `tcp-active`, `tcp-passive`, `tcp-so`. */
export function transportLabel(c: Pick<Candidate, 'transport' | 'tcpType'>): string {
  return c.transport === 'tcp' && c.tcpType ? `tcp-${c.tcpType}` : c.transport;
}

/** `host udp 10.0.0.2:5000`, `relay udp 203.0.113.7:50000 via tcp`, `srflx tcp-active 198.51.100.2:9`. */
export function describeCandidate(c: Candidate): string {
  const via = c.type === 'relay' && c.server ? ` via ${c.server.protocol}` : '';
  return `${c.type} ${transportLabel(c)} ${formatAddress(c.address)}${via}`;
}

/**
 * Same transport address for the same component and transport (what RFC 8445 §7.2.5.3.1 and
 * §7.3.1.3 compare). TCP active candidates carry no usable port (RFC 6544 §4.5 writes 9, Lync
 * writes the port it may not use), so for them only the IP is compared. Two TCP candidates of
 * different tcptypes are never the same: else an IP-only match would let a passive candidate on
 * that IP stand for the active one (and the reverse).
 */
export function sameTransportAddress(a: Candidate, b: Pick<Candidate, 'component' | 'transport' | 'address'> & { tcpType?: TcpType | undefined }): boolean {
  if (a.component !== b.component || a.transport !== b.transport) return false;
  if (a.transport === 'tcp' && a.tcpType && b.tcpType && a.tcpType !== b.tcpType) return false;
  if (a.transport === 'tcp' && (a.tcpType === 'active' || b.tcpType === 'active')) return normalizeIp(a.address.ip) === normalizeIp(b.address.ip);
  return sameAddress(a.address, b.address);
}

/** Equal as candidates: same transport address, TCP type, type and base. */
export function sameCandidate(a: Candidate, b: Candidate): boolean {
  return sameTransportAddress(a, b) && a.tcpType === b.tcpType && a.type === b.type && sameAddress(a.base, b.base);
}

export function toCandidateView(c: Candidate): CandidateView {
  return {
    id: c.id,
    type: c.type,
    transport: c.transport,
    ...(c.tcpType ? { tcpType: c.tcpType } : {}),
    address: c.address.ip,
    port: c.address.port,
    family: candidateFamily(c),
    priority: c.priority,
    foundation: c.foundation,
    component: c.component,
    ...(c.related ? { relatedAddress: c.related.ip, relatedPort: c.related.port } : {}),
    ...(c.server ? { relayProtocol: c.server.protocol, server: formatAddress(c.server.address) } : {}),
    ...(c.interfaceName ? { interfaceName: c.interfaceName } : {}),
  };
}

/** A stable, readable id: `L1/udp/host/10.0.0.2:5000`. Stable for the same candidate, so replays match. */
export function candidateId(side: 'local' | 'remote', c: Pick<Candidate, 'component' | 'transport' | 'tcpType' | 'type' | 'address'>): string {
  return `${side === 'local' ? 'L' : 'R'}${c.component}/${transportLabel(c)}/${c.type}/${formatAddress(c.address)}`;
}
