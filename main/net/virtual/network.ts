import type { TransportAddress } from '../../common/address';
import type { Clock } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { TypedEmitter } from '../../common/events';
import { createLogger, type Logger } from '../../common/logger';
import { SeededRandom } from '../../common/random';
import { DnsTable } from './dns';
import type { Fabric } from './fabric';
import type { FirewallConfig, FirewallDrop } from './firewall';
import { VirtualHost } from './host';
import type { ImpairmentSpec, TcpLossModel } from './impairment';
import { parseCidr, parseIpv4 } from './ip';
import { Lan, type Iface, type NetworkNode } from './lan';
import { Link, type LinkSide } from './link';
import { Nat, NAT_PRESETS, type NatConfig, type NatEvent, type NatPreset } from './nat';
import type { DropReason, Packet, PacketView, Proto, TcpSegment } from './packet';
import { VirtualRouter } from './router';
import { EventScheduler, type ScheduledEvent } from './scheduler';
import { addHop, GroundTruth, type TruthOptions } from './truth';

export interface VirtualNetworkOptions {
  readonly clock: Clock;
  /**
   * A seed or a seeded source. Each link, NAT… forks its own stream from it in creation order,
   * so the same topology built in the same order with the same seed behaves the same. Default 1.
   */
  readonly random?: SeededRandom | number;
  readonly truth?: TruthOptions;
  /** How TCP pays for loss: see TcpLossModel. Default 200 ms, 6 retransmissions. */
  readonly tcp?: Partial<TcpLossModel>;
  /** connectTcp timeout when the caller gives none (default 10 000 ms, as NodeNet). */
  readonly connectTimeoutMs?: number;
  /** Addresses handed to internet hosts created without one (default 203.0.113.0/24). */
  readonly internetPool?: string;
}

export interface LanOptions {
  readonly cidr: string;
}

type Impairment = ImpairmentSpec | readonly ImpairmentSpec[];

export interface HostOptions {
  /** LAN to attach to (default `internet`). */
  readonly lan?: string;
  /** Address on it (default: the next free one). */
  readonly ip?: string;
  /** Names to register in the network's DNS for this address. */
  readonly dns?: string | readonly string[];
  /** Impairment of the host's link (both directions). */
  readonly link?: Impairment;
}

export interface RouterOptions {
  /** The LAN behind the router; it must not have a gateway yet. */
  readonly inside: string;
  /** The LAN in front (default `internet`). */
  readonly outside?: string;
  /** Address on the outside LAN: the NAT's public address (default: the next free one). */
  readonly ip?: string;
  /** Address on the inside LAN (default: the next free one, usually .1). */
  readonly insideIp?: string;
  /** Translate addresses (a NAT); omit for a plain router that routes the inside CIDR as is. */
  readonly nat?: NatConfig | NatPreset;
  readonly firewall?: FirewallConfig;
  /** Impairment of the outside link (the site's uplink). */
  readonly wan?: Impairment;
  /** Impairment of the inside link. */
  readonly lan?: Impairment;
}

export interface VirtualNetworkEvents {
  /** NAT mapping created / expired / closed, or a packet refused by a NAT. */
  nat: NatEvent & { readonly nat: string };
  'firewall.drop': FirewallDrop & { readonly router: string };
  'packet.dropped': { readonly at: number; readonly id: number; readonly reason: DropReason; readonly where: string; readonly packet: PacketView };
}

/**
 * A deterministic in-process network: a tree of LANs (the internet at the root, LANs behind
 * routers and NATs below), hosts whose `Net` the engine runs on unchanged, impairment on any
 * link, and a ground-truth record of every packet. Time is the injected clock; randomness the
 * seeded source. Nothing here touches a real socket.
 */
