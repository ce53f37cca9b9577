import { formatAddress, type TransportAddress } from '../../common/address';
import type { Clock } from '../../common/clock';
import { MediapathError } from '../../common/errors';
import { type Disposable, TypedEmitter } from '../../common/events';
import type { Logger } from '../../common/logger';
import { redactText } from '../../common/redact';
import { err, type Result } from '../../common/result';
import { badRequestFor } from '../bad-request';
import { toUtf8Bytes, utf8 } from '../bytes';
import { SIP_LIMITS, type SipLimits } from '../limits';
import type { SipMessage } from '../message';
import { parseSipMessage } from '../parse';
import { serializeSipMessage } from '../serialize';
import type { SipSendOptions, SipTransport, SipTransportEvent, SipTransportKind } from './types';
import { learnedAddress, markReceived, stampTopVia } from './via';

interface TransportEvents {
  message: { readonly message: SipMessage; readonly from: TransportAddress };
  event: SipTransportEvent;
}

export interface BaseTransportOptions {
  readonly clock: Clock;
  readonly limits?: SipLimits;
}

/**
 * What every SIP transport does the same way: the wire events, parsing with the 400 answer for
 * a malformed request, `received`/`rport` on requests, and learning our public address from
 * responses. Subclasses move bytes.
 */
export abstract class BaseSipTransport implements SipTransport {
  abstract readonly kind: SipTransportKind;
  abstract readonly reliable: boolean;
  abstract readonly local: TransportAddress | undefined;
  protected readonly emitter: TypedEmitter<TransportEvents>;
  protected readonly clock: Clock;
  protected readonly limits: SipLimits;
  private readonly learned = new Map<string, TransportAddress>();
  private lastLearned: TransportAddress | undefined;
  protected isClosed = false;

  constructor(
    opts: BaseTransportOptions,
    protected readonly log: Logger,
  ) {
    this.clock = opts.clock;
    this.limits = opts.limits ?? SIP_LIMITS;
    this.emitter = new TypedEmitter<TransportEvents>((e) => this.log.warn({ err: e }, 'SIP transport listener threw'));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  abstract sentBy(peer?: TransportAddress): TransportAddress;
  abstract connect(to: TransportAddress): Promise<Result<TransportAddress, MediapathError>>;
  abstract close(): Promise<void>;
  abstract keepAlive(to: TransportAddress): void;
  /** Puts bytes on the wire to `to`; resolves once they are handed to a socket. */
  protected abstract write(bytes: Uint8Array, to: TransportAddress): Promise<Result<void, MediapathError>>;

  publicAddress(peer?: TransportAddress): TransportAddress | undefined {
    return peer ? this.learned.get(formatAddress(peer)) : this.lastLearned;
  }

  onMessage(cb: (message: SipMessage, from: TransportAddress) => void): Disposable {
    return this.emitter.on('message', ({ message, from }) => cb(message, from));
  }

  onEvent(cb: (event: SipTransportEvent) => void): Disposable {
    return this.emitter.on('event', cb);
  }

  async send(message: SipMessage, to: TransportAddress, opts: SipSendOptions = {}): Promise<Result<void, MediapathError>> {
    if (this.isClosed) {
      return err(new MediapathError('CLOSED', `SIP ${this.kind.toUpperCase()} transport is closed`, { layer: 'sip', peer: to }));
    }
    let msg = message;
    if (opts.stampVia && msg.kind === 'request') {
      // A stream's sent-by is the local end of its connection: open it first.
      const c = await this.connect(to);
      if (!c.ok) return c;
      msg = stampTopVia(msg, this.kind, this.sentBy(to));
    }
    const text = serializeSipMessage(msg);
    const r = await this.write(toUtf8Bytes(text), to);
    if (r.ok) this.wire('sip.sent', to, text);
    return r;
  }

  protected wire(type: 'sip.sent' | 'sip.received', peer: TransportAddress, text: string): void {
    this.emitter.emit('event', { type, at: this.clock.now(), transport: this.kind, peer: formatAddress(peer), text: redactText(text) });
  }

  /**
   * One whole message from the network (a datagram, or a frame cut from a stream). Hostile
   * input never throws: a request that does not parse is answered 400 when RFC 3261 §8.2 lets us
   * build an answer (`badRequestFor`), anything else is logged and dropped.
   */
  protected handleInbound(bytes: Uint8Array, from: TransportAddress, reply: (bytes: Uint8Array) => void): void {
    if (this.isClosed) return;
    this.wire('sip.received', from, utf8(bytes));
    const parsed = parseSipMessage(bytes, { limits: this.limits });
    if (!parsed.ok) {
      this.log.warn({ peer: formatAddress(from), offset: parsed.error.offset, reason: parsed.error.reason }, 'malformed SIP message');
      const answer = badRequestFor(bytes, parsed.error, { limits: this.limits });
      if (answer !== undefined) {
        reply(toUtf8Bytes(answer));
        this.wire('sip.sent', from, answer);
      }
      return;
    }
    let msg = parsed.value;
    if (msg.kind === 'request') msg = markReceived(msg, from);
    else this.learn(msg, from);
    this.emitter.emit('message', { message: msg, from });
  }

  private learn(res: Extract<SipMessage, { kind: 'response' }>, from: TransportAddress): void {
    const seen = learnedAddress(res);
    if (!seen) return;
    const key = formatAddress(from);
    const prev = this.learned.get(key);
    this.lastLearned = seen;
    if (prev && prev.ip === seen.ip && prev.port === seen.port) return;
    this.learned.set(key, seen);
    this.emitter.emit('event', {
      type: 'sip.public-address',
      at: this.clock.now(),
      transport: this.kind,
      peer: key,
      address: formatAddress(seen),
      ...(prev ? { previous: formatAddress(prev) } : {}),
    });
  }

  /** Forgets what a closed connection taught us (its NAT mapping is gone with it). */
  protected forget(peer: TransportAddress): void {
    this.learned.delete(formatAddress(peer));
  }

  protected finishClose(): void {
    this.isClosed = true;
    this.emitter.removeAll();
    this.learned.clear();
  }
}
