import type { TransportAddress } from '../../common/address';
import { MediapathError } from '../../common/errors';
import { WILDCARD_IP } from './ip';
import type { DropReason, Proto, TcpKind } from './packet';

export type PacketFate = 'in-flight' | 'delivered' | 'dropped';

/** One impaired link a packet crossed, and what that link did to it. */
export interface HopRecord {
  readonly link: string;
  /** Delay added on this link: base delay + jitter + reorder + queueing + TCP retransmissions. */
  readonly delayMs: number;
  /** TCP only: the segment was "lost" this many times on this link and resent. */
  readonly retransmits?: number;
}

/**
 * The ground truth about one packet: what its sender sent, what the network did to it, what
 * the receiver got. A copy made by a duplicating link has its own record (`duplicateOf`).
 */
export interface PacketRecord {
  readonly id: number;
  readonly proto: Proto;
  readonly kind?: TcpKind;
  /** As the sending socket sent it (the interface address, never 0.0.0.0). */
  readonly src: TransportAddress;
  readonly dst: TransportAddress;
  /** Payload bytes. */
  readonly size: number;
  readonly sentAt: number;
  readonly label?: string | number;
  readonly duplicateOf?: number;
  readonly fate: PacketFate;
  readonly deliveredAt?: number;
  /** deliveredAt − sentAt. */
  readonly delayMs?: number;
  /** Source address as the receiver saw it (after NATs). */
  readonly deliveredFrom?: TransportAddress;
  /** Destination address it reached (after NATs). */
  readonly deliveredTo?: TransportAddress;
  /** Name of the receiving host. */
  readonly deliveredBy?: string;
  readonly dropReason?: DropReason;
  readonly droppedAt?: number;
  /** Name of the link, router or host that dropped it. */
  readonly droppedWhere?: string;
  /** Sum of the delays impaired links added (the rest of `delayMs` is none: links have no base latency). */
  readonly impairedMs: number;
  /** Copies links made of this packet. */
  readonly duplicates: number;
  readonly retransmits: number;
  readonly hops: readonly HopRecord[];
}

/** @internal the network fills records in place (`hops` is replaced, never pushed to, while it is NO_HOPS). */
export type MutablePacketRecord = { -readonly [K in keyof PacketRecord]: PacketRecord[K] };

/** @internal the shared empty hop list of records that crossed no impaired link. */
export const NO_HOPS: readonly HopRecord[] = Object.freeze([]);

/** @internal */
export function addHop(r: MutablePacketRecord, hop: HopRecord): void {
  if (r.hops === NO_HOPS) r.hops = [hop];
  else (r.hops as HopRecord[]).push(hop);
}

/** @internal what the network tells the recorder about a new packet. */
export interface RecordInput {
  readonly id: number;
  readonly proto: Proto;
  readonly src: TransportAddress;
  readonly dst: TransportAddress;
  readonly size: number;
  readonly sentAt: number;
  readonly kind?: TcpKind;
  readonly payload: Uint8Array;
}

export interface TruthOptions {
  /** Which packets get a record: all (default), datagrams only, or none (counters only). */
  readonly record?: 'all' | 'udp' | 'off';
  /** Records kept; beyond it the oldest are evicted (counted in `evicted`). Default 200 000. */
  readonly cap?: number;
  /** Pulls a label out of a payload at send time (an RTP sequence number, a STUN method…). */
  readonly label?: (payload: Uint8Array, proto: Proto) => string | number | undefined;
}

export interface AddressMatch {
  /** Exact address; 0.0.0.0 (a wildcard-bound socket's `local`) matches any. */
  readonly ip?: string;
  readonly port?: number;
}

export interface TruthQuery {
  readonly proto?: Proto;
  /** Matches the source as sent. */
  readonly src?: AddressMatch;
  /** Matches the destination as sent. */
  readonly dst?: AddressMatch;
  readonly fate?: PacketFate;
  readonly reason?: DropReason;
  readonly label?: string | number;
  /** sentAt ≥ since. */
  readonly since?: number;
  /** sentAt < until. */
  readonly until?: number;
  /** Copies made by duplicating links: included (default), excluded, or alone. */
  readonly duplicates?: 'include' | 'exclude' | 'only';
}

export interface TruthCounts {
  /** Packets sockets sent (copies not counted). */
  readonly sent: number;
  /** Copies links made. */
  readonly duplicated: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly droppedBy: Readonly<Partial<Record<DropReason, number>>>;
  readonly inFlight: number;
}

// 0.0.0.0 matches any address, so a wildcard-bound socket's `local` can be used as a query.
function addressMatches(m: AddressMatch | undefined, a: TransportAddress): boolean {
  return !m || ((m.ip === undefined || m.ip === WILDCARD_IP || m.ip === a.ip) && (m.port === undefined || m.port === a.port));
}

/**
 * The record of what the network did to every packet. Counters are always kept; records are
 * kept per `TruthOptions.record` in a ring of `cap` entries so memory stays bounded. Queries scan
 * the ring (they are for tests and reports, not for the packet path).
 */
export class GroundTruth {
  private readonly ring: (MutablePacketRecord | undefined)[] = [];
  private head = 0;
  private size = 0;
  private readonly cap: number;
  private readonly mode: 'all' | 'udp' | 'off';
  private nSent = 0;
  private nDuplicated = 0;
  private nDelivered = 0;
  private nDropped = 0;
  private readonly byReason: Partial<Record<DropReason, number>> = {};
  /** Records evicted by the cap. */
  evicted = 0;

