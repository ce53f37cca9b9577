import type { TransportAddress } from '../../common/address';
import { familyOf, formatAddress } from '../../common/address';
import type { Clock, TimerHandle } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { TypedEmitter, type Disposable } from '../../common/events';
import { createLogger, type Logger } from '../../common/logger';
import type { RandomSource } from '../../common/random';
import { assertNever } from '../../common/assert';
import type { DatagramSocket, Net, StreamServer, StreamSocket } from '../../net/types';
import { TurnStreamDeframer } from '../../turn';
import { TurnServerCore } from './core';
import type { ClientEndpoint, ClientTransport, TurnServerAction, TurnServerAuth, TurnServerEvent, TurnServerKnobs, TurnServerLifetimes, TurnServerStats } from './types';

export interface LabTurnServerOptions {
  readonly net: Net;
  readonly clock: Clock;
  /** Where clients reach the server. A port left out (or 0) is ephemeral. */
  readonly listen: { readonly ip: string; readonly udpPort?: number; readonly tcpPort?: number };
  /** Client transports to serve; both by default. */
  readonly transports?: readonly ClientTransport[];
  /** A concrete address (not a wildcard): relayed addresses are what the relay sockets bind to. */
  readonly relayIp: string;
  readonly realm: string;
  readonly auth: TurnServerAuth;
  readonly lifetimes?: Partial<TurnServerLifetimes>;
  readonly knobs?: Partial<TurnServerKnobs>;
  readonly software?: string;
  readonly maxAllocations?: number;
  readonly maxPermissions?: number;
  readonly random?: RandomSource;
  /** Hears every event of the core (allocation, permission, channel, response, drop). */
  readonly observer?: (e: TurnServerEvent) => void;
  readonly logger?: Logger;
}

export interface LabTurnServer {
  /** The UDP listening address, when UDP is served. */
  readonly udp: TransportAddress | undefined;
  /** The TCP listening address, when TCP is served. */
  readonly tcp: TransportAddress | undefined;
  readonly core: TurnServerCore;
  readonly stats: TurnServerStats;
  setKnobs(k: Partial<TurnServerKnobs>): void;
  onEvent(cb: (e: TurnServerEvent) => void): Disposable;
  /** Sockets the server holds now: listeners, stream clients, relays. */
  openSockets(): number;
  /** Deletes every allocation and closes every socket and timer it opened. */
  stop(): Promise<void>;
}

interface StreamClient {
  readonly conn: string;
  readonly socket: StreamSocket;
  readonly deframer: TurnStreamDeframer;
}

/**
 * The driver of the lab TURN server: binds the listeners and relay sockets on whatever `Net` it
 * is given (real sockets today, the virtual network in simulations), feeds the core, carries out
 * its actions, and keeps exactly one timer armed for the core's next deadline.
 */
class LabTurnServerImpl implements LabTurnServer {
  readonly core: TurnServerCore;
  private readonly events = new TypedEmitter<{ event: TurnServerEvent }>();
  private readonly log: Logger;
  private udpSocket: DatagramSocket | undefined;
  private tcpServer: StreamServer | undefined;
  private readonly streams = new Map<string, StreamClient>();
  private readonly relays = new Map<string, DatagramSocket>();
  private readonly pendingBinds = new Set<Promise<void>>();
  private readonly closing = new Set<Promise<void>>();
  private readonly delayed = new Set<TimerHandle>();
  private timer: TimerHandle | undefined;
  private armedFor: number | undefined;
  private nextStream = 1;
  private stopped = false;