export class VirtualNetwork implements Fabric {
  readonly clock: Clock;
  readonly truth: GroundTruth;
  readonly dns = new DnsTable();
  readonly events: TypedEmitter<VirtualNetworkEvents>;
  readonly internet: Lan;
  readonly connectTimeoutMs: number;
  private readonly random: SeededRandom;
  private readonly scheduler: EventScheduler;
  private readonly tcpLoss: TcpLossModel;
  private readonly lans = new Map<string, Lan>();
  private readonly hosts = new Map<string, VirtualHost>();
  private readonly routers = new Map<string, VirtualRouter>();
  private readonly log: Logger;
  private nextId = 1;
  private isClosed = false;

  constructor(options: VirtualNetworkOptions) {
    this.clock = options.clock;
    this.random = options.random instanceof SeededRandom ? options.random : new SeededRandom(options.random ?? 1);
    this.truth = new GroundTruth(options.truth);
    this.scheduler = new EventScheduler(this.clock);
    this.tcpLoss = { retransmitMs: options.tcp?.retransmitMs ?? 200, maxRetransmits: options.tcp?.maxRetransmits ?? 6 };
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.log = createLogger('net/virtual');
    this.events = new TypedEmitter<VirtualNetworkEvents>((e) => this.log.warn({ err: e }, 'virtual network listener threw'));
    const pool = parseCidr(options.internetPool ?? '203.0.113.0/24');
    if (!pool) throw invalid(`internetPool is not a CIDR: ${options.internetPool}`);
    this.internet = new Lan('internet', parseCidr('0.0.0.0/0')!, pool);
    this.lans.set('internet', this.internet);
  }

  // ---- building --------------------------------------------------------------------------

  addLan(name: string, options: LanOptions): Lan {
    this.checkName(name);
    const cidr = parseCidr(options.cidr);
    if (!cidr) throw invalid(`LAN ${name}: not an IPv4 CIDR: ${options.cidr}`);
    const lan = new Lan(name, cidr);
    this.lans.set(name, lan);
    return lan;
  }

  addHost(name: string, options: HostOptions = {}): VirtualHost {
    this.checkName(name);
    const host = new VirtualHost(name, this);
    this.attachHost(host, options);
    this.hosts.set(name, host);
    return host;
  }

  /** Puts an existing host on one more LAN (a multi-homed host such as an edge server). */
  attachHost(host: VirtualHost, options: HostOptions = {}): Iface {
    const lan = this.lan(options.lan ?? 'internet');
    if (host.onLan(lan)) throw invalid(`host ${host.name} is already on LAN ${lan.name}`);
    const iface = this.attach(host, `eth${host.ifaceCount}`, lan, options.ip, options.link);
    host.addIface(iface);
    const names = options.dns === undefined ? [] : typeof options.dns === 'string' ? [options.dns] : options.dns;
    for (const n of names) this.dns.add(n, iface.ip);
    return iface;
  }

  /** A router between `inside` and `outside`; a NAT when `nat` is given. */
  addRouter(name: string, options: RouterOptions): VirtualRouter {
    this.checkName(name);
    const inside = this.lan(options.inside);
    const outside = this.lan(options.outside ?? 'internet');
    if (inside === this.internet) throw invalid(`router ${name}: the internet cannot be behind a router`);
    if (inside.gateway) throw invalid(`router ${name}: LAN ${inside.name} already sits behind ${inside.gateway.owner.name}`);
    for (let l: Lan | undefined = outside; l; l = l.parent) {
      if (l === inside) throw invalid(`router ${name}: LAN ${outside.name} is behind ${inside.name} already (the topology is a tree)`);
    }
    const natConfig = typeof options.nat === 'string' ? NAT_PRESETS[options.nat] : options.nat;
    if (typeof options.nat === 'string' && !natConfig) throw invalid(`router ${name}: unknown NAT preset ${options.nat}`);
    const outsideIp = options.ip ?? outside.allocateIp();
    const nat = natConfig ? new Nat(outsideIp, natConfig, this.random.fork(), () => this.clock.now(), (e) => this.onNat(name, e)) : undefined;
    const router = new VirtualRouter(name, this, nat, options.firewall, (d) => this.onFirewallDrop(name, d));
    router.outside = this.attach(router, 'wan', outside, outsideIp, options.wan);
    router.inside = this.attach(router, 'lan', inside, options.insideIp, options.lan);
    inside.gateway = router.inside;
    inside.parent = outside;
    if (!nat) outside.addRoute(inside.cidr, router.outside);
    this.routers.set(name, router);
    this.log.debug({ router: name, inside: inside.name, outside: outside.name, nat: natConfig ?? null }, 'router added');
    return router;
  }

