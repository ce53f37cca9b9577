import type { TransportAddress } from '../../common/address';
import type { Disposable } from '../../common/events';
import type { MediapathError } from '../../common/errors';
import type { Result } from '../../common/result';
import type { SipMessage } from '../message';

/** The three SIP transports of RFC 3261 §18 we speak; the token as written in Via is upper case. */
export type SipTransportKind = 'udp' | 'tcp' | 'tls';

/**
 * One SIP message on the wire, for the ladder view and the evidence bundle (DESIGN.md "The
 * Timeline"). `text` is the raw message as sent or received, with credentials redacted.
 */
export interface SipWireEvent {
  readonly type: 'sip.sent' | 'sip.received';
  /** Monotonic milliseconds from the injected clock. */
  readonly at: number;
  readonly transport: SipTransportKind;
  /** The other end, `ip:port` (`[v6]:port`). */
  readonly peer: string;
  readonly text: string;
}

/** Our address as a peer saw it (RFC 3581 `received`/`rport` in a response to us). */
export interface PublicAddressEvent {
  readonly type: 'sip.public-address';
  readonly at: number;
  readonly transport: SipTransportKind;
  /** The peer that reported it. */
  readonly peer: string;
  /** `ip:port` as that peer sees us. */
  readonly address: string;
  readonly previous?: string;
}

export type SipTransportEvent = SipWireEvent | PublicAddressEvent;

export interface SipSendOptions {
  /**
   * Write this transport's protocol token and sent-by into the top Via (RFC 3261 §18.1.1: the
   * transport layer knows which address and connection the request leaves from). Set for
   * requests the caller originates; never for responses or for requests a proxy relays.
   */
  readonly stampVia?: boolean;
}

/**
 * A SIP transport (RFC 3261 §18) on an injected `Net`: whole messages in and out, whatever the
 * protocol. Sends never throw: a connection that cannot be opened comes back as a failed Result
 * (the caller hands it to its transaction, RFC 3261 §17.1.4).
 */
export interface SipTransport {
  readonly kind: SipTransportKind;
  /** TCP and TLS: no retransmissions by the transaction layer (RFC 3261 §17.1.1.2). */
  readonly reliable: boolean;
  /** The bound UDP socket or the TCP/TLS listener; undefined for a stream transport that only connects. */
  readonly local: TransportAddress | undefined;
  readonly closed: boolean;
  /**
   * The sent-by we write towards `peer`: the UDP socket's advertised address, the listener, or
   * for an outgoing stream the local end of its connection (when open).
   */
  sentBy(peer?: TransportAddress): TransportAddress;
  /** Our address as `peer` (or, without one, the last peer that told us) sees it. */
  publicAddress(peer?: TransportAddress): TransportAddress | undefined;
  /** Opens (or reuses) the connection to `to`; for UDP, nothing to do. Returns the local end. */
  connect(to: TransportAddress): Promise<Result<TransportAddress, MediapathError>>;
  send(message: SipMessage, to: TransportAddress, opts?: SipSendOptions): Promise<Result<void, MediapathError>>;
  /**
   * One NAT keep-alive towards `to`. UDP: a CRLFCRLF datagram (what most phones send; servers
   * ignore it, RFC 5626 §3.5.1 would use STUN). Streams: nothing, their connections ping by themselves.
   */
  keepAlive(to: TransportAddress): void;
  /** Parsed messages; requests already carry `received`/`rport` (RFC 3261 §18.2.1, RFC 3581 §4). */
  onMessage(cb: (message: SipMessage, from: TransportAddress) => void): Disposable;
  onEvent(cb: (event: SipTransportEvent) => void): Disposable;
  close(): Promise<void>;
}

/** RFC 3261 §18.2.1 / §19.1.2 default ports. */
export function defaultSipPort(kind: SipTransportKind): number {
  return kind === 'tls' ? 5061 : 5060;
}

export function viaToken(kind: SipTransportKind): string {
  return kind.toUpperCase();
}