  constructor(private readonly opts: LabTurnServerOptions) {
    this.log = opts.logger ?? createLogger('lab/turn-server');
    this.core = new TurnServerCore({
      realm: opts.realm,
      auth: opts.auth,
      relayFamily: familyOf(opts.relayIp),
      wallNow: () => opts.clock.wallNow(),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.lifetimes ? { lifetimes: opts.lifetimes } : {}),
      ...(opts.knobs ? { knobs: opts.knobs } : {}),
      ...(opts.software !== undefined ? { software: opts.software } : {}),
      ...(opts.maxAllocations !== undefined ? { maxAllocations: opts.maxAllocations } : {}),
      ...(opts.maxPermissions !== undefined ? { maxPermissions: opts.maxPermissions } : {}),
    });
  }

  get udp(): TransportAddress | undefined {
    return this.udpSocket?.local;
  }

  get tcp(): TransportAddress | undefined {
    return this.tcpServer?.local;
  }

  get stats(): TurnServerStats {
    return this.core.stats;
  }

  setKnobs(k: Partial<TurnServerKnobs>): void {
    this.core.setKnobs(k);
  }

  onEvent(cb: (e: TurnServerEvent) => void): Disposable {
    return this.events.on('event', cb);
  }

  openSockets(): number {
    return (this.udpSocket ? 1 : 0) + (this.tcpServer ? 1 : 0) + this.streams.size + this.relays.size;
  }

  async start(): Promise<void> {
    const transports = this.opts.transports ?? ['udp', 'tcp'];
    const { ip } = this.opts.listen;
    if (transports.includes('udp')) {
      const sock = await this.opts.net.bindUdp({ ip, port: this.opts.listen.udpPort ?? 0 });
      this.udpSocket = sock;
      sock.onMessage((bytes, from) => {
        const endpoint: ClientEndpoint = { transport: 'udp', conn: `udp|${formatAddress(from)}`, address: from };
        this.apply(this.core.onPacket(bytes, endpoint, this.opts.clock.now()));
      });
      // ICMP errors toward a vanished client are expected on UDP; nothing to do but note them.
      sock.onError((e) => this.log.debug({ err: e.message }, 'UDP listener error'));
    }
    if (transports.includes('tcp')) {
      this.tcpServer = await this.opts.net.listenTcp({ ip, port: this.opts.listen.tcpPort ?? 0 });
      this.tcpServer.onConnection((s) => this.accept(s));
    }
    this.log.info({ udp: this.udp, tcp: this.tcp, relayIp: this.opts.relayIp, realm: this.opts.realm }, 'lab TURN server listening');
  }

  private accept(socket: StreamSocket): void {
    if (this.stopped) {
      this.track(socket.close());
      return;
    }
    const conn = `tcp|${this.nextStream++}|${formatAddress(socket.remote)}`;
    const client: StreamClient = { conn, socket, deframer: new TurnStreamDeframer() };
    this.streams.set(conn, client);
    const endpoint: ClientEndpoint = { transport: 'tcp', conn, address: socket.remote };
    socket.onData((chunk) => {
      const r = client.deframer.push(chunk);
      for (const f of r.frames) this.apply(this.core.onPacket(f, endpoint, this.opts.clock.now()));
      if (r.error) {
        // RFC 8656 §12.5 framing lost: no way to find the next message boundary again.
        this.log.debug({ conn, err: r.error }, 'closing stream client');
        this.track(socket.close());
      }
    });
    socket.onClose(() => {
      this.streams.delete(conn);
      if (!this.stopped) this.apply(this.core.onConnectionClosed(conn, socket.remote, this.opts.clock.now()));
    });
    this.apply(this.core.onConnectionOpened(conn, socket.remote, this.opts.clock.now()));
  }

  private apply(actions: readonly TurnServerAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'send-to-client':
          if (a.delayMs > 0) {
            const h: TimerHandle = this.opts.clock.setTimeout(() => {
              this.delayed.delete(h);
              this.sendToClient(a.conn, a.transport, a.to, a.bytes);
            }, a.delayMs);
            this.delayed.add(h);
          } else {
            this.sendToClient(a.conn, a.transport, a.to, a.bytes);
          }
          break;
        case 'send-to-peer':
          this.relays.get(a.allocationId)?.send(a.bytes, a.to);
          break;
        case 'open-relay':
          this.openRelay(a.allocationId);
          break;
        case 'close-relay': {
          const sock = this.relays.get(a.allocationId);
          this.relays.delete(a.allocationId);
          if (sock) this.track(sock.close());
          break;
        }
        case 'close-client': {
          const stream = this.streams.get(a.conn);
          if (stream) this.track(stream.socket.close());
          break;
        }
        case 'event':
          this.log.debug(a.event, a.event.type);
          this.opts.observer?.(a.event);
          this.events.emit('event', a.event);
          break;
        default:
          assertNever(a, 'TURN server action');
      }
    }
    this.rearm();
  }

  /** Closes in flight, so stop() can wait for them. */
  private track(p: Promise<void>): void {
    const q = p.catch(() => undefined).finally(() => this.closing.delete(q));
    this.closing.add(q);
  }

  private sendToClient(conn: string, transport: ClientTransport, to: TransportAddress, bytes: Uint8Array): void {
    if (this.stopped) return;
    if (transport === 'udp') this.udpSocket?.send(bytes, to);
    else this.streams.get(conn)?.socket.write(bytes);
  }

  private openRelay(allocationId: string): void {
    const p = this.opts.net
      .bindUdp({ ip: this.opts.relayIp, port: 0 })
      .then((sock) => {
        if (this.stopped) {
          this.track(sock.close());
          return;
        }
        this.relays.set(allocationId, sock);
        sock.onMessage((bytes, from) => this.apply(this.core.onPeerPacket(allocationId, bytes, from, this.opts.clock.now())));
        sock.onError((e) => this.log.debug({ allocationId, err: e.message }, 'relay socket error'));
        this.apply(this.core.onRelayOpened(allocationId, sock.local, this.opts.clock.now()));
      })
      .catch((e: unknown) => {
        this.log.warn({ allocationId, err: e instanceof Error ? e.message : String(e) }, 'relay bind failed');
        if (!this.stopped) this.apply(this.core.onRelayFailed(allocationId, this.opts.clock.now()));
      })
      .finally(() => this.pendingBinds.delete(p));
    this.pendingBinds.add(p);
  }

  /** One timer, always for the core's earliest deadline. */
  private rearm(): void {
    if (this.stopped) return;
    const due = this.core.nextDeadline();
    if (due === this.armedFor) return;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = due;
    if (due === undefined) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.armedFor = undefined;
      this.apply(this.core.onTimer(this.opts.clock.now()));
    }, Math.max(0, due - this.opts.clock.now()));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.apply(this.core.close(this.opts.clock.now()));
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const h of this.delayed) this.opts.clock.clearTimeout(h);
    this.delayed.clear();
    // Relay binds still in flight close their socket themselves once `stopped` is seen.
    await Promise.allSettled([...this.pendingBinds]);
    const closing: Promise<void>[] = [];
    for (const s of this.relays.values()) closing.push(s.close());
    this.relays.clear();
    if (this.udpSocket) closing.push(this.udpSocket.close());
    // Closing the listener closes the connections it accepted.
    if (this.tcpServer) closing.push(this.tcpServer.close());
    for (const c of this.streams.values()) closing.push(c.socket.close());
    await Promise.allSettled([...closing, ...this.closing]);
    this.streams.clear();
    this.udpSocket = undefined;
    this.tcpServer = undefined;
    this.events.removeAll();
    this.log.info({}, 'lab TURN server stopped');
  }
}

/**
 * Starts the lab TURN server on `net`. Rejects with NET_BIND_FAILED when a listener cannot be
 * bound (nothing is left open then).
 */
export async function startLabTurnServer(opts: LabTurnServerOptions): Promise<LabTurnServer> {
  if (opts.relayIp === '0.0.0.0' || opts.relayIp === '::') {
    throw new MediapathError('INVALID_ARGUMENT', 'relayIp must be a concrete address: it is what clients are told to give their peers', { layer: 'lab' });
  }
  const server = new LabTurnServerImpl(opts);
  try {
    await server.start();
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}
