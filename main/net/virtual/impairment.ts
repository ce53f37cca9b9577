import { MediapathError } from '../../common/errors';
import type { SeededRandom } from '../../common/random';
import { cidrContains, parseCidr, parseIpv4, type Cidr } from './ip';
import { wireSize, type PacketView, type Proto } from './packet';

/**
 * Packet loss: a probability (independent losses), a rate with a mean burst length (a two-state
 * Gilbert-Elliott chain with that stationary loss rate), or the chain's parameters themselves.
 */
export type LossSpec =
  | number
  | { readonly rate: number; readonly meanBurst?: number }
  | {
      readonly gilbertElliott: {
        /** P(good → bad) per packet. */
        readonly p: number;
        /** P(bad → good) per packet; the mean burst length is 1/r when lossInBad is 1. */
        readonly r: number;
        /** Loss probability in the good state (default 0). */
        readonly lossInGood?: number;
        /** Loss probability in the bad state (default 1). */
        readonly lossInBad?: number;
      };
    };

/** Which packets a rule applies to. "Far" is the other end as seen on this link direction. */
export interface PacketMatch {
  readonly proto?: Proto;
  /** Far address (IP or CIDR): the destination on egress, the source on ingress. */
  readonly peer?: string;
  readonly peerPort?: number;
  /** Near port: the source port on egress, the destination port on ingress. */
  readonly localPort?: number;
  /** Anything else. */
  readonly where?: (p: PacketView) => boolean;
}

/**
 * What a link does to the packets of one direction. Every part is optional; randomness comes
 * from the link's seeded streams (one per part, so turning jitter on does not change which
 * packets are lost).
 */
export interface ImpairmentSpec {
  /** Only packets matching this (default: all). */
  readonly match?: PacketMatch;
  /** Active from this clock time on (inclusive). */
  readonly from?: number;
  /** Active until this clock time (exclusive). */
  readonly until?: number;
  readonly loss?: LossSpec;
  /** Fixed one-way delay added on this link. */
  readonly delayMs?: number;
  /** Extra delay, uniform in [0, jitterMs): packets may overtake each other. */
  readonly jitterMs?: number;
  /** A share of packets held back `delayMs` more, so later ones overtake them. */
  readonly reorder?: { readonly rate: number; readonly delayMs: number };
  /** Probability that a datagram is delivered twice (the copy draws its own delay). */
  readonly duplicate?: number;
  /** Serialization rate; packets queue behind each other. */
  readonly bandwidthKbps?: number;
  /** Longest queueing wait before a datagram is tail-dropped (default 1000 ms). */
  readonly queueMs?: number;
}

export interface TcpLossModel {
  /** Extra delay of the first retransmission; doubles for each further one (RFC 6298 §5.5). */
  readonly retransmitMs: number;
  /** Retransmissions before the segment is given up (the connection then stalls). */
  readonly maxRetransmits: number;
}

export interface Verdict {
  readonly drop?: 'loss' | 'queue-overflow';
  readonly delayMs: number;
  readonly retransmits: number;
  readonly duplicate: boolean;
}

interface LossModel {
  lost(): boolean;
}

class BernoulliLoss implements LossModel {
  constructor(
    private readonly rate: number,
    private readonly rng: SeededRandom,
  ) {}

  lost(): boolean {
    return this.rng.next() < this.rate;
  }
}

/** Two-state Markov chain; the state of a packet decides its loss probability. */
class GilbertElliottLoss implements LossModel {
  private bad = false;

  constructor(
    private readonly p: number,
    private readonly r: number,
    private readonly lossInGood: number,
    private readonly lossInBad: number,
    private readonly rng: SeededRandom,
  ) {}

  lost(): boolean {
    const t = this.rng.next();
    this.bad = this.bad ? t >= this.r : t < this.p;
    const l = this.bad ? this.lossInBad : this.lossInGood;
    if (l >= 1) return true;
    return l > 0 && this.rng.next() < l;
  }
}

function invalid(msg: string): MediapathError {
  return new MediapathError('INVALID_ARGUMENT', `impairment: ${msg}`, { layer: 'net' });
}

function probability(name: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!(v >= 0 && v <= 1)) throw invalid(`${name} must be in [0, 1], got ${v}`);
  return v;
}

function nonNegative(name: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!(v >= 0) || !Number.isFinite(v)) throw invalid(`${name} must be a finite number ≥ 0, got ${v}`);
  return v;
}

function lossModel(spec: LossSpec | undefined, rng: SeededRandom): LossModel | undefined {
  if (spec === undefined) return undefined;
  if (typeof spec === 'number') return probability('loss', spec) > 0 ? new BernoulliLoss(spec, rng) : undefined;
  if ('gilbertElliott' in spec) {
    const g = spec.gilbertElliott;
    return new GilbertElliottLoss(probability('p', g.p), probability('r', g.r), probability('lossInGood', g.lossInGood), g.lossInBad === undefined ? 1 : probability('lossInBad', g.lossInBad), rng);
  }
  const rate = probability('loss rate', spec.rate);
  if (rate === 0) return undefined;
  if (spec.meanBurst === undefined) return new BernoulliLoss(rate, rng);
  // Simple Gilbert chain (loss only in the bad state): stationary loss p/(p+r) = rate and mean
  // sojourn in bad 1/r = meanBurst give r = 1/meanBurst and p = rate·r/(1−rate).
  if (!(spec.meanBurst >= 1)) throw invalid(`meanBurst must be ≥ 1, got ${spec.meanBurst}`);
  if (rate >= 1) return new BernoulliLoss(1, rng);
  const r = 1 / spec.meanBurst;
  const p = (rate * r) / (1 - rate);
  if (p > 1) throw invalid(`loss rate ${rate} cannot have bursts as short as ${spec.meanBurst} packets`);
  return new GilbertElliottLoss(p, r, 0, 1, rng);
}