  /** A NAT router (default behaviour: port-restricted cone, i.e. EIM + APDF like Linux masquerade). */
  addNat(name: string, options: RouterOptions): VirtualRouter {
    return this.addRouter(name, { ...options, nat: options.nat ?? 'port-restricted-cone' });
  }

  lan(name: string): Lan {
    const l = this.lans.get(name);
    if (!l) throw invalid(`no LAN named ${name}`);
    return l;
  }

  host(name: string): VirtualHost {
    const h = this.hosts.get(name);
    if (!h) throw invalid(`no host named ${name}`);
    return h;
  }

  router(name: string): VirtualRouter {
    const r = this.routers.get(name);
    if (!r) throw invalid(`no router named ${name}`);
    return r;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  get closed(): boolean {
    return this.isClosed;
  }

  /** Closes every socket, listener and connection and drops every packet in flight. */
  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    for (const h of this.hosts.values()) h.shutdown();
    this.scheduler.clear();
    return Promise.resolve();
  }

  /** Sockets, listeners and connections open on all hosts: tests assert 0 at the end. */
  openResources(): number {
    let n = 0;
    for (const h of this.hosts.values()) n += h.openResources();
    return n;
  }

  /** Packets and TCP timers waiting on the network's queue. */
  get pendingEvents(): number {
    return this.scheduler.pending;
  }

  // ---- Fabric: the packet path -----------------------------------------------------------

  now(): number {
    return this.clock.now();
  }

  after(ms: number, cb: () => void): ScheduledEvent {
    return this.scheduler.after(ms, cb);
  }

  originate(proto: Proto, src: TransportAddress, dst: TransportAddress, payload: Uint8Array, tcp?: TcpSegment): Packet {
    const id = this.nextId++;
    const sentAt = this.clock.now();
    const record = this.truth.open({ id, proto, src, dst, size: payload.length, sentAt, payload, kind: tcp?.kind });
    return { id, proto, src, dst, payload, size: payload.length, sentAt, tcp, hops: 0, deferred: false, record };
  }

  transmit(p: Packet, iface: Iface): void {
    this.cross(iface.link, iface.link.egress, p, (q) => this.forward(iface.lan, q, iface));
  }

  drop(p: Packet, reason: DropReason, where: string): void {
    this.truth.markDropped(p.record, this.clock.now(), reason, where);
    if (this.events.listenerCount('packet.dropped') > 0) {
      this.events.emit('packet.dropped', { at: this.clock.now(), id: p.id, reason, where, packet: { proto: p.proto, src: p.src, dst: p.dst, size: p.size, ...(p.tcp ? { tcp: p.tcp } : {}) } });
    }
  }

  delivered(p: Packet, by: string): void {
    this.truth.markDelivered(p.record, this.clock.now(), p.src, p.dst, by);
  }

  private forward(lan: Lan, p: Packet, from: Iface): void {
    const target = lan.target(p.dst.ip, from);
    if (!target) {
      this.drop(p, 'no-route', lan.name);
      return;
    }
    this.cross(target.link, target.link.ingress, p, (q) => target.owner.receive(q, target));
  }

