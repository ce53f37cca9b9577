import type { TransportAddress } from '../common/address';
import type { Clock } from '../common/clock';
import type { MediapathError } from '../common/errors';
import { TypedEmitter, type Disposable } from '../common/events';
import { createLogger } from '../common/logger';
import type { RandomSource } from '../common/random';
import { encodeRfc4571, Rfc4571Deframer, RFC4571_MAX_FRAME } from '../net/framing';
import type { DatagramSocket, StreamSocket } from '../net/types';
import { DEFAULT_RETRANSMIT, retransmitSchedule, type RetransmitConfig } from '../stun';
import { BaseSocket } from './base-socket';

const log = createLogger('ice/stream-base');

interface FramedEvents {
  message: { bytes: Uint8Array; from: TransportAddress };
  error: MediapathError;
  close: MediapathError | undefined;
}

/**
 * One ICE-TCP connection seen as a datagram socket: every STUN message and every media packet
 * on it is one RFC 4571 frame (RFC 6544 §7.1, §10.1). The connection is the candidate pair, so
 * `send` ignores its destination (a passive side's remote candidate says port 9, the connection
 * knows the real one) and every frame received comes from the connection's remote address.
 */
export class FramedStreamSocket implements DatagramSocket {
  private readonly deframer = new Rfc4571Deframer();
  private readonly events = new TypedEmitter<FramedEvents>((e) => log.warn({ err: e }, 'listener threw'));
  private readonly subscriptions: Disposable[];
  readonly counters = { framesIn: 0, framesOut: 0, oversize: 0 };

  constructor(readonly stream: StreamSocket) {
    this.subscriptions = [
      stream.onData((chunk) => {
        for (const bytes of this.deframer.push(chunk)) {
          this.counters.framesIn++;
          this.events.emit('message', { bytes, from: stream.remote });
        }
      }),
      stream.onClose((error) => {
        if (error) this.events.emit('error', error);
        this.events.emit('close', error);
        this.events.removeAll();
      }),
    ];
  }

  get local(): TransportAddress {
    return this.stream.local;
  }

  get remote(): TransportAddress {
    return this.stream.remote;
  }

  get closed(): boolean {
    return this.stream.closed;
  }

  send(bytes: Uint8Array): void {
    // DatagramSocket.send never throws: a frame RFC 4571 cannot carry is dropped and counted.
    if (bytes.length > RFC4571_MAX_FRAME) {
      this.counters.oversize++;
      log.warn({ size: bytes.length, peer: this.stream.remote }, 'frame too large for RFC 4571: dropped');
      return;
    }
    this.counters.framesOut++;
    this.stream.write(encodeRfc4571(bytes));
  }

  onMessage(cb: (bytes: Uint8Array, from: TransportAddress) => void): Disposable {
    return this.events.on('message', ({ bytes, from }) => cb(bytes, from));
  }

  onError(cb: (error: MediapathError) => void): Disposable {
    return this.events.on('error', cb);
  }

  /** Once, when the connection ends for any reason; `error` is set when it did not end cleanly. */
  onClose(cb: (error?: MediapathError) => void): Disposable {
    return this.events.on('close', cb);
  }

  async close(): Promise<void> {
    await this.stream.close();
    for (const s of this.subscriptions) s.dispose();
    this.events.removeAll();
  }
}

/**
 * The base of an ICE-TCP pair (RFC 6544 §7): one TCP connection, opened by our active candidate
 * or accepted by our passive one, with the same demultiplexer and STUN client as any other base.
 * Checks on it are reliable: one send, then a single timeout, as long as a UDP check's whole
 * retransmission schedule unless `reliableTimeoutMs` says otherwise (RFC 8489 §6.2.2's 39.5 s
 * would keep a dead pair in progress far longer than its UDP neighbours).
 */
export class StreamBase extends BaseSocket {
  private readonly framed: FramedStreamSocket;

  constructor(stream: StreamSocket, clock: Clock, opts: { retransmit?: Partial<RetransmitConfig>; random?: RandomSource } = {}) {
    const framed = new FramedStreamSocket(stream);
    super(framed, clock, { ...opts, reliable: true, retransmit: streamRetransmit(opts.retransmit) });
    this.framed = framed;
    // A check waiting on a connection that is gone has no answer coming: fail it now.
    framed.onClose(() => this.stun.close('TCP connection closed'));
  }

  /** The connection's far end: the peer's passive candidate, or the port its active side connected from. */
  get remote(): TransportAddress {
    return this.framed.remote;
  }

  get closed(): boolean {
    return this.framed.closed;
  }

  get frameCounters(): Readonly<FramedStreamSocket['counters']> {
    return this.framed.counters;
  }

  onClose(cb: (error?: MediapathError) => void): Disposable {
    return this.framed.onClose(cb);
  }
}

/** The retransmission config a stream base uses: Ti defaults to the UDP schedule's total. */
export function streamRetransmit(r: Partial<RetransmitConfig> = {}): Partial<RetransmitConfig> {
  if (r.reliableTimeoutMs !== undefined) return r;
  return { ...r, reliableTimeoutMs: retransmitSchedule({ ...DEFAULT_RETRANSMIT, ...r }, false).timeoutAt };
}
