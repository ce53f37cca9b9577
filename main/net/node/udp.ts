import * as dgram from 'node:dgram';
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

/** A host UDP socket on node:dgram. */
export class NodeUdpSocket implements DatagramSocket {
  private readonly events = new TypedEmitter<UdpEvents>();
  private isClosed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly local: TransportAddress,
    private readonly tracker: ResourceTracker,
  ) {
    socket.on('message', (msg, rinfo) => {
      this.events.emit('message', {
        bytes: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
        from: { ip: normalizeIp(rinfo.address), port: rinfo.port },
      });
    });
    socket.on('error', (e) => {
      this.events.emit('error', new MediapathError('NET_SOCKET_ERROR', `UDP ${local.ip}:${local.port}: ${e.message}`, { layer: 'net' }, { cause: e }));
    });
    tracker.add(this);
  }

  static bind(addr: { ip: string; port?: number }, tracker: ResourceTracker): Promise<NodeUdpSocket> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: familyOf(addr.ip) === 6 ? 'udp6' : 'udp4' });
      const onError = (e: Error): void => {
        socket.close();
        reject(new MediapathError('NET_BIND_FAILED', `cannot bind UDP ${addr.ip}:${addr.port ?? 0}: ${e.message}`, { layer: 'net' }, { cause: e }));
      };
      socket.once('error', onError);
      socket.bind({ address: addr.ip, port: addr.port ?? 0, exclusive: true }, () => {
        socket.off('error', onError);
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
      this.socket.send(bytes, to.port, to.ip, (e) => {
        if (e) this.events.emit('error', new MediapathError('NET_SOCKET_ERROR', `UDP send to ${to.ip}:${to.port}: ${e.message}`, { layer: 'net', peer: to }, { cause: e }));
      });
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