  /** One direction of one link: cut, impaired (loss, delay, copies) or a straight pass. */
  private cross(link: Link, side: LinkSide, p: Packet, next: (p: Packet) => void): void {
    side.stats.packets++;
    if (side.down) {
      side.stats.dropped++;
      this.drop(p, 'link-down', link.name);
      return;
    }
    if (!side.impaired) {
      next(p);
      return;
    }
    const now = this.clock.now();
    const rule = side.ruleFor(p, now);
    if (!rule) {
      next(p);
      return;
    }
    const v = rule.apply(p, now, this.tcpLoss);
    const r = p.record;
    if (r) {
      addHop(r, v.retransmits > 0 ? { link: link.name, delayMs: v.delayMs, retransmits: v.retransmits } : { link: link.name, delayMs: v.delayMs });
      r.retransmits += v.retransmits;
    }
    if (v.drop) {
      side.stats.dropped++;
      this.drop(p, v.drop, link.name);
      return;
    }
    if (r) r.impairedMs += v.delayMs;
    if (v.duplicate) {
      side.stats.duplicated++;
      const copy = this.copy(p);
      const d = rule.copyDelay();
      if (copy.record && r) {
        // The copy shares the original's history up to this link, then gets its own delay here.
        copy.record.hops = [...r.hops.slice(0, -1), { link: link.name, delayMs: d }];
        copy.record.impairedMs = r.impairedMs - v.delayMs + d;
      }
      this.later(copy, d, next);
    }
    this.later(p, v.delayMs, next);
  }

  private later(p: Packet, delayMs: number, next: (p: Packet) => void): void {
    if (delayMs <= 0) {
      next(p);
      return;
    }
    p.deferred = true;
    this.scheduler.after(delayMs, () => next(p));
  }

  private copy(p: Packet): Packet {
    const id = this.nextId++;
    const orig = p.record;
    const record = this.truth.openCopy({ id, proto: p.proto, src: orig?.src ?? p.src, dst: orig?.dst ?? p.dst, size: p.size, sentAt: p.sentAt, payload: p.payload, kind: undefined }, orig);
    return { id, proto: p.proto, src: p.src, dst: p.dst, payload: p.payload.slice(), size: p.size, sentAt: p.sentAt, tcp: p.tcp, hops: p.hops, deferred: p.deferred, record };
  }

  // ---- internals -------------------------------------------------------------------------

  private attach(owner: NetworkNode, ifName: string, lan: Lan, ip: string | undefined, impairment: Impairment | undefined): Iface {
    if (ip !== undefined && parseIpv4(ip) === undefined) throw invalid(`${owner.name}: not an IPv4 address: ${ip}`);
    const address = ip ?? lan.allocateIp();
    const link = new Link(`${owner.name}/${ifName}`, this.random.fork());
    const iface: Iface = { name: ifName, owner, lan, ip: address, link };
    lan.attach(iface);
    if (impairment) link.impair(impairment);
    return iface;
  }

  private checkName(name: string): void {
    if (this.isClosed) throw new MediapathError('CLOSED', 'the virtual network is closed', { layer: 'net' });
    if (!name || this.lans.has(name) || this.hosts.has(name) || this.routers.has(name)) throw invalid(`name ${JSON.stringify(name)} is empty or already used`);
  }

  private onNat(nat: string, e: NatEvent): void {
    if (e.type === 'mapping') this.log.debug({ nat, action: e.action, internal: e.mapping.internal, external: e.mapping.external }, 'NAT mapping');
    if (this.events.listenerCount('nat') > 0) this.events.emit('nat', { ...e, nat });
  }

  private onFirewallDrop(router: string, d: FirewallDrop): void {
    if (this.events.listenerCount('firewall.drop') > 0) this.events.emit('firewall.drop', { ...d, router });
  }
}

function invalid(msg: string): MediapathError {
  return new MediapathError('INVALID_ARGUMENT', `virtual network: ${msg}`, { layer: 'net' });
}
