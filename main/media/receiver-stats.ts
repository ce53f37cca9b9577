import { MediapathError } from '../common/errors';
import { BurstGapTracker, type BurstGapMetrics, type PacketFate } from './burst-gap';
import { InterarrivalJitter } from './jitter';
import { DEFAULT_JITTER_BUFFER, JitterBufferEmulator, type JitterBufferConfig, type PlayoutVerdict } from './jitter-buffer';
import type { NtpTime } from './ntp';
import type { ProbePayload } from './probe-payload';
import { clampCumulativeLost, type ReportBlock } from './rtcp';
import { LastSenderReport } from './rtt';
import { SEQ_WINDOW, seqSlot, SequenceTracker, type SequenceOptions, type SequenceVerdict } from './sequence';

export interface ReceiverStatsOptions extends SequenceOptions {
  /** The source's SSRC (what our report blocks are about). */
  readonly ssrc: number;
  /** RTP clock rate of the payload format (Hz). */
  readonly clockRate: number;
  /** Packet duration (ptime, ms), for burst and gap durations. */
  readonly packetDurationMs: number;
  readonly jitterBuffer?: JitterBufferConfig;
  /** RFC 3611 §4.7.2 Gmin (default 16). */
  readonly gmin?: number;
  /**
   * How many sequence numbers behind the highest one a packet's fate is settled and handed to the
   * burst/gap analysis (default 50). A packet arriving later than that counts as discarded late.
   */
  readonly finalizeAfterPackets?: number;
  /**
   * When the packets carry our probe payload, count the packets the sender numbered before the
   * first one that arrived as lost (default true). Only applied when that number is below
   * MAX_DROPOUT, so joining a long-running stream does not invent a huge loss.
   */
  readonly useProbeOrigin?: boolean;
}

export interface RtpArrival {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  /** Arrival time on the receiver's clock (ms). */
  readonly arrivalMs: number;
  readonly payloadBytes?: number;
  /** The decoded probe payload, when the sender is ours. */
  readonly probe?: ProbePayload;
}

export interface ArrivalVerdict {
  readonly kind: SequenceVerdict['kind'];
  readonly extSeq?: number;
  /** The emulated jitter buffer's decision (absent for duplicates and unconfirmed jumps). */
  readonly playout?: PlayoutVerdict;
}

export interface DelaySummary {
  readonly count: number;
  readonly minMs: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

export interface JitterBufferFigures {
  readonly adaptive: boolean;
  readonly nominalMs: number;
  readonly maxMs: number;
  readonly absMaxMs: number;
}

export interface ReceptionFigures {
  /** RFC 3550 §A.3 expected packets (extended highest − base + 1, across restarts). */
  readonly expected: number;
  /** Distinct packets received (duplicates excluded). */
  readonly received: number;
  /** expected − received; within an interval it can be negative when a late packet fills a gap. */
  readonly lost: number;
  /** max(0, lost) / expected, 0–1. */
  readonly lossRate: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly discardedLate: number;
  readonly discardedEarly: number;
  /** (late + early discards) / expected, 0–1 (RFC 3611 §4.7.1 discard rate). */
  readonly discardRate: number;
  /** RFC 3550 §A.8 interarrival jitter at the end of the period (ms) and its largest value. */
  readonly jitterMs: number;
  readonly maxJitterMs: number;
  /** One-way delay from probe send times; only meaningful when both ends share a clock (lab). */
  readonly oneWayDelay?: DelaySummary;
  readonly burstGap: BurstGapMetrics;
  readonly jitterBuffer: JitterBufferFigures;
  readonly payloadBytes: number;
  readonly restarts: number;
}

/** RFC 3611 §4.7.2 bursts of the network's losses alone (see IntervalStats.lossBursts). */
export interface LossBurstFigures {
  readonly burstCount: number;
  readonly burstPackets: number;
  readonly burstLosses: number;
  /** Fraction (0–1) of burst packets lost. */
  readonly burstDensity: number;
}

export interface IntervalStats extends ReceptionFigures {
  readonly startMs: number;
  readonly endMs: number;
  /** RFC 3550 §A.3 fraction lost for the interval, ×256 (0 when nothing was lost). */
  readonly fractionLost: number;
  /**
   * The same burst reading as `burstGap` on what the network lost only: a packet the emulated
   * jitter buffer discarded did arrive, so it counts as received here. A "burst packet loss"
   * target is about the network (as `lost` is); `burstGap` keeps RFC 3611's discards for XR.
   */
  readonly lossBursts: LossBurstFigures;
}

// What the fate window holds per extended sequence number.
const FATE_NONE = 0;
const FATE_PLAYED = 1;
const FATE_LATE = 2;
const FATE_EARLY = 3;
const FATE_CODE: Record<PlayoutVerdict, number> = { played: FATE_PLAYED, late: FATE_LATE, early: FATE_EARLY };

class DelayAcc {
  n = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  add(v: number): void {
    this.n++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  summary(): DelaySummary | undefined {
    return this.n === 0 ? undefined : { count: this.n, minMs: this.min, meanMs: this.sum / this.n, maxMs: this.max };
  }
}

class Counters {
  duplicates = 0;
  reordered = 0;
  late = 0;
  early = 0;
  bytes = 0;
  restarts = 0;
  maxJitterMs = 0;
  delay = new DelayAcc();
}

/**
 * Everything a receiver measures about one RTP source: RFC 3550 §A.1 sequence validation,
 * §A.3 loss (cumulative, per interval, and per RTCP report), §A.8 jitter, duplicates and
 * reordering, an emulated jitter buffer's discards, RFC 3611 §4.7.2 burst/gap metrics, one-way
 * delay from probe payloads, and the LSR/DLSR echo for the sender's round-trip time.
 * Sans-IO: the caller passes arrival times and asks for figures; nothing here reads a clock.
 */
export class ReceiverStats {
  readonly ssrc: number;
  private readonly seq: SequenceTracker;
  private readonly jitter: InterarrivalJitter;
  private readonly jb: JitterBufferEmulator;
  private readonly burstTotal: BurstGapTracker;
  private readonly burstInterval: BurstGapTracker;
  private readonly lossBurstInterval: BurstGapTracker;
  private readonly lastSr = new LastSenderReport();
  private readonly horizon: number;
  private readonly useProbeOrigin: boolean;
  private readonly maxDropout: number;

