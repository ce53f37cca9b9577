import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { normalizeIp, type TransportAddress } from '../common/address';
import { MediapathError } from '../common/errors';
import { type Disposable, TypedEmitter } from '../common/events';
import { NodeStreamSocket } from '../net/node/tcp';
import { ResourceTracker } from '../net/node/tracker';
import type { StreamServer, StreamSocket } from '../net/types';
import type { SelfSignedPair } from './certs';

/** A server's certificate chain and private key, PEM. */
export interface TlsIdentity {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * A TLS listener as a `StreamServer`. `Net` listens in clear only (TLS servers are a lab
 * matter, not the engine's), so a lab server that speaks TLS — the lab registrar, the SIP test
 * servers — is handed one of these: node:tls with the given identity, each accepted socket
 * wrapped like NodeNet's own, so the server code sees the same StreamSocket either way.
 */
export class TlsListener implements StreamServer {
  private readonly events = new TypedEmitter<{ connection: StreamSocket }>();
  private readonly accepted = new Set<NodeStreamSocket>();
  private readonly tracker = new ResourceTracker();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: tls.Server,
    readonly local: TransportAddress,
  ) {
    server.on('secureConnection', (s) => {
      const sock = new NodeStreamSocket(s, true, this.tracker);
      this.accepted.add(sock);
      sock.onClose(() => this.accepted.delete(sock));
      this.events.emit('connection', sock);
    });
    // A client that gives up during the handshake (or distrusts our certificate) is its own
    // business: it must not take the server down.
    server.on('tlsClientError', () => undefined);
  }

  /** Listens on `addr` (port 0 or omitted: ephemeral). Rejects NET_BIND_FAILED. */
  static listen(addr: { ip: string; port?: number }, identity: TlsIdentity | SelfSignedPair): Promise<TlsListener> {
    return new Promise((resolve, reject) => {
      let server: tls.Server;
      try {
        const { certPem, keyPem } = identityOf(identity);
        server = tls.createServer({ cert: certPem, key: keyPem });
      } catch (e) {
        reject(e instanceof MediapathError ? e : new MediapathError('INVALID_ARGUMENT', `TLS certificate or key unusable: ${(e as Error).message}`, { layer: 'lab' }, { cause: e }));
        return;
      }
      server.once('error', (e) => reject(new MediapathError('NET_BIND_FAILED', `TLS listen ${addr.ip}:${addr.port ?? 0}: ${e.message}`, { layer: 'net' }, { cause: e })));
      server.listen({ host: addr.ip, port: addr.port ?? 0, exclusive: true }, () => {
        const a = server.address() as { address: string; port: number };
        resolve(new TlsListener(server, { ip: normalizeIp(a.address), port: a.port }));
      });
    });
  }

  onConnection(cb: (socket: StreamSocket) => void): Disposable {
    return this.events.on('connection', cb);
  }

  /** Closes every accepted connection and the listener. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.accepted].map((s) => s.close()));
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.events.removeAll();
    })();
    return this.closing;
  }
}

function identityOf(i: TlsIdentity | SelfSignedPair): TlsIdentity {
  if ('keyPem' in i) return i;
  try {
    return { certPem: i.certPem, keyPem: fs.readFileSync(i.keyPath, 'utf8') };
  } catch (e) {
    throw new MediapathError('INVALID_ARGUMENT', `cannot read the TLS key ${i.keyPath}: ${(e as Error).message}`, { layer: 'lab' }, { cause: e });
  }
}
