import type { TransportAddress } from '../../common/address';
import type { MediapathError } from '../../common/errors';
import { TypedEmitter, type Disposable } from '../../common/events';
import { createLogger } from '../../common/logger';

const log = createLogger('net/virtual/udp');

type MessageListener = (bytes: Uint8Array, from: TransportAddress) => void;
import type { DatagramSocket } from '../types';

/** What a UDP socket needs from its host. */
export interface UdpHost {
  sendUdp(from: VirtualUdpSocket, bytes: Uint8Array, to: TransportAddress): void;
  releaseUdp(socket: VirtualUdpSocket): void;
}

interface UdpEvents {
  error: MediapathError;
}

/** A UDP socket on a virtual host. Sends never throw; a closed socket ignores them. */
export class VirtualUdpSocket implements DatagramSocket {
  private readonly events = new TypedEmitter<UdpEvents>((e) => log.warn({ err: e }, 'UDP error listener threw'));
  // Message listeners are kept apart from the emitter: this is the per-datagram path, and a
  // copy-on-subscribe array costs nothing per delivery.
  private listeners: readonly MessageListener[] = [];
  private isClosed = false;

  constructor(
    private readonly host: UdpHost,
    readonly local: TransportAddress,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  send(bytes: Uint8Array, to: TransportAddress): void {
    if (this.isClosed) return;
    this.host.sendUdp(this, bytes, to);
  }

  onMessage(cb: (bytes: Uint8Array, from: TransportAddress) => void): Disposable {
    const entry: MessageListener = (b, f) => cb(b, f);
    this.listeners = [...this.listeners, entry];
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== entry)) };
  }

  onError(cb: (error: MediapathError) => void): Disposable {
    return this.events.on('error', cb);
  }

  close(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      this.host.releaseUdp(this);
      this.events.removeAll();
      this.listeners = [];
    }
    return Promise.resolve();
  }

  /** @internal a datagram arrived. */
  deliver(bytes: Uint8Array, from: TransportAddress): void {
    for (const l of this.listeners) {
      if (this.isClosed) return;
      try {
        l(bytes, from);
      } catch (e) {
        // Like TypedEmitter: one throwing listener does not stop the others or the network.
        log.warn({ err: e, local: this.local, from }, 'UDP message listener threw');
      }
    }
  }

  /** @internal */
  fail(error: MediapathError): void {
    if (!this.isClosed) this.events.emit('error', error);
  }
}