  // fate window over extended sequence numbers, settled in order from nextFinal
  private readonly fates = new Uint8Array(SEQ_WINDOW);
  private windowMax = 0;
  private nextFinal = 0;
  private pending: PlayoutVerdict[] = [];

  private retiredExpected = 0;
  private retiredReceived = 0;
  // Packets the source numbered from its base, as its sender told us (endsAfter): announced, and
  // counted since the last flush (0 when unknown).
  private pendingEnd = 0;
  private declaredExpected = 0;
  private total = new Counters();
  private interval = new Counters();
  private intervalExpectedPrior = 0;
  private intervalReceivedPrior = 0;
  private rtcpExpectedPrior = 0;
  private rtcpReceivedPrior = 0;
  private firstArrivalMs: number | undefined;
  private intervalStartMs: number | undefined;

  constructor(opts: ReceiverStatsOptions) {
    if (!(opts.clockRate > 0) || !(opts.packetDurationMs > 0)) {
      throw new MediapathError('INVALID_ARGUMENT', `receiver stats: clock rate ${opts.clockRate}, ptime ${opts.packetDurationMs}`, { layer: 'media' });
    }
    this.ssrc = opts.ssrc;
    this.seq = new SequenceTracker(opts);
    this.maxDropout = opts.maxDropout ?? 3000;
    this.jitter = new InterarrivalJitter(opts.clockRate);
    this.jb = new JitterBufferEmulator(opts.jitterBuffer ?? DEFAULT_JITTER_BUFFER, opts.clockRate);
    this.burstTotal = new BurstGapTracker(opts.packetDurationMs, opts.gmin ?? 16);
    this.burstInterval = new BurstGapTracker(opts.packetDurationMs, opts.gmin ?? 16);
    this.lossBurstInterval = new BurstGapTracker(opts.packetDurationMs, opts.gmin ?? 16);
    this.horizon = Math.max(1, Math.min(opts.finalizeAfterPackets ?? 50, SEQ_WINDOW - this.maxDropout - 1));
    this.useProbeOrigin = opts.useProbeOrigin ?? true;
  }

  /** True once the source has passed probation (RFC 3550 §A.1). */
  get valid(): boolean {
    return this.seq.valid;
  }

