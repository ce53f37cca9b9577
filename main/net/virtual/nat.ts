import type { TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import type { RandomSource } from '../../common/random';
import type { DropReason, Packet, Proto } from './packet';

/** RFC 4787 §4.1 (mapping) and §5 (filtering) behaviours. */
export type NatBehavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

export interface NatConfig {
  readonly mapping: NatBehavior;
  readonly filtering: NatBehavior;
  /**
   * Whether a packet from inside to the NAT's own public address is turned back in (RFC 4787
   * §6). Default false: RFC 4787 REQ-9 asks for it, but many deployed NATs lack it.
   */
  readonly hairpinning?: boolean;
  /** UDP mapping lifetime, refreshed by outbound traffic (RFC 4787 §4.3, REQ-5/6). Default 120 000 ms. */
  readonly udpTimeoutMs?: number;
  /** TCP established idle timeout (RFC 5382 REQ-5: at least 2 h 4 min). Default 7 440 000 ms. */
  readonly tcpIdleTimeoutMs?: number;
  /** How long a TCP connection's mapping lingers after FIN or RST (RFC 5382 REQ-5 transitory: at least 4 min). Default 240 000 ms. */
  readonly tcpTransitoryMs?: number;
  /** Inbound packets refresh UDP mappings too (RFC 4787 §4.3 allows it; default false). */
  readonly inboundRefresh?: boolean;
  /** Keep the internal port as external port when it is free (RFC 4787 §4.2.1). Default true. */
  readonly portPreservation?: boolean;
  /** How a port is picked when not preserved. Default sequential. */
  readonly portAllocation?: 'sequential' | 'random';
  /** External ports handed out when not preserved. Default [49152, 65535]. */
  readonly portRange?: readonly [number, number];
}

export type NatPreset = 'full-cone' | 'restricted-cone' | 'port-restricted-cone' | 'symmetric';

/** The classic (RFC 3489) names, as RFC 4787 behaviours. */
export const NAT_PRESETS: Readonly<Record<NatPreset, NatConfig>> = {
  'full-cone': { mapping: 'endpoint-independent', filtering: 'endpoint-independent' },
  'restricted-cone': { mapping: 'endpoint-independent', filtering: 'address-dependent' },
  'port-restricted-cone': { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' },
  symmetric: { mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portPreservation: false },
};

export interface NatMappingView {
  readonly proto: Proto;
  readonly internal: TransportAddress;
  readonly external: TransportAddress;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Remote endpoints (or addresses, per filtering) allowed back in. */
  readonly permits: readonly string[];
}

export type NatEvent =
  | { readonly type: 'mapping'; readonly action: 'created' | 'expired' | 'closed'; readonly at: number; readonly mapping: NatMappingView; readonly remote?: TransportAddress }
  | { readonly type: 'filtered'; readonly at: number; readonly reason: 'nat-no-mapping' | 'nat-filter' | 'nat-no-port' | 'no-hairpin'; readonly proto: Proto; readonly from: TransportAddress; readonly to: TransportAddress };

export interface NatStats {
  mappingsCreated: number;
  mappingsExpired: number;
  mappingsClosed: number;
  /** Packets translated outbound / inbound (hairpinned ones count in both and in `hairpinned`). */
  outbound: number;
  inbound: number;
  hairpinned: number;
  /** Inbound packets refused by filtering (`nat-filter`). */
  filtered: number;
  /** Inbound packets with no mapping (`nat-no-mapping`), outbound with no port (`nat-no-port`), hairpins refused. */
  noMapping: number;
  noPort: number;
  noHairpin: number;
}

interface Mapping {
  readonly proto: Proto;
  readonly internal: TransportAddress;
  readonly external: TransportAddress;
  readonly outKey: string;
  readonly createdAt: number;
  expiresAt: number;
  /** Filtering state (RFC 4787 §5): the destinations this mapping sent to. */
  readonly permits: Set<string>;
  /** TCP: remote endpoint → end of the connection's life through this mapping (Infinity while open, the transitory deadline once FIN or RST was seen). */
  readonly conns: Map<string, number>;
}

const key = (a: TransportAddress): string => `${a.ip}:${a.port}`;

function view(m: Mapping): NatMappingView {
  return { proto: m.proto, internal: m.internal, external: m.external, createdAt: m.createdAt, expiresAt: m.expiresAt, permits: [...m.permits] };
}

/**
 * A NAT with one public address and RFC 4787 behaviours, for UDP and (per RFC 5382) TCP.
 * Mappings end lazily: a dead mapping is removed when next looked up, listed or swept, so the
 * NAT holds no timers; its `expired`/`closed` event carries the time it died.
 */
export class Nat {
  private readonly out = new Map<string, Mapping>();
  private readonly ext = new Map<string, Mapping>();
  private readonly cursor: Record<Proto, number>;
  private created = 0;
  readonly config: Required<NatConfig>;
  readonly stats: NatStats = { mappingsCreated: 0, mappingsExpired: 0, mappingsClosed: 0, outbound: 0, inbound: 0, hairpinned: 0, filtered: 0, noMapping: 0, noPort: 0, noHairpin: 0 };

  constructor(
    readonly publicIp: string,
    config: NatConfig,
    private readonly rng: RandomSource,
    private readonly now: () => number,
    private readonly onEvent: (e: NatEvent) => void = () => undefined,
  ) {
    this.config = {
      hairpinning: false,
      udpTimeoutMs: 120_000,
      tcpIdleTimeoutMs: 7_440_000,
      tcpTransitoryMs: 240_000,
      inboundRefresh: false,
      portPreservation: true,
      portAllocation: 'sequential',
      portRange: [49152, 65535],
      ...config,
    };
    const [lo, hi] = this.config.portRange;
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi <= 65535 && lo <= hi)) {
      throw new MediapathError('INVALID_ARGUMENT', `NAT port range [${lo}, ${hi}] is not within 1..65535`, { layer: 'net' });
    }
    for (const t of [this.config.udpTimeoutMs, this.config.tcpIdleTimeoutMs, this.config.tcpTransitoryMs]) {
      if (!(t > 0)) throw new MediapathError('INVALID_ARGUMENT', `NAT timeouts must be > 0, got ${t}`, { layer: 'net' });
    }
    this.cursor = { udp: lo, tcp: lo };
  }

  /** Translates a packet leaving the inside: rewrites its source, or says why it cannot. */
  outbound(p: Packet): DropReason | undefined {
    const now = this.now();
    const k = this.outKey(p.proto, p.src, p.dst);
    let m = this.out.get(k);
    if (m && !this.alive(m, now)) {
      this.retire(m, now);
      m = undefined;
    }
    const kind = p.tcp?.kind;
    const remote = key(p.dst);
    if (p.proto === 'tcp' && kind !== 'syn' && !(m && this.connOpen(m, remote, now))) {
      // RFC 5382 §5: only a SYN opens a TCP mapping; anything else is for a connection we do not know.
      this.stats.noMapping++;
      this.filteredEvent('nat-no-mapping', p);
      return 'nat-no-mapping';
    }
    if (!m) {
      const port = this.allocate(p.proto, p.src.port);
      if (port === undefined) {
        this.stats.noPort++;
        this.filteredEvent('nat-no-port', p);
        return 'nat-no-port';
      }
      m = { proto: p.proto, internal: p.src, external: { ip: this.publicIp, port }, outKey: k, createdAt: now, expiresAt: now, permits: new Set(), conns: new Map() };
      this.out.set(k, m);
      this.ext.set(`${p.proto}|${port}`, m);
      this.stats.mappingsCreated++;
      this.onEvent({ type: 'mapping', action: 'created', at: now, mapping: view(m), remote: p.dst });
      if (++this.created % 256 === 0) this.sweep(now);
    }
    m.expiresAt = now + this.timeout(p.proto);
    const permit = this.permitKey(p.dst);
    if (permit !== undefined) m.permits.add(permit);
    p.src = m.external;
    this.stats.outbound++;
    if (kind === 'syn') m.conns.set(remote, Infinity);
    else if (kind === 'fin' || kind === 'rst') this.closing(m, remote, now);
    return undefined;
  }

  /** Translates a packet arriving at the public address: rewrites its destination, or refuses it. */
  inbound(p: Packet): DropReason | undefined {
    const now = this.now();
    const m = this.ext.get(`${p.proto}|${p.dst.port}`);
    if (!m || !this.alive(m, now)) {
      if (m) this.retire(m, now);
      this.stats.noMapping++;
      this.filteredEvent('nat-no-mapping', p);
      return 'nat-no-mapping';
    }
    const remote = key(p.src);
    const kind = p.tcp?.kind;
    const known = p.proto === 'tcp' && this.connOpen(m, remote, now);
    if (!known) {
      if (!this.admits(m, p.src)) {
        this.stats.filtered++;
        this.filteredEvent('nat-filter', p);
        return 'nat-filter';
      }
      if (p.proto === 'tcp' && kind !== 'syn') {
        this.stats.noMapping++;
        this.filteredEvent('nat-no-mapping', p);
        return 'nat-no-mapping';
      }
    }
    if (p.proto === 'tcp') {
      m.expiresAt = now + this.config.tcpIdleTimeoutMs;
      if (kind === 'syn') m.conns.set(remote, Infinity);
    } else if (this.config.inboundRefresh) {
      m.expiresAt = now + this.config.udpTimeoutMs;
    }
    p.dst = m.internal;
    this.stats.inbound++;
    if (kind === 'fin' || kind === 'rst') this.closing(m, remote, now);
    return undefined;
  }

  /** @internal counts a hairpin refused for lack of support. */
  refuseHairpin(p: Packet): void {
    this.stats.noHairpin++;
    this.filteredEvent('no-hairpin', p);
  }

  /** Live mappings (expired ones are removed first). */
  mappings(): NatMappingView[] {
    this.sweep(this.now());
    return [...this.out.values()].map(view);
  }

  private timeout(proto: Proto): number {
    return proto === 'udp' ? this.config.udpTimeoutMs : this.config.tcpIdleTimeoutMs;
  }

  // RFC 4787 §4.1: the mapping is reused for all destinations (EIM), per destination address
  // (ADM), or per destination address and port (APDM).
  private outKey(proto: Proto, internal: TransportAddress, dst: TransportAddress): string {
    const base = `${proto}|${key(internal)}`;
    switch (this.config.mapping) {
      case 'endpoint-independent':
        return base;
      case 'address-dependent':
        return `${base}|${dst.ip}`;
      case 'address-and-port-dependent':
        return `${base}|${key(dst)}`;
    }
  }

  private permitKey(dst: TransportAddress): string | undefined {
    switch (this.config.filtering) {
      case 'endpoint-independent':
        return undefined;
      case 'address-dependent':
        return dst.ip;
      case 'address-and-port-dependent':
        return key(dst);
    }
  }

  // RFC 4787 §5: who may send in through an existing mapping.
  private admits(m: Mapping, from: TransportAddress): boolean {
    switch (this.config.filtering) {
      case 'endpoint-independent':
        return true;
      case 'address-dependent':
        return m.permits.has(from.ip);
      case 'address-and-port-dependent':
        return m.permits.has(key(from));
    }
  }

  private allocate(proto: Proto, internalPort: number): number | undefined {
    const free = (port: number): boolean => !this.ext.has(`${proto}|${port}`);
    if (this.config.portPreservation && free(internalPort)) return internalPort;
    const [lo, hi] = this.config.portRange;
    const n = hi - lo + 1;
    if (this.config.portAllocation === 'random') {
      for (let i = 0; i < 32; i++) {
        const port = lo + this.rng.int(n);
        if (free(port)) return port;
      }
    }
    for (let i = 0; i < n; i++) {
      const port = lo + ((this.cursor[proto] - lo + i) % n);
      if (free(port)) {
        this.cursor[proto] = port + 1 > hi ? lo : port + 1;
        return port;
      }
    }
    return undefined;
  }

  /** Idle timeout not reached and, for TCP, some connection still open or lingering. */
  private alive(m: Mapping, now: number): boolean {
    if (m.expiresAt <= now) return false;
    if (m.proto === 'udp') return true;
    for (const until of m.conns.values()) if (until > now) return true;
    return false;
  }

  private connOpen(m: Mapping, remote: string, now: number): boolean {
    const until = m.conns.get(remote);
    return until !== undefined && until > now;
  }

  // FIN or RST: segments still in flight get through for the transitory time, then the
  // connection is gone (the mapping with it when it was the last one).
  private closing(m: Mapping, remote: string, now: number): void {
    const until = m.conns.get(remote);
    if (until !== undefined) m.conns.set(remote, Math.min(until, now + this.config.tcpTransitoryMs));
  }

  /** Removes a mapping found dead: idle too long (expired) or, for TCP, all connections over (closed). */
  private retire(m: Mapping, now: number): void {
    this.remove(m);
    if (m.expiresAt <= now) {
      this.stats.mappingsExpired++;
      this.onEvent({ type: 'mapping', action: 'expired', at: m.expiresAt, mapping: view(m) });
    } else {
      this.stats.mappingsClosed++;
      const at = Math.max(m.createdAt, ...[...m.conns.values()].filter((u) => u <= now));
      this.onEvent({ type: 'mapping', action: 'closed', at, mapping: view(m) });
    }
  }

  private remove(m: Mapping): void {
    if (this.out.get(m.outKey) === m) this.out.delete(m.outKey);
    const ek = `${m.proto}|${m.external.port}`;
    if (this.ext.get(ek) === m) this.ext.delete(ek);
  }

  private sweep(now: number): void {
    for (const m of [...this.out.values()]) if (!this.alive(m, now)) this.retire(m, now);
  }

  private filteredEvent(reason: 'nat-no-mapping' | 'nat-filter' | 'nat-no-port' | 'no-hairpin', p: Packet): void {
    this.onEvent({ type: 'filtered', at: this.now(), reason, proto: p.proto, from: p.src, to: p.dst });
  }
}