/** The random streams a rule draws from, one per part. */
export interface ImpairmentStreams {
  readonly loss: SeededRandom;
  readonly delay: SeededRandom;
  readonly reorder: SeededRandom;
  readonly duplicate: SeededRandom;
}

/** One installed impairment: a spec bound to its random streams and its queue state. */
export class ImpairmentRule {
  private readonly loss: LossModel | undefined;
  private readonly delayMs: number;
  private readonly jitterMs: number;
  private readonly reorderRate: number;
  private readonly reorderMs: number;
  private readonly duplicateRate: number;
  private readonly kbps: number;
  private readonly queueMs: number;
  private readonly peer: Cidr | undefined;
  private busyUntil = -Infinity;

  constructor(
    readonly spec: ImpairmentSpec,
    private readonly rng: ImpairmentStreams,
  ) {
    this.loss = lossModel(spec.loss, rng.loss);
    this.delayMs = nonNegative('delayMs', spec.delayMs);
    this.jitterMs = nonNegative('jitterMs', spec.jitterMs);
    this.reorderRate = probability('reorder.rate', spec.reorder?.rate);
    this.reorderMs = nonNegative('reorder.delayMs', spec.reorder?.delayMs);
    this.duplicateRate = probability('duplicate', spec.duplicate);
    this.kbps = nonNegative('bandwidthKbps', spec.bandwidthKbps);
    this.queueMs = spec.queueMs === undefined ? 1000 : nonNegative('queueMs', spec.queueMs);
    if (spec.match?.peer !== undefined) {
      this.peer = parseCidr(spec.match.peer);
      if (!this.peer) throw invalid(`match.peer is not an IPv4 address or CIDR: ${spec.match.peer}`);
    }
  }

  /** Whether this rule governs `p` on a link direction (`egress`: leaving the node). */
  matches(p: PacketView, egress: boolean, now: number): boolean {
    const s = this.spec;
    if (s.from !== undefined && now < s.from) return false;
    if (s.until !== undefined && now >= s.until) return false;
    const m = s.match;
    if (!m) return true;
    if (m.proto !== undefined && m.proto !== p.proto) return false;
    const far = egress ? p.dst : p.src;
    const near = egress ? p.src : p.dst;
    if (this.peer) {
      const ip = parseIpv4(far.ip);
      if (ip === undefined || !cidrContains(this.peer, ip)) return false;
    }
    if (m.peerPort !== undefined && m.peerPort !== far.port) return false;
    if (m.localPort !== undefined && m.localPort !== near.port) return false;
    return !m.where || m.where(p);
  }

  /**
   * Decides the fate of one packet. Datagrams can be lost, queued out, delayed, duplicated. A TCP
   * segment is never dropped for loss while retransmissions remain: each "loss" costs it a
   * retransmission timeout instead, doubling each time.
   */
  apply(p: PacketView, now: number, tcp: TcpLossModel): Verdict {
    let delay = 0;
    let retransmits = 0;
    if (this.loss) {
      if (p.proto === 'udp') {
        if (this.loss.lost()) return { drop: 'loss', delayMs: 0, retransmits: 0, duplicate: false };
      } else {
        let rto = tcp.retransmitMs;
        while (this.loss.lost()) {
          if (retransmits >= tcp.maxRetransmits) return { drop: 'loss', delayMs: delay, retransmits, duplicate: false };
          retransmits++;
          delay += rto;
          rto *= 2;
        }
      }
    }
    delay += this.propagation();
    if (this.reorderRate > 0 && this.rng.reorder.next() < this.reorderRate) delay += this.reorderMs;
    if (this.kbps > 0) {
      const wait = Math.max(0, this.busyUntil - now);
      // TCP has its own flow control: its segments wait however long the queue is.
      if (p.proto === 'udp' && wait > this.queueMs) return { drop: 'queue-overflow', delayMs: 0, retransmits, duplicate: false };
      const tx = (wireSize(p) * 8) / this.kbps;
      this.busyUntil = now + wait + tx;
      delay += wait + tx;
    }
    const duplicate = p.proto === 'udp' && this.duplicateRate > 0 && this.rng.duplicate.next() < this.duplicateRate;
    return { delayMs: delay, retransmits, duplicate };
  }

  /** Delay of a copy made by duplication: its own jitter, no further loss or copy. */
  copyDelay(): number {
    return this.propagation();
  }

  private propagation(): number {
    return this.delayMs + (this.jitterMs > 0 ? this.rng.delay.next() * this.jitterMs : 0);
  }
}