  onRtp(p: RtpArrival): ArrivalVerdict {
    const expectedBefore = this.seq.expected;
    const receivedBefore = this.seq.received;
    const v = this.seq.update(p.sequenceNumber);
    if (v.kind === 'duplicate') {
      this.total.duplicates++;
      this.interval.duplicates++;
      return { kind: v.kind, extSeq: v.extSeq };
    }
    if (v.kind === 'jump') return { kind: v.kind };

    if (this.firstArrivalMs === undefined) this.firstArrivalMs = p.arrivalMs;
    if (v.kind === 'restarted') {
      // A.1 starts counting afresh; keep what the old numbering accounted for.
      this.finalizeThrough(this.windowMax);
      this.retiredExpected += expectedBefore;
      this.retiredReceived += receivedBefore;
      this.declaredExpected = 0;
      this.pendingEnd = 0;
      this.total.restarts++;
      this.interval.restarts++;
      this.jitter.reset();
      this.jb.reset();
      this.fates.fill(FATE_NONE);
      this.windowMax = v.extSeq;
      this.nextFinal = v.extSeq;
    }

    let playout = this.jb.offer(p.timestamp, p.arrivalMs);
    this.jitter.update(p.arrivalMs, p.timestamp);
    const jms = this.jitter.ms;
    if (jms > this.total.maxJitterMs) this.total.maxJitterMs = jms;
    if (jms > this.interval.maxJitterMs) this.interval.maxJitterMs = jms;
    if (p.payloadBytes !== undefined) {
      this.total.bytes += p.payloadBytes;
      this.interval.bytes += p.payloadBytes;
    }
    if (p.probe) {
      const owd = p.arrivalMs - p.probe.sendTimeUs / 1000;
      this.total.delay.add(owd);
      this.interval.delay.add(owd);
    }
    if (v.kind === 'probation') {
      if (v.run === 1) this.pending = [];
      this.pending.push(playout);
      return { kind: v.kind, playout };
    }

    if (v.kind === 'accepted' && v.validated > 0) {
      this.fates.fill(FATE_NONE);
      // The probation packets are counted now (see sequence.ts), with the verdicts they got.
      const earlier = v.validated > 1 ? this.pending.slice(-(v.validated - 1)) : [];
      const run = [...earlier, playout];
      this.pending = [];
      const firstOfRun = v.extSeq - run.length + 1;
      run.forEach((verdict, i) => this.setFate(firstOfRun + i, verdict));
      if (this.useProbeOrigin && p.probe && p.probe.extSeq >= v.validated - 1 && p.probe.extSeq < this.maxDropout) {
        this.seq.lowerBase(v.extSeq - p.probe.extSeq);
      }
      this.windowMax = v.extSeq;
      this.nextFinal = this.seq.baseSeq;
    } else {
      const ext = v.extSeq;
      if (ext < this.nextFinal) {
        // Its number was already settled as lost: it could not have been played any more.
        playout = 'late';
        this.countDiscard('late');
      } else {
        if (ext > this.windowMax) {
          this.clearFates(this.windowMax + 1, ext);
          this.windowMax = ext;
        }
        this.setFate(ext, playout);
      }
      if (v.kind === 'accepted' && v.order === 'reordered') {
        this.total.reordered++;
        this.interval.reordered++;
      }
    }
    this.finalizeThrough(this.windowMax - this.horizon);
    return { kind: v.kind, extSeq: v.extSeq, playout };
  }

  /** Records an SR from this source for the LSR/DLSR of our next report block. */
  onSenderReport(ntp: NtpTime, arrivalMs: number): void {
    this.lastSr.onSenderReport(ntp, arrivalMs);
  }

  /**
   * The report block for our next SR/RR (RFC 3550 §6.4.1), advancing the §A.3 report interval.
   * Undefined while the source is on probation (only valid sources are reported).
   */
  reportBlock(nowMs: number): ReportBlock | undefined {
    if (!this.seq.valid) return undefined;
    const expected = this.expectedTotal();
    const received = this.receivedTotal();
    const fractionLost = fraction256(expected - this.rtcpExpectedPrior, received - this.rtcpReceivedPrior);
    this.rtcpExpectedPrior = expected;
    this.rtcpReceivedPrior = received;
    const { lsr, dlsr } = this.lastSr.fields(nowMs);
    return {
      ssrc: this.ssrc,
      fractionLost,
      cumulativeLost: clampCumulativeLost(expected - received),
      extendedHighestSeq: this.seq.maxExtSeq >>> 0,
      jitter: Math.min(0xffffffff, Math.floor(this.jitter.timestampUnits)),
      lsr,
      dlsr,
    };
  }

  /** Figures since the previous call (or the first packet), then starts a new interval. */
  snapshotInterval(nowMs: number): IntervalStats {
    const expected = this.expectedTotal() - this.intervalExpectedPrior;
    const received = this.receivedTotal() - this.intervalReceivedPrior;
    const c = this.interval;
    const startMs = this.intervalStartMs ?? this.firstArrivalMs ?? nowMs;
    const stats: IntervalStats = {
      startMs,
      endMs: nowMs,
      fractionLost: fraction256(expected, received),
      ...this.figures(expected, received, c, this.burstInterval.metrics(), this.jb.takeIntervalMaxDelayMs()),
      lossBursts: lossBurstFigures(this.lossBurstInterval.metrics()),
    };
    this.intervalExpectedPrior += expected;
    this.intervalReceivedPrior += received;
    this.interval = new Counters();
    this.interval.maxJitterMs = this.jitter.ms;
    this.burstInterval.reset();
    this.lossBurstInterval.reset();
    this.intervalStartMs = nowMs;
    return stats;
  }

