import type { TransportAddress } from '../common/address';
import type { Clock } from '../common/clock';
import { TypedEmitter, type Disposable } from '../common/events';
import type { RandomSource } from '../common/random';
import type { DatagramSocket } from '../net/types';
import { StunClient, decodeStun, looksLikeStun, type RetransmitConfig, type StunMessage } from '../stun';

interface BaseEvents {
  request: { message: StunMessage; from: TransportAddress };
  data: { bytes: Uint8Array; from: TransportAddress };
  malformed: { from: TransportAddress; reason: string };
}

/**
 * The socket behind a local candidate (a host UDP socket or a TURN allocation) with the one
 * demultiplexer every packet on it goes through (RFC 7983 §7: STUN vs the rest): STUN responses
 * go to this base's StunClient (gathering Binding requests and connectivity checks share it),
 * STUN requests are the peer's checks, anything else is application data (RTP/RTCP).
 */
export class BaseSocket {
  readonly stun: StunClient;
  private readonly events = new TypedEmitter<BaseEvents>();
  private readonly subscription: Disposable;
  readonly counters = { stunIn: 0, dataIn: 0, malformed: 0, sent: 0 };

  constructor(
    readonly socket: DatagramSocket,
    clock: Clock,
    /** `reliable`: the socket is a stream (ICE-TCP): one send per request and a single timeout. */
    opts: { retransmit?: Partial<RetransmitConfig>; random?: RandomSource; reliable?: boolean } = {},
  ) {
    this.stun = new StunClient({
      clock,
      reliable: opts.reliable ?? false,
      send: (bytes, to) => this.send(bytes, to),
      ...(opts.retransmit ? { retransmit: opts.retransmit } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
    this.subscription = socket.onMessage((bytes, from) => this.onPacket(bytes, from));
  }

  get local(): TransportAddress {
    return this.socket.local;
  }

  send(bytes: Uint8Array, to: TransportAddress): void {
    this.counters.sent++;
    this.socket.send(bytes, to);
  }

  private onPacket(bytes: Uint8Array, from: TransportAddress): void {
    if (looksLikeStun(bytes)) {
      const r = decodeStun(bytes);
      if (!r.ok) {
        this.counters.malformed++;
        this.events.emit('malformed', { from, reason: `${r.error.reason} at byte ${r.error.offset}` });
        return;
      }
      this.counters.stunIn++;
      if (this.stun.handle(r.value, from)) return;
      if (r.value.cls === 'request') this.events.emit('request', { message: r.value, from });
      return;
    }
    this.counters.dataIn++;
    this.events.emit('data', { bytes, from });
  }

  onRequest(cb: (message: StunMessage, from: TransportAddress) => void): Disposable {
    return this.events.on('request', ({ message, from }) => cb(message, from));
  }

  onData(cb: (bytes: Uint8Array, from: TransportAddress) => void): Disposable {
    return this.events.on('data', ({ bytes, from }) => cb(bytes, from));
  }

  onMalformed(cb: (from: TransportAddress, reason: string) => void): Disposable {
    return this.events.on('malformed', ({ from, reason }) => cb(from, reason));
  }

  async close(): Promise<void> {
    this.stun.close('candidate base closed');
    this.subscription.dispose();
    this.events.removeAll();
    await this.socket.close();
  }
}
