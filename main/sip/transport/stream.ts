import { formatAddress, type TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import type { Disposable } from '../../common/events';
import { createLogger } from '../../common/logger';
import { err, ok, type Result } from '../../common/result';
import type { Net, StreamServer, StreamSocket, TlsOptions } from '../../net/types';
import { SipStreamDeframer } from '../deframer';
import { BaseSipTransport, type BaseTransportOptions } from './base';
import { CrlfKeepAlive, type KeepAliveOptions } from './keepalive';
import { advertisedAddress } from './local-address';
import { defaultSipPort } from './types';

export interface StreamSipTransportOptions extends BaseTransportOptions {
  readonly net: Net;
  readonly kind: 'tcp' | 'tls';
  /** Outgoing TLS: CA, server name, pin, self-signed only when asked (net/types TlsOptions). */
  readonly tls?: TlsOptions;
  /** TCP: listen here for incoming connections (a UA normally only connects). */
  readonly listen?: { readonly ip: string; readonly port?: number };
  /**
   * A listener made elsewhere (a TLS server: `Net` has no TLS listen); the transport owns it from
   * now on and closes it with itself.
   */
  readonly server?: StreamServer;
  /** Give up opening a connection after this long (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** RFC 5626 CRLF keep-alive on connections we open; default off. */
  readonly keepAlive?: KeepAliveOptions;
  /** Connections held at once (incoming ones beyond it are closed at once). Default 1024. */
  readonly maxConnections?: number;
  /** Sent-by to write instead of the listener's or connection's address. */
  readonly advertise?: TransportAddress;
}

const CRLF = new Uint8Array([0x0d, 0x0a]);
const CRLFCRLF = new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a]);

/** One connection and what reads it. */
interface SipConnection {
  readonly key: string;
  readonly socket: StreamSocket;
  readonly deframer: SipStreamDeframer;
  readonly keepAlive: CrlfKeepAlive | undefined;
  readonly subscriptions: Disposable[];
}

/**
 * SIP over TCP and TLS (RFC 3261 §18): one connection per peer, reused both ways (a response
 * goes back on the connection its request came in on, §18.2.2; a request to a peer we already
 * talk to uses that connection), framed by Content-Length (SipStreamDeframer). A connection
 * that closed is forgotten, so the next send to that peer opens a new one.
 */
export class StreamSipTransport extends BaseSipTransport {
  readonly kind: 'tcp' | 'tls';
  readonly reliable = true;
  private readonly conns = new Map<string, SipConnection>();
  private readonly connecting = new Map<string, Promise<Result<SipConnection, MediapathError>>>();
  private readonly serverSubscription: Disposable | undefined;

  private constructor(
    private readonly opts: StreamSipTransportOptions,
    private readonly server: StreamServer | undefined,
  ) {
    super(opts, createLogger(`sip/transport/${opts.kind}`));
    this.kind = opts.kind;
    this.serverSubscription = server?.onConnection((s) => this.accept(s));
  }

  static async open(opts: StreamSipTransportOptions): Promise<StreamSipTransport> {
    if (opts.listen && opts.server) {
      throw new MediapathError('INVALID_ARGUMENT', 'give either listen or server, not both', { layer: 'sip' });
    }
    if (opts.listen && opts.kind === 'tls') {
      throw new MediapathError('INVALID_ARGUMENT', 'a TLS listener must be passed as server (Net listens in clear only)', { layer: 'sip' });
    }
    const server = opts.server ?? (opts.listen ? await opts.net.listenTcp(opts.listen) : undefined);
    return new StreamSipTransport(opts, server);
  }

  get local(): TransportAddress | undefined {
    return this.server?.local;
  }

  /** Open connections (tests and the lab show it). */
  get connectionCount(): number {
    return this.conns.size;
  }

  sentBy(peer?: TransportAddress): TransportAddress {
    if (this.opts.advertise) return this.opts.advertise;
    if (this.server) return advertisedAddress(this.opts.net, this.server.local);
    const conn = peer ? this.conns.get(formatAddress(peer)) : [...this.conns.values()].at(-1);
    if (conn) return conn.socket.local;
    return advertisedAddress(this.opts.net, { ip: '0.0.0.0', port: defaultSipPort(this.kind) });
  }

  async connect(to: TransportAddress): Promise<Result<TransportAddress, MediapathError>> {
    const c = await this.connection(to);
    return c.ok ? ok(c.value.socket.local) : c;
  }

  keepAlive(): void {
    // Connections we open ping on their own schedule (CrlfKeepAlive).
  }