  /** Figures since the first packet. */
  totals(): ReceptionFigures {
    return this.figures(this.expectedTotal(), this.receivedTotal(), this.total, this.burstTotal.metrics(), this.jb.maxDelayMs);
  }

  /**
   * The source numbered `count` packets from its base in all (its sender said where it ended: a
   * path epoch whose successor began, a final SR count). The ones after the highest arrival are
   * counted at the next `flush()` — expected, hence lost, and one run of losses in the RFC 3611
   * §4.7.2 figures — so stragglers still on their way until then are received, not discarded.
   */
  endsAfter(count: number): void {
    if (!this.seq.valid || !Number.isFinite(count)) return;
    if (count > this.pendingEnd) this.pendingEnd = count;
  }

  /** Settles every pending packet (end of stream): those still missing count as lost. */
  flush(): void {
    if (!this.seq.valid) return;
    this.finalizeThrough(this.windowMax);
    if (this.pendingEnd <= this.declaredExpected) return;
    this.declaredExpected = this.pendingEnd;
    // The declared end beyond the last arrival: a run of losses (a burst when two or more).
    const endExt = this.seq.baseSeq + this.declaredExpected - 1;
    for (; this.nextFinal <= endExt; this.nextFinal++) {
      this.burstTotal.push('lost');
      this.burstInterval.push('lost');
      this.lossBurstInterval.push('lost');
    }
    if (endExt > this.windowMax) this.windowMax = endExt;
  }

  private figures(expected: number, received: number, c: Counters, burstGap: BurstGapMetrics, jbMax: number): ReceptionFigures {
    const lost = expected - received;
    const delay = c.delay.summary();
    return {
      expected,
      received,
      lost,
      lossRate: expected > 0 ? Math.max(0, lost) / expected : 0,
      duplicates: c.duplicates,
      reordered: c.reordered,
      discardedLate: c.late,
      discardedEarly: c.early,
      discardRate: expected > 0 ? (c.late + c.early) / expected : 0,
      jitterMs: this.jitter.ms,
      maxJitterMs: c.maxJitterMs,
      ...(delay ? { oneWayDelay: delay } : {}),
      burstGap,
      jitterBuffer: { adaptive: this.jb.adaptive, nominalMs: this.jb.nominalDelayMs, maxMs: jbMax, absMaxMs: this.jb.absMaxDelayMs },
      payloadBytes: c.bytes,
      restarts: c.restarts,
    };
  }

  private expectedTotal(): number {
    return this.retiredExpected + Math.max(this.seq.expected, this.declaredExpected);
  }

  private receivedTotal(): number {
    return this.retiredReceived + this.seq.received;
  }

  private slot(ext: number): number {
    return seqSlot(ext);
  }

  private setFate(ext: number, verdict: PlayoutVerdict): void {
    this.fates[this.slot(ext)] = FATE_CODE[verdict];
    if (verdict !== 'played') this.countDiscard(verdict);
  }

  private countDiscard(kind: 'late' | 'early'): void {
    if (kind === 'early') {
      this.total.early++;
      this.interval.early++;
    } else {
      this.total.late++;
      this.interval.late++;
    }
  }

  private clearFates(fromExt: number, toExt: number): void {
    if (toExt - fromExt + 1 >= SEQ_WINDOW) {
      this.fates.fill(FATE_NONE);
      return;
    }
    for (let e = fromExt; e <= toExt; e++) this.fates[this.slot(e)] = FATE_NONE;
  }

  private finalizeThrough(ext: number): void {
    while (this.nextFinal <= ext) {
      const f = this.fates[this.slot(this.nextFinal)];
      const fate: PacketFate = f === FATE_PLAYED ? 'received' : f === FATE_NONE ? 'lost' : 'discarded';
      this.burstTotal.push(fate);
      this.burstInterval.push(fate);
      this.lossBurstInterval.push(fate === 'lost' ? 'lost' : 'received');
      this.nextFinal++;
    }
  }
}

export function lossBurstFigures(m: BurstGapMetrics): LossBurstFigures {
  return { burstCount: m.burstCount, burstPackets: m.burstPackets, burstLosses: m.burstLosses, burstDensity: m.burstDensity };
}

/** RFC 3550 §A.3: (lost << 8) / expected for the interval, 0 when nothing (or less) was lost. */
function fraction256(expected: number, received: number): number {
  const lost = expected - received;
  if (expected <= 0 || lost <= 0) return 0;
  return Math.min(255, Math.floor((lost * 256) / expected));
}
