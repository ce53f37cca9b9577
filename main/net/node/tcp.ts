import * as net from 'node:net';
import * as tls from 'node:tls';
import { createHash } from 'node:crypto';
import type { TransportAddress } from '../../common/address';
import { normalizeIp } from '../../common/address';
import { MediapathError } from '../../common/errors';
import { TypedEmitter, type Disposable } from '../../common/events';
import type { ConnectOptions, StreamServer, StreamSocket, TlsOptions } from '../types';
import type { ResourceTracker } from './tracker';

interface StreamEvents {
  data: Uint8Array;
  close: MediapathError | undefined;
}

/** A TCP or TLS stream on node:net / node:tls. */
export class NodeStreamSocket implements StreamSocket {
  private readonly events = new TypedEmitter<StreamEvents>();
  private isClosed = false;
  private closeError: MediapathError | undefined;
  readonly local: TransportAddress;
  readonly remote: TransportAddress;

  constructor(
    private readonly socket: net.Socket,
    readonly secure: boolean,
    private readonly tracker: ResourceTracker,
  ) {
    this.local = { ip: normalizeIp(socket.localAddress ?? ''), port: socket.localPort ?? 0 };
    this.remote = { ip: normalizeIp(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.events.emit('data', new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    socket.on('error', (e) => {
      this.closeError = new MediapathError('NET_SOCKET_ERROR', `${secure ? 'TLS' : 'TCP'} ${this.remote.ip}:${this.remote.port}: ${e.message}`, { layer: 'net', peer: this.remote }, { cause: e });
    });
    socket.on('close', () => this.finish());
    tracker.add(this);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private finish(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.tracker.remove(this);
    this.events.emit('close', this.closeError);
    this.events.removeAll();
  }

  write(bytes: Uint8Array): void {
    if (this.isClosed || this.socket.destroyed) return;
    this.socket.write(bytes);
  }

  onData(cb: (bytes: Uint8Array) => void): Disposable {
    return this.events.on('data', cb);
  }

  onClose(cb: (error?: MediapathError) => void): Disposable {
    if (this.isClosed) {
      queueMicrotask(() => cb(this.closeError));
      return { dispose: () => undefined };
    }
    return this.events.on('close', cb);
  }

  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      // A peer that never acknowledges the FIN must not keep us open.
      this.socket.destroySoon();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}

const CONNECT_ERRNOS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT']);

function fingerprintMatches(cert: tls.PeerCertificate, pin: string): boolean {
  if (!cert.raw) return false;
  const want = pin.replace(/:/g, '').toLowerCase();
  return createHash('sha256').update(cert.raw).digest('hex') === want;
}

export function connectStream(to: TransportAddress, opts: ConnectOptions, tracker: ResourceTracker): Promise<NodeStreamSocket> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const kind = opts.tls ? 'TLS' : 'TCP';
  return new Promise((resolve, reject) => {
    const base: net.TcpNetConnectOpts = {
      host: to.ip,
      port: to.port,
      ...(opts.local ? { localAddress: opts.local.ip, localPort: opts.local.port } : {}),
    };
    let socket: net.Socket;
    const fail = (code: 'NET_CONNECT_FAILED' | 'NET_TLS_FAILED', msg: string, cause?: unknown): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new MediapathError(code, `${kind} connect to ${to.ip}:${to.port}: ${msg}`, { layer: 'net', peer: to }, { cause }));
    };
    const timer = setTimeout(() => fail('NET_CONNECT_FAILED', `no answer within ${timeoutMs} ms`), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new NodeStreamSocket(socket, Boolean(opts.tls), tracker));
    };
    if (opts.tls) {
      const t: TlsOptions = opts.tls;
      const tlsSocket = tls.connect({
        ...base,
        servername: t.servername ?? (net.isIP(to.ip) ? undefined : to.ip),
        ...(t.ca ? { ca: typeof t.ca === 'string' ? t.ca : Buffer.from(t.ca) } : {}),
        // A pin replaces chain validation: the exact certificate is what the user trusts.
        rejectUnauthorized: !(t.allowSelfSigned || t.pinSha256),
        ALPNProtocols: undefined,
      });
      socket = tlsSocket;
      tlsSocket.once('secureConnect', () => {
        if (t.pinSha256 && !fingerprintMatches(tlsSocket.getPeerCertificate(), t.pinSha256)) {
          fail('NET_TLS_FAILED', 'server certificate does not match the pinned SHA-256');
          return;
        }
        done();
      });
      // A refused or unroutable connection never reached TLS: say so, not "TLS failed".
      tlsSocket.once('error', (e) => fail(CONNECT_ERRNOS.has((e as NodeJS.ErrnoException).code ?? '') ? 'NET_CONNECT_FAILED' : 'NET_TLS_FAILED', e.message, e));
    } else {
      socket = net.connect(base);
      socket.once('connect', done);
      socket.once('error', (e) => fail('NET_CONNECT_FAILED', e.message, e));
    }
  });
}

export class NodeStreamServer implements StreamServer {
  private readonly events = new TypedEmitter<{ connection: StreamSocket }>();
  private readonly accepted = new Set<NodeStreamSocket>();

  private constructor(
    private readonly server: net.Server,
    readonly local: TransportAddress,
    private readonly tracker: ResourceTracker,
  ) {
    server.on('connection', (s) => {
      const sock = new NodeStreamSocket(s, false, tracker);
      this.accepted.add(sock);
      sock.onClose(() => this.accepted.delete(sock));
      this.events.emit('connection', sock);
    });
    tracker.add(this);
  }

  static listen(addr: { ip: string; port?: number }, tracker: ResourceTracker): Promise<NodeStreamServer> {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', (e) =>
        reject(new MediapathError('NET_BIND_FAILED', `cannot listen on TCP ${addr.ip}:${addr.port ?? 0}: ${e.message}`, { layer: 'net' }, { cause: e })),
      );
      server.listen({ host: addr.ip, port: addr.port ?? 0, exclusive: true }, () => {
        const a = server.address() as net.AddressInfo;
        resolve(new NodeStreamServer(server, { ip: normalizeIp(a.address), port: a.port }, tracker));
      });
    });
  }

  onConnection(cb: (socket: StreamSocket) => void): Disposable {
    return this.events.on('connection', cb);
  }

  async close(): Promise<void> {
    this.tracker.remove(this);
    await Promise.all([...this.accepted].map((s) => s.close()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
