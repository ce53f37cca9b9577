import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { normalizeIp, type TransportAddress } from '../../main/common/address';
import { MediapathError } from '../../main/common/errors';
import { type Disposable, TypedEmitter } from '../../main/common/events';
import { NodeStreamSocket } from '../../main/net/node/tcp';
import { ResourceTracker } from '../../main/net/node/tracker';
import type { StreamServer, StreamSocket } from '../../main/net/types';
import type { SelfSignedPair } from './certs';

/**
 * A TLS listener as a `StreamServer` (Net listens in clear only), for test servers that speak
 * SIP over TLS: node:tls with a self-signed pair, each accepted socket wrapped like NodeNet's.
 */
export class TlsTestServer implements StreamServer {
  private readonly events = new TypedEmitter<{ connection: StreamSocket }>();
  private readonly accepted = new Set<NodeStreamSocket>();
  private readonly tracker = new ResourceTracker();

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
    // A client that gives up during the handshake must not crash the test process.
    server.on('tlsClientError', () => undefined);
  }

  static listen(addr: { ip: string; port?: number }, pair: SelfSignedPair): Promise<TlsTestServer> {
    return new Promise((resolve, reject) => {
      const server = tls.createServer({ cert: pair.certPem, key: readKey(pair) });
      server.once('error', (e) => reject(new MediapathError('NET_BIND_FAILED', `TLS listen ${addr.ip}: ${e.message}`, { layer: 'net' })));
      server.listen({ host: addr.ip, port: addr.port ?? 0, exclusive: true }, () => {
        const a = server.address() as { address: string; port: number };
        resolve(new TlsTestServer(server, { ip: normalizeIp(a.address), port: a.port }));
      });
    });
  }

  onConnection(cb: (socket: StreamSocket) => void): Disposable {
    return this.events.on('connection', cb);
  }

  async close(): Promise<void> {
    await Promise.all([...this.accepted].map((s) => s.close()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function readKey(pair: SelfSignedPair): string {
  return fs.readFileSync(pair.keyPath, 'utf8');
}
