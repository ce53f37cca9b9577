import type { TransportAddress } from '../../common/address';
import { formatAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import type { ConnectOptions, DatagramSocket, Net, NetworkInterface, StreamServer, StreamSocket } from '../types';
import type { Fabric } from './fabric';
import { isLoopbackIp, LOOPBACK_IP, parseIpv4, WILDCARD_IP } from './ip';
import type { Iface, Lan, NetworkNode } from './lan';
import type { Link } from './link';
import type { Packet, TcpKind } from './packet';
import { PortTable } from './ports';
import type { ScheduledEvent } from './scheduler';
import { TcpEndpoint, VirtualStreamServer, type TcpHost, type TcpListenHost } from './tcp';
import { VirtualUdpSocket, type UdpHost } from './udp';

// IPv4 maximum UDP payload (65535 − 20 − 8).
const MAX_UDP_PAYLOAD = 65_507;
const EMPTY = new Uint8Array(0);

type Route = { readonly kind: 'local' } | { readonly kind: 'iface'; readonly iface: Iface } | { readonly kind: 'none' };

const connKey = (local: TransportAddress, remote: TransportAddress): string => `${local.ip}:${local.port}|${remote.ip}:${remote.port}`;

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/**
 * A computer on the virtual network, and the `Net` the engine gets to run on it. It owns its
 * ports, its sockets and its connections; routing beyond its interfaces is the fabric's job.
 * Traffic to 127.0.0.0/8 or to one of its own addresses stays inside (loopback), still
 * delivered asynchronously.
 */
export class VirtualHost implements Net, NetworkNode, UdpHost, TcpHost, TcpListenHost {
  private readonly ifaces: Iface[] = [];
  private readonly udpPorts = new PortTable<VirtualUdpSocket>();
  private readonly tcpPorts = new PortTable<TcpEndpoint | VirtualStreamServer>();
  private readonly conns = new Map<string, TcpEndpoint>();
  private readonly udpSockets = new Set<VirtualUdpSocket>();

  constructor(
    readonly name: string,
    private readonly fabric: Fabric,
  ) {}

  // ---- Net -------------------------------------------------------------------------------

  bindUdp(addr: { ip: string; port?: number }): Promise<DatagramSocket> {
    try {
      this.checkOpen('bind');
      const ip = this.checkLocalIp(addr.ip, 'UDP', addr.port);
      const port = addr.port ?? 0;
      if (port !== 0 && !validPort(port)) throw this.bindError('UDP', addr, 'port out of range');
      const s = this.udpPorts.bind(ip, port, (p) => new VirtualUdpSocket(this, { ip, port: p }));
      if (!s) throw this.bindError('UDP', addr, port ? 'address in use (EADDRINUSE)' : 'no ephemeral port left');
      this.udpSockets.add(s);
      return Promise.resolve(s);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  connectTcp(to: TransportAddress, opts: ConnectOptions = {}): Promise<StreamSocket> {
    try {
      this.checkOpen('connect');
      if (parseIpv4(to.ip) === undefined || !validPort(to.port)) {
        throw new MediapathError('NET_CONNECT_FAILED', `TCP connect to ${formatAddress(to)}: not an IPv4 address and port`, { layer: 'net', peer: to });
      }
      const boundIp = opts.local ? this.checkLocalIp(opts.local.ip, 'TCP', opts.local.port) : WILDCARD_IP;
      const route = this.route(to.ip, boundIp);
      if (route.kind === 'none') {
        throw new MediapathError('NET_CONNECT_FAILED', `TCP connect to ${formatAddress(to)}: network unreachable from ${this.name}`, { layer: 'net', peer: to });
      }
      const ip = boundIp !== WILDCARD_IP ? boundIp : route.kind === 'local' ? (isLoopbackIp(to.ip) ? LOOPBACK_IP : to.ip) : route.iface.ip;
      const ep = this.tcpPorts.bind(ip, opts.local?.port, (port) => new TcpEndpoint(this, { ip, port }, { ip: to.ip, port: to.port }, Boolean(opts.tls), 'client', true));
      if (!(ep instanceof TcpEndpoint)) throw this.bindError('TCP', { ip, port: opts.local?.port }, opts.local?.port ? 'address in use (EADDRINUSE)' : 'no ephemeral port left');
      this.conns.set(connKey(ep.local, ep.remote), ep);
      return ep.connect(opts.timeoutMs ?? this.fabric.connectTimeoutMs);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  listenTcp(addr: { ip: string; port?: number }): Promise<StreamServer> {
    try {
      this.checkOpen('listen');
      const ip = this.checkLocalIp(addr.ip, 'TCP', addr.port);
      const port = addr.port ?? 0;
      if (port !== 0 && !validPort(port)) throw this.bindError('TCP', addr, 'port out of range');
      const server = this.tcpPorts.bind(ip, port, (p) => new VirtualStreamServer(this, { ip, port: p }));
      if (!(server instanceof VirtualStreamServer)) throw this.bindError('TCP', addr, port ? 'address in use (EADDRINUSE)' : 'no ephemeral port left');
      return Promise.resolve(server);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  interfaces(): NetworkInterface[] {
    return [
      { name: 'lo', address: LOOPBACK_IP, family: 4, internal: true, cidr: `${LOOPBACK_IP}/8` },
      ...this.ifaces.map((i) => ({ name: i.name, address: i.ip, family: 4 as const, internal: false, cidr: `${i.ip}/${i.lan.cidr.prefix}` })),
    ];
  }

  resolve(host: string): Promise<string[]> {
    try {
      return Promise.resolve(this.fabric.dns.resolve(host));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ---- topology ------------------------------------------------------------------------

  /** The host's addresses, first interface first. */
  get addresses(): string[] {
    return this.ifaces.map((i) => i.ip);
  }

  /** Address of the first interface. */
  get address(): string {
    const i = this.ifaces[0];
    if (!i) throw new MediapathError('INVALID_ARGUMENT', `host ${this.name} has no interface`, { layer: 'net' });
    return i.ip;
  }

  /** Link of the first interface (or of the one on `lan`). */
  link(lan?: string): Link {
    const i = lan === undefined ? this.ifaces[0] : this.ifaces.find((x) => x.lan.name === lan);
    if (!i) throw new MediapathError('INVALID_ARGUMENT', `host ${this.name} has no interface${lan ? ` on ${lan}` : ''}`, { layer: 'net' });
    return i.link;
  }

  /** @internal */
  addIface(iface: Iface): void {
    this.ifaces.push(iface);
  }

  /** @internal */
  get ifaceCount(): number {
    return this.ifaces.length;
  }

  /** Sockets, listeners and connections open on this host. */
  openResources(): number {
    return this.udpSockets.size + this.conns.size + this.tcpPorts.owners().filter((o) => o instanceof VirtualStreamServer).length;
  }

  /** @internal closes everything without sending a packet (the network is going away). */
  shutdown(): void {
    for (const s of [...this.udpSockets]) void s.close();
    for (const o of this.tcpPorts.owners()) if (o instanceof VirtualStreamServer) o.abort();
    for (const ep of [...this.conns.values()]) ep.abort();
  }

  // ---- packets in ----------------------------------------------------------------------

  receive(p: Packet, _via: Iface): void {
    // Delivery is never synchronous with the send, even across an ideal path.
    if (p.deferred) this.accept(p);
    else this.fabric.after(0, () => this.accept(p));
  }

  private accept(p: Packet): void {
    if (p.proto === 'udp') {
      const s = this.udpPorts.lookup(p.dst.ip, p.dst.port);
      if (!s) {
        this.fabric.drop(p, 'port-unreachable', this.name);
        return;
      }
      this.fabric.delivered(p, this.name);
      s.deliver(p.payload, p.src);
      return;
    }
    const seg = p.tcp!;
    const ep = this.conns.get(connKey(p.dst, p.src));
    if (seg.kind === 'syn') {
      this.fabric.delivered(p, this.name);
      if (ep) return;
      const owner = this.tcpPorts.lookup(p.dst.ip, p.dst.port);
      if (!(owner instanceof VirtualStreamServer) || owner.closed) {
        // Nobody listening: refuse with RST (RFC 9293 §3.10.7.1).
        this.sendRaw(p.dst, p.src, 'rst', 0);
        return;
      }
      const server = new TcpEndpoint(this, p.dst, p.src, Boolean(seg.secure), 'server', false);
      this.conns.set(connKey(server.local, server.remote), server);
      server.accept(owner);
      return;
    }
    if (!ep) {
      this.fabric.drop(p, 'no-connection', this.name);
      return;
    }
    this.fabric.delivered(p, this.name);
    ep.receive(seg, p.payload);
  }

  // ---- packets out ---------------------------------------------------------------------

  /** @internal UdpHost */
  sendUdp(from: VirtualUdpSocket, bytes: Uint8Array, to: TransportAddress): void {
    if (parseIpv4(to.ip) === undefined || !validPort(to.port)) {
      this.failLater(from, new MediapathError('NET_SOCKET_ERROR', `UDP send to ${formatAddress(to)}: not an IPv4 address and port`, { layer: 'net', peer: to }));
      return;
    }
    if (bytes.length > MAX_UDP_PAYLOAD) {
      this.failLater(from, new MediapathError('NET_SOCKET_ERROR', `UDP send to ${formatAddress(to)}: ${bytes.length} bytes is too long (EMSGSIZE)`, { layer: 'net', peer: to }));
      return;
    }
    const route = this.route(to.ip, from.local.ip);
    const srcIp = from.local.ip !== WILDCARD_IP ? from.local.ip : route.kind === 'iface' ? route.iface.ip : isLoopbackIp(to.ip) ? LOOPBACK_IP : to.ip;
    const p = this.fabric.originate('udp', { ip: srcIp, port: from.local.port }, { ip: to.ip, port: to.port }, bytes.slice());
    this.dispatch(p, route);
  }

  /** @internal UdpHost */
  releaseUdp(socket: VirtualUdpSocket): void {
    this.udpPorts.release(socket.local.port, socket);
    this.udpSockets.delete(socket);
  }

  /** @internal TcpHost */
  sendSegment(ep: TcpEndpoint, kind: TcpKind, seq: number, payload?: Uint8Array): void {
    this.sendRaw(ep.local, ep.remote, kind, seq, payload, kind === 'syn' ? ep.secure : undefined);
  }

  /** @internal TcpHost */
  detach(ep: TcpEndpoint): void {
    const k = connKey(ep.local, ep.remote);
    if (this.conns.get(k) === ep) this.conns.delete(k);
    if (ep.ownsPort) this.tcpPorts.release(ep.local.port, ep);
  }

  /** @internal TcpListenHost */
  releaseListener(server: VirtualStreamServer): void {
    this.tcpPorts.release(server.local.port, server);
  }

  /** @internal TcpHost */
  now(): number {
    return this.fabric.now();
  }

  /** @internal TcpHost */
  after(ms: number, cb: () => void): ScheduledEvent {
    return this.fabric.after(ms, cb);
  }

  private sendRaw(src: TransportAddress, dst: TransportAddress, kind: TcpKind, seq: number, payload?: Uint8Array, secure?: boolean): void {
    if (this.fabric.closed) return;
    const tcp = secure === undefined ? { kind, seq } : { kind, seq, secure };
    const p = this.fabric.originate('tcp', src, dst, payload ?? EMPTY, tcp);
    this.dispatch(p, this.route(dst.ip, src.ip));
  }

  private dispatch(p: Packet, route: Route): void {
    switch (route.kind) {
      case 'local':
        p.deferred = true;
        this.fabric.after(0, () => this.accept(p));
        return;
      case 'iface':
        this.fabric.transmit(p, route.iface);
        return;
      case 'none':
        this.fabric.drop(p, 'no-route', this.name);
        return;
    }
  }

  /**
   * Which way a packet to `dst` leaves when the socket is bound to `bound`: loopback for our own
   * addresses, else the interface of the bound address, else the interface whose LAN knows the
   * destination, else the first interface (the default route).
   */
  private route(dst: string, bound: string): Route {
    if (isLoopbackIp(dst) || this.ownsIp(dst)) return { kind: 'local' };
    if (isLoopbackIp(bound)) return { kind: 'none' };
    if (bound !== WILDCARD_IP) {
      const i = this.ifaces.find((x) => x.ip === bound);
      return i ? { kind: 'iface', iface: i } : { kind: 'none' };
    }
    if (this.ifaces.length > 1) {
      const i = this.ifaces.find((x) => x.lan.has(dst));
      if (i) return { kind: 'iface', iface: i };
    }
    const first = this.ifaces[0];
    return first ? { kind: 'iface', iface: first } : { kind: 'none' };
  }

  private ownsIp(ip: string): boolean {
    for (const i of this.ifaces) if (i.ip === ip) return true;
    return false;
  }

  private checkOpen(what: string): void {
    if (this.fabric.closed) throw new MediapathError('CLOSED', `${this.name}: cannot ${what}, the virtual network is closed`, { layer: 'net' });
  }

  private checkLocalIp(ip: string, proto: 'UDP' | 'TCP', port: number | undefined): string {
    if (ip === WILDCARD_IP || (isLoopbackIp(ip) && parseIpv4(ip) !== undefined) || this.ownsIp(ip)) return ip;
    throw this.bindError(proto, { ip, port }, parseIpv4(ip) === undefined ? 'only IPv4 exists on the virtual network' : `not an address of ${this.name} (EADDRNOTAVAIL)`);
  }

  private bindError(proto: 'UDP' | 'TCP', addr: { ip: string; port?: number | undefined }, why: string): MediapathError {
    return new MediapathError('NET_BIND_FAILED', `cannot bind ${proto} ${addr.ip}:${addr.port ?? 0} on ${this.name}: ${why}`, { layer: 'net' });
  }

  private failLater(s: VirtualUdpSocket, e: MediapathError): void {
    this.fabric.after(0, () => s.fail(e));
  }

  /** @internal used by the network to list LANs the host is on. */
  onLan(lan: Lan): boolean {
    return this.ifaces.some((i) => i.lan === lan);
  }
}