  protected async write(bytes: Uint8Array, to: TransportAddress): Promise<Result<void, MediapathError>> {
    const c = await this.connection(to);
    if (!c.ok) return c;
    c.value.socket.write(bytes);
    return ok(undefined);
  }

  private connection(to: TransportAddress): Promise<Result<SipConnection, MediapathError>> {
    if (this.isClosed) return Promise.resolve(err(closedError(to)));
    const key = formatAddress(to);
    const open = this.conns.get(key);
    if (open && !open.socket.closed) return Promise.resolve(ok(open));
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const p = this.dial(to, key);
    this.connecting.set(key, p);
    void p.then(() => this.connecting.delete(key));
    return p;
  }

  private async dial(to: TransportAddress, key: string): Promise<Result<SipConnection, MediapathError>> {
    let socket: StreamSocket;
    try {
      socket = await this.opts.net.connectTcp(to, {
        timeoutMs: this.opts.connectTimeoutMs ?? 10_000,
        ...(this.kind === 'tls' ? { tls: this.opts.tls ?? {} } : {}),
      });
    } catch (e) {
      const error = e instanceof MediapathError ? e : new MediapathError('NET_CONNECT_FAILED', `${this.kind.toUpperCase()} connect to ${key}: ${String(e)}`, { layer: 'sip', peer: to }, { cause: e });
      this.log.info({ peer: key, code: error.code, reason: error.message }, 'SIP connection failed');
      return err(error);
    }
    if (this.isClosed) {
      await socket.close();
      return err(closedError(to));
    }
    this.log.debug({ peer: key, local: formatAddress(socket.local) }, 'SIP connection opened');
    return ok(this.adopt(socket, key, true));
  }

  private accept(socket: StreamSocket): void {
    if (this.isClosed || this.conns.size >= (this.opts.maxConnections ?? 1024)) {
      this.log.warn({ peer: formatAddress(socket.remote) }, 'SIP connection refused: closed or too many connections');
      void socket.close();
      return;
    }
    this.adopt(socket, formatAddress(socket.remote), false);
  }

  private adopt(socket: StreamSocket, key: string, outgoing: boolean): SipConnection {
    const keepAlive =
      outgoing && this.opts.keepAlive && this.opts.keepAlive.intervalMs > 0
        ? new CrlfKeepAlive(
            this.clock,
            this.opts.keepAlive,
            () => socket.write(CRLFCRLF),
            () => {
              this.log.warn({ peer: key }, 'no pong to a CRLF keep-alive: the flow failed (RFC 5626 §4.4.1)');
              void socket.close();
            },
          )
        : undefined;
    const conn: SipConnection = { key, socket, deframer: new SipStreamDeframer(this.limits), keepAlive, subscriptions: [] };
    const previous = this.conns.get(key);
    if (previous && previous.socket !== socket) this.drop(previous);
    this.conns.set(key, conn);
    conn.subscriptions.push(
      socket.onData((bytes) => this.onData(conn, bytes)),
      socket.onClose((e) => {
        if (e) this.log.info({ peer: key, reason: e.message }, 'SIP connection closed with an error');
        this.drop(conn);
      }),
    );
    return conn;
  }

  private onData(conn: SipConnection, bytes: Uint8Array): void {
    for (const item of conn.deframer.push(bytes)) {
      switch (item.kind) {
        case 'message':
          this.handleInbound(item.bytes, conn.socket.remote, (answer) => conn.socket.write(answer));
          break;
        case 'ping':
          conn.socket.write(CRLF);
          break;
        case 'pong':
          conn.keepAlive?.onPong();
          break;
        case 'error':
          // Framing is lost for good (RFC 3261 §18.3: no Content-Length, or a broken header section).
          this.log.warn({ peer: conn.key, offset: item.error.offset, reason: item.error.reason }, 'SIP stream cannot be framed; closing it');
          void conn.socket.close();
          break;
      }
    }
  }

  private drop(conn: SipConnection): void {
    conn.keepAlive?.stop();
    for (const s of conn.subscriptions) s.dispose();
    conn.subscriptions.length = 0;
    if (this.conns.get(conn.key) === conn) {
      this.conns.delete(conn.key);
      this.forget(conn.socket.remote);
    }
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.finishClose();
    this.serverSubscription?.dispose();
    // Connections still being opened close themselves when they land (dial checks isClosed).
    await Promise.all([...this.connecting.values()]);
    const conns = [...this.conns.values()];
    for (const c of conns) this.drop(c);
    await Promise.all(conns.map((c) => c.socket.close()));
    await this.server?.close();
  }
}

function closedError(to: TransportAddress): MediapathError {
  return new MediapathError('CLOSED', `SIP transport closed (sending to ${formatAddress(to)})`, { layer: 'sip', peer: to });
}
