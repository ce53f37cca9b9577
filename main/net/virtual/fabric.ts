import type { TransportAddress } from '../../common/address';
import type { DnsTable } from './dns';
import type { Iface } from './lan';
import type { DropReason, Packet, Proto, TcpSegment } from './packet';
import type { ScheduledEvent } from './scheduler';

/** What hosts and routers need from the network that carries their packets. */
export interface Fabric {
  readonly dns: DnsTable;
  readonly closed: boolean;
  readonly connectTimeoutMs: number;
  now(): number;
  after(ms: number, cb: () => void): ScheduledEvent;
  /** A new packet, numbered and (per the truth options) recorded. */
  originate(proto: Proto, src: TransportAddress, dst: TransportAddress, payload: Uint8Array, tcp?: TcpSegment): Packet;
  /** Sends `p` out of `iface` onto its LAN, through the link's egress side. */
  transmit(p: Packet, iface: Iface): void;
  drop(p: Packet, reason: DropReason, where: string): void;
  delivered(p: Packet, by: string): void;
}
