import type { TransportAddress } from '../../common/address';
import type { MutablePacketRecord } from './truth';

export type Proto = 'udp' | 'tcp';

/** Why a packet did not arrive. Stable strings: tests and the lab UI match on them. */
export type DropReason =
  /** Random or bursty loss on an impaired link (for TCP: retransmissions exhausted). */
  | 'loss'
  /** The link was cut (`Link.cut`). */
  | 'link-down'
  /** The link's bandwidth queue was full (tail drop). */
  | 'queue-overflow'
  /** A firewall rule (or default policy) dropped it. */
  | 'firewall'
  /** Inbound at a NAT with no mapping for the destination port (or a TCP segment of no connection). */
  | 'nat-no-mapping'
  /** A mapping exists but its filtering behaviour (RFC 4787 §5) refused this source. */
  | 'nat-filter'
  /** The NAT had no free external port. */
  | 'nat-no-port'
  /** Sent from inside to the NAT's own public address on a NAT without hairpinning (RFC 4787 §6). */
  | 'no-hairpin'
  /** No interface or gateway leads to the destination (private address seen from outside…). */
  | 'no-route'
  /** Arrived at the destination host, but nothing is bound to that port (no ICMP is modelled). */
  | 'port-unreachable'
  /** A TCP segment for no connection (after a close or a timed-out connect). */
  | 'no-connection'
  /** Too many routers on the way (a guard; the tree topology has no loops). */
  | 'ttl';

export type TcpKind = 'syn' | 'syn-ack' | 'ack' | 'data' | 'fin' | 'rst';

/**
 * Virtual TCP segment header. Each direction of a connection numbers its segments (SYN or
 * SYN-ACK is 0); the receiver delivers them in that order, holding back any that overtake.
 */
export interface TcpSegment {
  readonly kind: TcpKind;
  readonly seq: number;
  /** The connecting side asked for TLS (the virtual network does not encrypt). */
  readonly secure?: boolean;
}

/** What matchers, firewall rules and events see of a packet. */
export interface PacketView {
  readonly proto: Proto;
  readonly src: TransportAddress;
  readonly dst: TransportAddress;
  /** Payload bytes (IP/UDP/TCP headers not counted). */
  readonly size: number;
  readonly tcp?: TcpSegment;
}

/** A packet in flight. `src`/`dst` are rewritten by NATs on the way. */
export interface Packet extends PacketView {
  readonly id: number;
  src: TransportAddress;
  dst: TransportAddress;
  readonly payload: Uint8Array;
  readonly sentAt: number;
  /** Routers crossed so far. */
  hops: number;
  /** Whether some link already deferred it, so delivery is known to be asynchronous. */
  deferred: boolean;
  /** Its ground-truth record, when recorded. */
  readonly record: MutablePacketRecord | undefined;
}

/** Bytes a packet takes on the wire, for bandwidth: payload plus IPv4 and UDP/TCP headers. */
export function wireSize(p: PacketView): number {
  return p.size + (p.proto === 'udp' ? 28 : 40);
}
