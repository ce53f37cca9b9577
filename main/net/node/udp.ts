import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { isIP } from 'node:net';
import type { TransportAddress } from '../../common/address';
import { familyOf, normalizeIp } from '../../common/address';
import { MediapathError } from '../../common/errors';
import { TypedEmitter, type Disposable } from '../../common/events';
import type { DatagramSocket } from '../types';
import type { ResourceTracker } from './tracker';

interface UdpEvents {
  message: { bytes: Uint8Array; from: TransportAddress };
  error: MediapathError;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves the destination of every send through `lookup`, and the default (dns.lookup)
 * answers an IP literal on the next tick: a closure, a tick and a regex per datagram. Our
 * addresses are literals, so once the socket is bound they are answered at once (the last one
 * remembered); a name still goes to dns.lookup. Binding keeps the default's asynchrony.
 */
function literalLookup(): { lookup: (address: string, options: dns.LookupOneOptions, cb: LookupCallback) => void; bound(): void } {
  let sync = false;
  let last = '';
  let lastFamily = 0;
  return {
    // dgram passes the socket's family (4 or 6) where dns.lookup's typings name options.
    lookup(address, options, cb) {
      if (sync) {
        if (address === last) return cb(null, address, lastFamily);
        const f = isIP(address);
        if (f !== 0) {
          last = address;
          lastFamily = f;
          return cb(null, address, f);
        }
      }
      dns.lookup(address, options, cb);
    },
    bound() {
      sync = true;
    },
  };
}

/** A host UDP socket on node:dgram. */
export class NodeUdpSocket implements DatagramSocket {
  private readonly events = new TypedEmitter<UdpEvents>();
  private isClosed = false;
  private lastRawIp = '';
  private lastIp = '';
  /** One completion callback for every send (not a closure per datagram). */
  private readonly onSent = (e: Error | null): void => {
    if (!e) return;
    const x = e as Error & { address?: string; port?: number };
    const to = { ip: x.address ?? '?', port: x.port ?? 0 };
    this.events.emit('error', new MediapathError('NET_SOCKET_ERROR', `UDP send to ${to.ip}:${to.port}: ${e.message}`, { layer: 'net', peer: to }, { cause: e }));
  };

  private constructor(
    private readonly socket: dgram.Socket,
    readonly local: TransportAddress,
    private readonly tracker: ResourceTracker,
  ) {
    socket.on('message', (msg, rinfo) => {
      // Most datagrams come from the address the previous one came from: normalise it once.
      const raw = rinfo.address;
      if (raw !== this.lastRawIp) {
        this.lastRawIp = raw;
        this.lastIp = normalizeIp(raw);
      }
      this.events.emit('message', {
        bytes: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
        from: { ip: this.lastIp, port: rinfo.port },
      });
    });
    socket.on('error', (e) => {
      this.events.emit('error', new MediapathError('NET_SOCKET_ERROR', `UDP ${local.ip}:${local.port}: ${e.message}`, { layer: 'net' }, { cause: e }));
    });
    tracker.add(this);
  }

  static bind(addr: { ip: string; port?: number }, tracker: ResourceTracker): Promise<NodeUdpSocket> {
    return new Promise((resolve, reject) => {
      const resolver = literalLookup();
      const socket = dgram.createSocket({ type: familyOf(addr.ip) === 6 ? 'udp6' : 'udp4', lookup: resolver.lookup });
      const onError = (e: Error): void => {
        socket.close();
        reject(new MediapathError('NET_BIND_FAILED', `cannot bind UDP ${addr.ip}:${addr.port ?? 0}: ${e.message}`, { layer: 'net' }, { cause: e }));
      };
      socket.once('error', onError);
      socket.bind({ address: addr.ip, port: addr.port ?? 0, exclusive: true }, () => {
        socket.off('error', onError);
        resolver.bound();
        const a = socket.address();
        resolve(new NodeUdpSocket(socket, { ip: normalizeIp(a.address), port: a.port }, tracker));
      });
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(bytes: Uint8Array, to: TransportAddress): void {
    if (this.isClosed) return;
    try {
      this.socket.send(bytes, to.port, to.ip, this.onSent);
    } catch (e) {
      // dgram throws synchronously on bad arguments (e.g. a port out of range): report, never throw.
      this.events.emit('error', new MediapathError('NET_SOCKET_ERROR', `UDP send to ${to.ip}:${to.port}: ${(e as Error).message}`, { layer: 'net', peer: to }, { cause: e }));
    }
  }

  onMessage(cb: (bytes: Uint8Array, from: TransportAddress) => void): Disposable {
    return this.events.on('message', ({ bytes, from }) => cb(bytes, from));
  }

  onError(cb: (error: MediapathError) => void): Disposable {
    return this.events.on('error', cb);
  }

  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    this.tracker.remove(this);
    this.events.removeAll();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