  constructor(private readonly options: TruthOptions = {}) {
    this.cap = options.cap ?? 200_000;
    this.mode = options.record ?? 'all';
    if (!Number.isInteger(this.cap) || this.cap < 1) {
      throw new MediapathError('INVALID_ARGUMENT', `truth cap must be a positive integer, got ${this.cap}`, { layer: 'net' });
    }
  }

  /** @internal a socket sent a packet. */
  open(p: RecordInput): MutablePacketRecord | undefined {
    this.nSent++;
    if (!this.keeps(p.proto)) return undefined;
    const r = this.create(p, this.options.label?.(p.payload, p.proto));
    this.append(r);
    return r;
  }

  /** @internal a link copied a packet whose record (if kept) is `of`. */
  openCopy(p: RecordInput, of: MutablePacketRecord | undefined): MutablePacketRecord | undefined {
    this.nDuplicated++;
    if (of) of.duplicates++;
    if (!this.keeps(p.proto)) return undefined;
    const r = this.create(p, of?.label);
    if (of) r.duplicateOf = of.id;
    this.append(r);
    return r;
  }

  /** @internal */
  markDelivered(r: MutablePacketRecord | undefined, at: number, from: TransportAddress, to: TransportAddress, by: string): void {
    this.nDelivered++;
    if (!r) return;
    r.fate = 'delivered';
    r.deliveredAt = at;
    r.delayMs = at - r.sentAt;
    r.deliveredFrom = from;
    r.deliveredTo = to;
    r.deliveredBy = by;
  }

  /** @internal */
  markDropped(r: MutablePacketRecord | undefined, at: number, reason: DropReason, where: string): void {
    this.nDropped++;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    if (!r) return;
    r.fate = 'dropped';
    r.dropReason = reason;
    r.droppedAt = at;
    r.droppedWhere = where;
  }

  get counts(): TruthCounts {
    return {
      sent: this.nSent,
      duplicated: this.nDuplicated,
      delivered: this.nDelivered,
      dropped: this.nDropped,
      droppedBy: { ...this.byReason },
      inFlight: this.nSent + this.nDuplicated - this.nDelivered - this.nDropped,
    };
  }

  /** Records kept, oldest first, filtered by `q`. */
  records(q: TruthQuery = {}): PacketRecord[] {
    const out: PacketRecord[] = [];
    for (let i = 0; i < this.size; i++) {
      const r = this.ring[(this.head + i) % this.cap]!;
      if (this.matches(r, q)) out.push(r);
    }
    return out;
  }

  drops(q: TruthQuery = {}): PacketRecord[] {
    return this.records({ ...q, fate: 'dropped' });
  }

  delivered(q: TruthQuery = {}): PacketRecord[] {
    return this.records({ ...q, fate: 'delivered' });
  }

  /** Everything one socket sent to one destination (addresses as sent), oldest first. */
  flow(src: TransportAddress, dst: TransportAddress, proto: Proto = 'udp'): PacketRecord[] {
    return this.records({ proto, src, dst });
  }

  /** The record of packet `id`, if still kept. */
  get(id: number): PacketRecord | undefined {
    // Records are appended in id order, so the ring is sorted by id.
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ring[(this.head + mid) % this.cap]!;
      if (r.id === id) return r;
      if (r.id < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Forgets the records (counters stay). */
  clearRecords(): void {
    this.ring.length = 0;
    this.head = 0;
    this.size = 0;
  }

  private keeps(proto: Proto): boolean {
    return this.mode === 'all' || (this.mode === 'udp' && proto === 'udp');
  }

  private create(p: RecordInput, label: string | number | undefined): MutablePacketRecord {
    // Every field is set here, in one order, so all records share one object shape.
    return {
      id: p.id,
      proto: p.proto,
      kind: p.kind,
      src: p.src,
      dst: p.dst,
      size: p.size,
      sentAt: p.sentAt,
      label,
      duplicateOf: undefined,
      fate: 'in-flight',
      deliveredAt: undefined,
      delayMs: undefined,
      deliveredFrom: undefined,
      deliveredTo: undefined,
      deliveredBy: undefined,
      dropReason: undefined,
      droppedAt: undefined,
      droppedWhere: undefined,
      impairedMs: 0,
      duplicates: 0,
      retransmits: 0,
      hops: NO_HOPS,
    };
  }

  private append(r: MutablePacketRecord): void {
    if (this.size < this.cap) {
      this.ring[(this.head + this.size) % this.cap] = r;
      this.size++;
    } else {
      this.ring[this.head] = r;
      this.head = (this.head + 1) % this.cap;
      this.evicted++;
    }
  }

  private matches(r: PacketRecord, q: TruthQuery): boolean {
    if (q.proto !== undefined && r.proto !== q.proto) return false;
    if (q.fate !== undefined && r.fate !== q.fate) return false;
    if (q.reason !== undefined && r.dropReason !== q.reason) return false;
    if (q.label !== undefined && r.label !== q.label) return false;
    if (q.since !== undefined && r.sentAt < q.since) return false;
    if (q.until !== undefined && r.sentAt >= q.until) return false;
    const dup = q.duplicates ?? 'include';
    if (dup === 'exclude' && r.duplicateOf !== undefined) return false;
    if (dup === 'only' && r.duplicateOf === undefined) return false;
    return addressMatches(q.src, r.src) && addressMatches(q.dst, r.dst);
  }
}
