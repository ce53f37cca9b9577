import type { TransportAddress } from '../common/address';
import { MediapathError } from '../common/errors';
import { TypedEmitter, type Disposable } from '../common/events';
import type { DatagramSocket, Net, StreamSocket, TlsOptions } from '../net/types';
import { TurnStreamDeframer } from './stream-framing';

export type TurnTransportKind = 'udp' | 'tcp' | 'tls';

export interface TurnServer {
  readonly address: TransportAddress;
  readonly transport: TurnTransportKind;
  readonly tls?: TlsOptions;
}

interface ConnectionEvents {
  packet: Uint8Array;
  closed: MediapathError | undefined;
}

/**
 * The client's one path to its TURN server: a UDP socket, or a TCP/TLS stream with TURN framing.
 * Everything above sees whole messages in and out, whatever the transport.
 */
export class ServerConnection {
  private readonly events = new TypedEmitter<ConnectionEvents>();
  private isClosed = false;

  private constructor(
    readonly server: TurnServer,
    /** Our address as the server's socket sees it locally (the host candidate's base). */
    readonly local: TransportAddress,
    private readonly writeFn: (bytes: Uint8Array) => void,
    private readonly closeFn: () => Promise<void>,
  ) {}

  get reliable(): boolean {
    return this.server.transport !== 'udp';
  }

  get closed(): boolean {
    return this.isClosed;
  }

  static async open(net: Net, server: TurnServer, opts: { localIp?: string; connectTimeoutMs?: number } = {}): Promise<ServerConnection> {
    if (server.transport === 'udp') {
      const localIp = opts.localIp ?? (server.address.ip.includes(':') ? '::' : '0.0.0.0');
      const sock: DatagramSocket = await net.bindUdp({ ip: localIp, port: 0 });
      const conn = new ServerConnection(server, sock.local, (b) => sock.send(b, server.address), () => sock.close());
      sock.onMessage((bytes, from) => {
        // Only the server may speak on this socket; anything else is noise or an attack.
        if (from.port === server.address.port && from.ip === server.address.ip) conn.events.emit('packet', bytes);
      });
      sock.onError((e) => conn.fail(e));
      return conn;
    }
    let stream: StreamSocket;
    try {
      stream = await net.connectTcp(server.address, {
        ...(opts.localIp ? { local: { ip: opts.localIp, port: 0 } } : {}),
        ...(server.transport === 'tls' ? { tls: server.tls ?? {} } : {}),
        ...(opts.connectTimeoutMs !== undefined ? { timeoutMs: opts.connectTimeoutMs } : {}),
      });
    } catch (e) {
      if (e instanceof MediapathError) {
        throw new MediapathError(e.code === 'NET_TLS_FAILED' ? 'NET_TLS_FAILED' : 'NET_CONNECT_FAILED', `TURN server ${server.transport.toUpperCase()} ${server.address.ip}:${server.address.port}: ${e.message}`, { layer: 'turn', peer: server.address }, { cause: e });
      }
      throw e;
    }
    const deframer = new TurnStreamDeframer();
    const conn = new ServerConnection(server, stream.local, (b) => stream.write(b), () => stream.close());
    stream.onData((chunk) => {
      const r = deframer.push(chunk);
      for (const f of r.frames) conn.events.emit('packet', f);
      if (r.error) {
        conn.fail(new MediapathError('TURN_BAD_RESPONSE', `TURN ${server.transport.toUpperCase()} stream: ${r.error}`, { layer: 'turn', peer: server.address }));
        void stream.close();
      }
    });
    stream.onClose((e) => conn.fail(e ?? new MediapathError('CLOSED', `TURN server closed the ${server.transport.toUpperCase()} connection`, { layer: 'turn', peer: server.address })));
    return conn;
  }

  send(bytes: Uint8Array): void {
    if (!this.isClosed) this.writeFn(bytes);
  }

  onPacket(cb: (bytes: Uint8Array) => void): Disposable {
    return this.events.on('packet', cb);
  }

  /** Fires once when the connection ends other than by our own close(). */
  onClosed(cb: (error: MediapathError | undefined) => void): Disposable {
    return this.events.on('closed', cb);
  }

  private fail(e: MediapathError): void {
    if (this.isClosed) return;
    if (this.server.transport === 'udp') {
      // ICMP errors on UDP (port unreachable) are reported but do not end the socket; the
      // transaction timeout decides.
      return;
    }
    this.isClosed = true;
    this.events.emit('closed', e);
    this.events.removeAll();
  }

  async close(): Promise<void> {
    if (this.isClosed) {
      await this.closeFn();
      return;
    }
    this.isClosed = true;
    this.events.removeAll();
    await this.closeFn();
  }
}
