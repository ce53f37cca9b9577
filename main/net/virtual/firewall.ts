import type { TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import { cidrContains, parseCidr, parseIpv4, type Cidr } from './ip';
import type { Packet, PacketView, Proto } from './packet';

/** `out`: from the inside (the router's LAN) towards its upstream; `in`: the other way. */
export type FirewallDirection = 'in' | 'out';
export type PortMatch = number | readonly [number, number];

export interface FirewallRule {
  readonly action: 'allow' | 'drop';
  /** Both directions when omitted. */
  readonly direction?: FirewallDirection;
  readonly proto?: Proto;
  /** Source / destination IP or CIDR, as the packet carries them at the firewall (inside addresses, before NAT on the way out and after it on the way in). */
  readonly src?: string;
  readonly dst?: string;
  readonly srcPort?: PortMatch;
  readonly dstPort?: PortMatch;
  /** Shown in drop events. */
  readonly note?: string;
}

export interface FirewallConfig {
  /** First match wins. */
  readonly rules?: readonly FirewallRule[];
  /** Verdict when no rule matches (default allow). */
  readonly defaultIn?: 'allow' | 'drop';
  readonly defaultOut?: 'allow' | 'drop';
  /**
   * Stateful (default): packets of a flow already let through (either direction) pass without
   * rules, so replies come back. Replacing the config flushes the flows, like a reload.
   */
  readonly stateful?: boolean;
  /** Idle lifetime of a UDP flow (default 120 000 ms). TCP flows end with FIN or RST. */
  readonly udpFlowTimeoutMs?: number;
}

/** Firewalls the call scenarios use. */
export const firewallPresets = {
  /** Drops every UDP packet, both ways: TCP (or TLS) relay is the only way out. */
  dropUdp(): FirewallConfig {
    return { rules: [{ action: 'drop', proto: 'udp', note: 'drop all UDP' }] };
  },
  /** Lets out only TCP to these ports (default 443 and 80); replies come back; nothing else in. */
  onlyTcp(ports: readonly number[] = [443, 80]): FirewallConfig {
    return {
      rules: ports.map((p) => ({ action: 'allow', direction: 'out', proto: 'tcp', dstPort: p, note: `allow TCP to ${p}` }) as const),
      defaultOut: 'drop',
      defaultIn: 'drop',
    };
  },
} as const;

export interface FirewallDrop {
  readonly at: number;
  readonly direction: FirewallDirection;
  /** Index of the rule that dropped it, or `default`. */
  readonly rule: number | 'default';
  readonly note?: string;
  readonly packet: PacketView;
}

export interface FirewallStats {
  allowed: number;
  /** Passed as part of an existing flow, without rules. */
  established: number;
  droppedIn: number;
  droppedOut: number;
}

interface CompiledRule {
  readonly rule: FirewallRule;
  readonly src: Cidr | undefined;
  readonly dst: Cidr | undefined;
}

interface Flow {
  expiresAt: number;
  closing: boolean;
}

const TCP_FLOW_IDLE_MS = 7_440_000;
const TCP_FLOW_CLOSING_MS = 120_000;
const key = (a: TransportAddress): string => `${a.ip}:${a.port}`;

function portMatches(m: PortMatch | undefined, port: number): boolean {
  if (m === undefined) return true;
  return typeof m === 'number' ? m === port : port >= m[0] && port <= m[1];
}

function ipMatches(c: Cidr | undefined, ip: string): boolean {
  if (!c) return true;
  const n = parseIpv4(ip);
  return n !== undefined && cidrContains(c, n);
}

function compile(config: FirewallConfig): CompiledRule[] {
  return (config.rules ?? []).map((rule, i) => {
    const cidr = (text: string | undefined, what: string): Cidr | undefined => {
      if (text === undefined) return undefined;
      const c = parseCidr(text);
      if (!c) throw new MediapathError('INVALID_ARGUMENT', `firewall rule ${i}: ${what} is not an IPv4 address or CIDR: ${text}`, { layer: 'net' });
      return c;
    };
    return { rule, src: cidr(rule.src, 'src'), dst: cidr(rule.dst, 'dst') };
  });
}

/** An ordered rule list per router, evaluated per direction, with optional flow state. */
export class Firewall {
  private rules: CompiledRule[] = [];
  private config: FirewallConfig = {};
  private readonly flows = new Map<string, Flow>();
  private created = 0;
  readonly stats: FirewallStats = { allowed: 0, established: 0, droppedIn: 0, droppedOut: 0 };

  constructor(
    config: FirewallConfig,
    private readonly now: () => number,
    private readonly onDrop: (d: FirewallDrop) => void = () => undefined,
  ) {
    this.configure(config);
  }

  /** Replaces the rules and flushes flow state. */
  configure(config: FirewallConfig): void {
    this.rules = compile(config);
    this.config = config;
    this.flows.clear();
  }

  get current(): FirewallConfig {
    return this.config;
  }

  /** Whether `p` may cross in `direction`. */
  check(direction: FirewallDirection, p: Packet): boolean {
    const now = this.now();
    const stateful = this.config.stateful ?? true;
    const inside = direction === 'out' ? p.src : p.dst;
    const outside = direction === 'out' ? p.dst : p.src;
    const fk = stateful ? `${p.proto}|${key(inside)}|${key(outside)}` : '';
    if (stateful) {
      const f = this.flows.get(fk);
      if (f && f.expiresAt > now) {
        this.track(fk, f, p, now);
        this.stats.established++;
        return true;
      }
    }
    let index: number | 'default' = 'default';
    let action = (direction === 'out' ? this.config.defaultOut : this.config.defaultIn) ?? 'allow';
    let note: string | undefined;
    for (let i = 0; i < this.rules.length; i++) {
      const c = this.rules[i]!;
      const r = c.rule;
      if (r.direction !== undefined && r.direction !== direction) continue;
      if (r.proto !== undefined && r.proto !== p.proto) continue;
      if (!portMatches(r.srcPort, p.src.port) || !portMatches(r.dstPort, p.dst.port)) continue;
      if (!ipMatches(c.src, p.src.ip) || !ipMatches(c.dst, p.dst.ip)) continue;
      index = i;
      action = r.action;
      note = r.note;
      break;
    }
    if (action === 'drop') {
      if (direction === 'in') this.stats.droppedIn++;
      else this.stats.droppedOut++;
      this.onDrop({ at: now, direction, rule: index, ...(note !== undefined ? { note } : {}), packet: { proto: p.proto, src: p.src, dst: p.dst, size: p.size, ...(p.tcp ? { tcp: p.tcp } : {}) } });
      return false;
    }
    this.stats.allowed++;
    if (stateful) {
      this.track(fk, { expiresAt: Infinity, closing: false }, p, now);
      if (++this.created % 1024 === 0) this.sweep(now);
    }
    return true;
  }

  private track(fk: string, f: Flow, p: Packet, now: number): void {
    const kind = p.tcp?.kind;
    if (kind === 'fin' || kind === 'rst') {
      // Like conntrack's TIME_WAIT: segments still in flight get through for a while.
      f.closing = true;
      f.expiresAt = Math.min(f.expiresAt, now + TCP_FLOW_CLOSING_MS);
    } else if (!f.closing) {
      f.expiresAt = now + (p.proto === 'udp' ? (this.config.udpFlowTimeoutMs ?? 120_000) : TCP_FLOW_IDLE_MS);
    }
    this.flows.set(fk, f);
  }

  private sweep(now: number): void {
    for (const [k, f] of this.flows) if (f.expiresAt <= now) this.flows.delete(k);
  }
}
