import { formatAddress, normalizeIp, type TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { DatagramSocket, Net, StreamServer, StreamSocket } from '../../net/types';
import { SipStreamDeframer } from '../../sip/deframer';
import type { SipParseError } from '../../sip/message';
import type { Flow, SipTransportKind } from './types';

export interface RegistrarTransportOptions {
  readonly net: Net;
  readonly ip: string;
  readonly udpPort?: number;
  readonly tcpPort?: number;
  readonly transports: readonly ('udp' | 'tcp')[];
  /** A TLS listener made outside Net; owned (closed) by this transport. */
  readonly tlsServer?: StreamServer;
  /** A whole message (a datagram, or a frame cut from a stream). */
  readonly onMessage: (bytes: Uint8Array, flow: Flow) => void;
  /** A stream lost its framing; the connection is closed after this. */
  readonly onStreamError: (flow: Flow, error: SipParseError) => void;
  readonly log: Logger;
  /** Open TCP connections at most (new ones beyond are closed at once). Default 1024. */
  readonly maxConnections?: number;
  readonly connectTimeoutMs?: number;
}

type StreamKind = Exclude<SipTransportKind, 'udp'>;

interface Conn {
  readonly id: number;
  readonly transport: StreamKind;
  readonly socket: StreamSocket;
  readonly deframer: SipStreamDeframer;
}

const CRLF = new Uint8Array([0x0d, 0x0a]);

function key(t: StreamKind, a: TransportAddress): string {
  return `${t}|${normalizeIp(a.ip)}|${a.port}`;
}

/**
 * The registrar's own small piece of I/O: one UDP socket and one TCP listener on any `Net`, and
 * a TLS listener when one is handed in.
 * Streams are cut into messages with SipStreamDeframer (RFC 3261 §18.3: Content-Length frames);
 * RFC 5626 §4.4.1 CRLF keep-alive pings are answered with a CRLF pong. Sending on a TCP flow
 * uses its connection, or another one to the same peer, or connects anew (§18.2.2: a response
 * goes back over the request's connection, or a new one to the same address). TLS flows are
 * never opened by us (the lab holds no client certificate policy and lab clients do not listen
 * for TLS): they ride the connection the client opened, as RFC 5626 §3 flows do.
 */
export class RegistrarTransport {
  private udpSocket: DatagramSocket | undefined;
  private tcpServer: StreamServer | undefined;
  private tlsServer: StreamServer | undefined;
  private readonly conns = new Map<number, Conn>();
  private readonly byRemote = new Map<string, number>();
  private readonly connecting = new Map<string, Promise<Conn>>();
  private readonly closing = new Set<Promise<void>>();
  private nextConn = 1;
  private stopped = false;

  private constructor(private readonly opts: RegistrarTransportOptions) {}

  static async open(opts: RegistrarTransportOptions): Promise<RegistrarTransport> {
    const t = new RegistrarTransport(opts);
    try {
      if (opts.transports.includes('udp')) {
        const sock = await opts.net.bindUdp({ ip: opts.ip, port: opts.udpPort ?? 0 });
        t.udpSocket = sock;
        sock.onMessage((bytes, from) => {
          if (!t.stopped) opts.onMessage(bytes, { transport: 'udp', remote: from });
        });
        // ICMP errors toward a client that went away are expected on UDP.
        sock.onError((e) => opts.log.debug({ err: e.message }, 'UDP socket error'));
      }
      if (opts.transports.includes('tcp')) {
        t.tcpServer = await opts.net.listenTcp({ ip: opts.ip, port: opts.tcpPort ?? 0 });
        t.tcpServer.onConnection((s) => t.adopt(s, 'tcp'));
      }
      if (opts.tlsServer) {
        t.tlsServer = opts.tlsServer;
        t.tlsServer.onConnection((s) => t.adopt(s, 'tls'));
      }
    } catch (e) {
      // The TLS listener was handed to us: it goes down with the rest.
      t.tlsServer ??= opts.tlsServer;
      await t.close();
      throw e;
    }
    return t;
  }

  get udp(): TransportAddress | undefined {
    return this.udpSocket?.local;
  }

  get tcp(): TransportAddress | undefined {
    return this.tcpServer?.local;
  }

  get tls(): TransportAddress | undefined {
    return this.tlsServer?.local;
  }

  /** Listeners plus open connections. */
  openSockets(): number {
    return (this.udpSocket ? 1 : 0) + (this.tcpServer ? 1 : 0) + (this.tlsServer ? 1 : 0) + this.conns.size;
  }

  /** Puts `bytes` on `flow`. Rejects (NET_*, CLOSED) when a TCP flow cannot be served. */
  async send(flow: Flow, bytes: Uint8Array): Promise<void> {
    if (this.stopped) throw new MediapathError('CLOSED', 'registrar transport is closed', { layer: 'lab' });
    if (flow.transport === 'udp') {
      if (!this.udpSocket) throw new MediapathError('INVALID_ARGUMENT', 'the registrar serves no UDP', { layer: 'lab', peer: flow.remote });
      this.udpSocket.send(bytes, flow.remote);
      return;
    }
    const conn = await this.connectionFor(flow, flow.transport);
    conn.socket.write(bytes);
  }

  /** The connection a TCP or TLS send would use now for this peer (after `send` connected, the connection id is known). */
  connectionIdFor(transport: SipTransportKind, remote: TransportAddress): number | undefined {
    return transport === 'udp' ? undefined : this.byRemote.get(key(transport, remote));
  }

  private async connectionFor(flow: Flow, transport: StreamKind): Promise<Conn> {
    const direct = flow.connId !== undefined ? this.conns.get(flow.connId) : undefined;
    if (direct && !direct.socket.closed && direct.transport === transport) return direct;
    const k = key(transport, flow.remote);
    const id = this.byRemote.get(k);
    const same = id !== undefined ? this.conns.get(id) : undefined;
    if (same && !same.socket.closed) return same;
    if (transport === 'tls') {
      throw new MediapathError('NET_CONNECT_FAILED', `no TLS connection from ${formatAddress(flow.remote)} is open, and the lab opens none`, { layer: 'lab', peer: flow.remote });
    }
    let pending = this.connecting.get(k);
    if (!pending) {
      pending = this.opts.net
        .connectTcp(flow.remote, { timeoutMs: this.opts.connectTimeoutMs ?? 10_000 })
        .then((s) => {
          if (this.stopped) {
            this.track(s.close());
            throw new MediapathError('CLOSED', 'registrar transport closed while connecting', { layer: 'lab', peer: flow.remote });
          }
          const conn = this.adopt(s, 'tcp');
          if (!conn) throw new MediapathError('NET_CONNECT_FAILED', `no room for another TCP connection to ${formatAddress(flow.remote)}`, { layer: 'lab', peer: flow.remote });
          return conn;
        })
        .finally(() => this.connecting.delete(k));
      this.connecting.set(k, pending);
    }
    return pending;
  }

  /** Takes a connection (accepted or ours) into the table and reads messages from it. */
  private adopt(socket: StreamSocket, transport: StreamKind): Conn | undefined {
    if (this.stopped || this.conns.size >= (this.opts.maxConnections ?? 1024)) {
      this.track(socket.close());
      return undefined;
    }
    const conn: Conn = { id: this.nextConn++, transport, socket, deframer: new SipStreamDeframer() };
    const flow: Flow = { transport, remote: socket.remote, connId: conn.id };
    const k = key(transport, socket.remote);
    this.conns.set(conn.id, conn);
    this.byRemote.set(k, conn.id);
    socket.onData((chunk) => {
      for (const item of conn.deframer.push(chunk)) {
        if (this.stopped) return;
        if (item.kind === 'message') this.opts.onMessage(item.bytes, flow);
        else if (item.kind === 'ping') socket.write(CRLF);
        else if (item.kind === 'error') {
          this.opts.onStreamError(flow, item.error);
          this.track(socket.close());
        }
      }
    });
    socket.onClose((e) => {
      this.conns.delete(conn.id);
      if (this.byRemote.get(k) === conn.id) this.byRemote.delete(k);
      this.opts.log.debug({ peer: formatAddress(socket.remote), transport, err: e?.message }, 'connection closed');
    });
    return conn;
  }

  private track(p: Promise<void>): void {
    const q = p.catch(() => undefined).finally(() => this.closing.delete(q));
    this.closing.add(q);
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled([...this.connecting.values()]);
    const all: Promise<void>[] = [];
    if (this.udpSocket) all.push(this.udpSocket.close());
    if (this.tcpServer) all.push(this.tcpServer.close());
    if (this.tlsServer) all.push(this.tlsServer.close());
    for (const c of this.conns.values()) all.push(c.socket.close());
    await Promise.allSettled([...all, ...this.closing]);
    this.conns.clear();
    this.byRemote.clear();
    this.udpSocket = undefined;
    this.tcpServer = undefined;
    this.tlsServer = undefined;
  }
}
