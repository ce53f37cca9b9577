import { BurstGapTracker } from '../burst-gap';
import type { JitterBufferConfig } from '../jitter-buffer';
import type { NtpTime } from '../ntp';
import { decodeProbePayload, type ProbePayload } from '../probe-payload';
import { lossBurstFigures, ReceiverStats, type ArrivalVerdict, type IntervalStats } from '../receiver-stats';
import type { ReportBlock } from '../rtcp';
import type { RtpPacket } from '../rtp';
import { epochStart, readProbeEpoch, unwrapEpoch } from './probe-epoch';
import { streamFigures, type StreamFigures } from './quality';
import { TransitJitter } from './transit-jitter';

export interface StreamReceiverOptions {
  /** RTP clock rate of the negotiated codec. */
  readonly clockRate: number;
  readonly ptimeMs: number;
  readonly jitterBuffer?: JitterBufferConfig;
  /** RFC 3611 §4.7.2 Gmin (default 16). */
  readonly gmin?: number;
  /** Sender path epochs tracked at most (default 256); later ones fold into the last. */
  readonly maxEpochs?: number;
}

/** The packets of one sender path epoch, as this receiver got them. */
export interface ReceiveEpochReport {
  /** The sender's epoch number; for `unseen` entries, the first of the epochs it covers. */
  readonly epoch: number;
  /** Epochs of which no packet arrived at all: their packets are all lost, counted here. */
  readonly unseen: boolean;
  /** Epochs this entry covers (more than 1 only for unseen runs). */
  readonly epochs: number;
  /** The sender's numbering (probe extended sequence) of the first and last packet of the epoch. */
  readonly firstExtSeq: number;
  readonly lastExtSeq: number;
  /** False when the epoch's end could not be learnt (its last packets may be missing from `expected`). */
  readonly endKnown: boolean;
  readonly firstArrivalMs?: number;
  readonly lastArrivalMs?: number;
  readonly figures: StreamFigures;
}

/**
 * What one sender path epoch added in one interval: the epoch's own ReceiverStats interval (order,
 * jitter and bursts judged inside the epoch). The packets at an epoch's end that never came (a
 * path cut before the switch) are known only once the next epoch's first packet, or the sender's
 * final count, says where it ended; they are counted in the first interval at least SETTLE_MS
 * after that, so the old path's stragglers still count as received. An `unseen` entry is a run of
 * epochs of which nothing arrived: all its packets lost.
 */
export interface EpochInterval extends IntervalStats {
  /** The sender's epoch number (for `unseen` entries, the first of the run). */
  readonly epoch: number;
  /**
   * The path (ICE pair id) the epoch's first packet arrived on, when the path says: a report can
   * then find our own epoch on that pair even when the two ends numbered their path changes
   * differently.
   */
  readonly via?: string;
  readonly unseen?: true;
  /** Epochs an unseen entry covers. */
  readonly epochs?: number;
}

/** The interval as a whole and split by the sender's path epochs. */
export interface ReceiveIntervalSnapshot {
  /** The whole stream on its own numbering (undefined before the first packet). */
  readonly stream?: IntervalStats;
  /** Only the epochs with something new in the interval, in epoch order. */
  readonly epochs: readonly EpochInterval[];
}

// How long an epoch's last packets may still come after its end became known (the old path's
// stragglers at a path change) before the missing ones are settled as lost in the burst figures.
const SETTLE_MS = 500;

// ReceiverStats lowers its base to the probe's origin only for an origin this close (its maxDropout).
const PROBE_ORIGIN_REACH = 3000;

class EpochReception {
  readonly stats: ReceiverStats;
  readonly net = new TransitJitter();
  firstExtSeq = Infinity;
  maxExtSeq = -1;
  firstArrivalMs = Infinity;
  lastArrivalMs = -Infinity;
  via: string | undefined;
  /** The epoch index ReceiverStats counts from (0 unless the first arrival was far into the epoch). */
  baseIndex = -1;
  /** Packets of the epoch (from index 0), once its end is known. */
  count: number | undefined;
  /** When the missing end of the epoch is to be settled as lost (see StreamReceiver.snapshotIntervals). */
  settleAtMs: number | undefined;

  constructor(
    readonly epoch: number,
    ssrc: number,
    opts: StreamReceiverOptions,
  ) {
    // A fresh tracker per epoch, already past probation (the source is known), whose origin is
    // the epoch's first packet: the probe handed to it carries the index inside the epoch.
    this.stats = new ReceiverStats({
      ssrc,
      clockRate: opts.clockRate,
      packetDurationMs: opts.ptimeMs,
      minSequential: 1,
      ...(opts.jitterBuffer ? { jitterBuffer: opts.jitterBuffer } : {}),
      ...(opts.gmin !== undefined ? { gmin: opts.gmin } : {}),
    });
  }

  /** The sender said the epoch has `count` packets: those after the last arrival are lost now. */
  end(count: number, nowMs: number): void {
    if (this.count !== undefined && count <= this.count) return;
    this.count = count;
    if (this.baseIndex >= 0) this.stats.endsAfter(count - this.baseIndex);
    this.settleAtMs = nowMs + SETTLE_MS;
  }
}

/**
 * The receiving half of a synthetic stream: everything ReceiverStats measures about the one
 * source it locks onto (the first SSRC heard), plus what only our own probe payload allows —
 * jitter without the sender's pacing error, the packets lost after the last arrival (from the
 * sender's final packet count), and the split by the sender's path epochs.
 */
export class StreamReceiver {
  private source: ReceiverStats | undefined;
  private sourceSsrc: number | undefined;
  private readonly net = new TransitJitter();
  private readonly epochs = new Map<number, EpochReception>();
  private lastEpoch: EpochReception | undefined;
  private highestEpoch = 0;
  private maxProbeExt = -1;
  private probes = 0;
  // Runs of epochs of which nothing arrived, learnt since the last interval snapshot.
  private unseenRuns: EpochInterval[] = [];
  private finalCount: number | undefined;
  /** RTP packets of another SSRC than the one locked onto. */
  foreignPackets = 0;

  constructor(private readonly opts: StreamReceiverOptions) {}

  get ssrc(): number | undefined {
    return this.sourceSsrc;
  }

  /** ReceiverStats of the source, once one has been heard. */
  get stats(): ReceiverStats | undefined {
    return this.source;
  }

  /** The sender's final packet count, once its last SR (the one with BYE) arrived. */
  get finalPacketCount(): number | undefined {
    return this.finalCount;
  }

  onRtp(p: RtpPacket, arrivalMs: number, via?: string): ArrivalVerdict | undefined {
    const decoded = decodeProbePayload(p.payload);
    const probe: ProbePayload | undefined = decoded.ok ? decoded.value : undefined;
    if (this.sourceSsrc === undefined) {
      this.sourceSsrc = p.ssrc;
      this.source = new ReceiverStats({
        ssrc: p.ssrc,
        // RFC 3550 §A.1 probation guards against stray packets; a probe payload with its magic
        // is proof enough, and probation would drop (and so count as lost) a packet that arrived.
        ...(probe ? { minSequential: 1 } : {}),
        clockRate: this.opts.clockRate,
        packetDurationMs: this.opts.ptimeMs,
        ...(this.opts.jitterBuffer ? { jitterBuffer: this.opts.jitterBuffer } : {}),
        ...(this.opts.gmin !== undefined ? { gmin: this.opts.gmin } : {}),
      });
    } else if (p.ssrc !== this.sourceSsrc) {
      this.foreignPackets++;
      return undefined;
    }
    const v = this.source!.onRtp({ sequenceNumber: p.sequenceNumber, timestamp: p.timestamp, arrivalMs, payloadBytes: p.payload.length, probe });
    if (!probe || v.kind === 'duplicate' || v.kind === 'jump') return v;
    this.probes++;
    const transit = arrivalMs - probe.sendTimeUs / 1000;
    this.net.update(transit);
    if (probe.extSeq > this.maxProbeExt) this.maxProbeExt = probe.extSeq;
    const tag = readProbeEpoch(p.payload);
    if (tag) this.toEpoch(p, probe, tag.epoch, tag.index, arrivalMs, transit, via);
    return v;
  }

  private toEpoch(p: RtpPacket, probe: ProbePayload, wireEpoch: number, index: number, arrivalMs: number, transit: number, via: string | undefined): void {
    // Nearly every packet belongs to the epoch of the one before it.
    const last = this.lastEpoch;
    const epoch = last && wireEpoch === (last.epoch & 0xff) && this.highestEpoch - last.epoch < 128 ? last.epoch : unwrapEpoch(wireEpoch, this.highestEpoch);
    let e = last && last.epoch === epoch ? last : this.epochs.get(epoch);
    let created = false;
    if (!e) {
      if (this.epochs.size >= (this.opts.maxEpochs ?? 256)) return;
      e = new EpochReception(epoch, p.ssrc, this.opts);
      this.epochs.set(epoch, e);
      if (epoch > this.highestEpoch) this.highestEpoch = epoch;
      created = true;
    }
    this.lastEpoch = e;
    e.via ??= via;
    e.firstExtSeq = Math.min(e.firstExtSeq, epochStart(probe.extSeq, index));
    if (e.baseIndex < 0) e.baseIndex = index < PROBE_ORIGIN_REACH ? 0 : index;
    if (probe.extSeq > e.maxExtSeq) e.maxExtSeq = probe.extSeq;
    if (arrivalMs < e.firstArrivalMs) e.firstArrivalMs = arrivalMs;
    if (arrivalMs > e.lastArrivalMs) e.lastArrivalMs = arrivalMs;
    e.net.update(transit);
    e.stats.onRtp({
      sequenceNumber: p.sequenceNumber,
      timestamp: p.timestamp,
      arrivalMs,
      payloadBytes: p.payload.length,
      probe: { sendTimeUs: probe.sendTimeUs, extSeq: index },
    });
    if (created) this.onEpochSeen(e, arrivalMs);
  }

  /**
   * A new epoch's first packet says where it began, so where the epoch before it ended: that
   * epoch's packets after its last arrival were lost on its path (a path cut before the change).
   * When the epoch before it was never seen, the numbers in between are one unseen run (they
   * cannot be told apart from the earlier epoch's tail). A late first arrival of an older epoch
   * ends it by the next epoch already seen.
   */
  private onEpochSeen(e: EpochReception, arrivalMs: number): void {
    let below: EpochReception | undefined;
    let above: EpochReception | undefined;
    for (const x of this.epochs.values()) {
      if (x.epoch < e.epoch && (!below || x.epoch > below.epoch)) below = x;
      if (x.epoch > e.epoch && (!above || x.epoch < above.epoch)) above = x;
    }
    if (above && above.epoch === e.epoch + 1) e.end(above.firstExtSeq - e.firstExtSeq, arrivalMs);
    if (!below) return;
    if (below.epoch === e.epoch - 1) {
      below.end(e.firstExtSeq - below.firstExtSeq, arrivalMs);
      return;
    }
    const first = below.maxExtSeq + 1;
    const n = e.firstExtSeq - first;
    if (n <= 0) return;
    this.unseenRuns.push({ ...emptyInterval(n, arrivalMs, this.opts), epoch: below.epoch + 1, unseen: true, epochs: e.epoch - below.epoch - 1 });
  }

  /** An SR from the source: for LSR/DLSR, and, when it is the last one (`final`), its packet count. */
  onSenderReport(ssrc: number, ntp: NtpTime, packetCount: number, arrivalMs: number, final: boolean): void {
    if (ssrc !== this.sourceSsrc || !this.source) return;
    this.source.onSenderReport(ntp, arrivalMs);
    if (!final) return;
    this.finalCount = packetCount;
    // The last epoch ends with the stream (the numbers after it, if any, cannot be told from its tail).
    let last: EpochReception | undefined;
    for (const x of this.epochs.values()) if (!last || x.epoch > last.epoch) last = x;
    if (last) last.end(packetCount - last.firstExtSeq, arrivalMs);
  }

  reportBlock(nowMs: number): ReportBlock | undefined {
    return this.source?.reportBlock(nowMs);
  }

  /**
   * The interval's figures. Order is judged inside each sender epoch: at a path change the old
   * path's last packets may land after the new path's first ones, and against the stream's one
   * numbering they would read as reordered although each path delivered in order. Loss stays on
   * the stream's numbering, which the late packets fill in.
   */
  snapshotInterval(nowMs: number): IntervalStats | undefined {
    return this.snapshotIntervals(nowMs).stream;
  }

  /**
   * The interval's figures, whole and per sender epoch (see EpochInterval); starts the next
   * interval of both. The per-epoch entries are what a report attributes to paths: loss learnt in
   * this interval but sent on an earlier path lands in that path's epoch.
   */
  snapshotIntervals(nowMs: number): ReceiveIntervalSnapshot {
    const s = this.source?.snapshotInterval(nowMs);
    const runs = this.unseenRuns;
    this.unseenRuns = [];
    if (!s || (this.epochs.size === 0 && runs.length === 0)) return { ...(s ? { stream: s } : {}), epochs: [] };
    let reordered = 0;
    const epochs: EpochInterval[] = [...runs];
    for (const e of this.epochs.values()) {
      if (e.settleAtMs !== undefined && nowMs >= e.settleAtMs) {
        e.stats.flush();
        e.settleAtMs = undefined;
      }
      const i = e.stats.snapshotInterval(nowMs);
      reordered += i.reordered;
      if (i.expected !== 0 || i.received !== 0 || i.duplicates !== 0) epochs.push({ ...i, epoch: e.epoch, ...(e.via !== undefined ? { via: e.via } : {}) });
    }
    epochs.sort((a, b) => a.epoch - b.epoch);
    return { stream: { ...s, reordered }, epochs };
  }

  /** Settles every packet still pending (end of stream). */
  flush(): void {
    this.source?.flush();
    for (const e of this.epochs.values()) e.stats.flush();
  }

  /** Packets the sender counted after the last one that arrived (0 until its final SR is in). */
  private tailLost(): number {
    if (this.finalCount === undefined || this.probes === 0) return 0;
    return Math.max(0, this.finalCount - (this.maxProbeExt + 1));
  }

  /** Figures since the first packet, or undefined before any. */
  figures(): StreamFigures | undefined {
    if (!this.source) return undefined;
    return streamFigures(this.source.totals(), { ...(this.probes > 0 ? { networkJitterMs: this.net.ms, networkJitterMeanMs: this.net.meanMs } : {}), tailLost: this.tailLost() });
  }

  /**
   * Figures per sender path epoch, with every packet the sender numbered in exactly one entry:
   * an epoch ends where the next one starts; a run of epochs of which nothing arrived is one
   * `unseen` entry; the last epoch ends at the sender's final count when it is known.
   */
  epochReports(): ReceiveEpochReport[] {
    const seen = [...this.epochs.values()].sort((a, b) => a.epoch - b.epoch);
    const out: ReceiveEpochReport[] = [];
    const unseen = (fromEpoch: number, count: number, first: number, last: number): void => {
      if (last < first) return;
      const n = last - first + 1;
      out.push({
        epoch: fromEpoch,
        unseen: true,
        epochs: count,
        firstExtSeq: first,
        lastExtSeq: last,
        endKnown: true,
        figures: emptyFigures(n),
      });
    };
    let prevEnd = -1;
    let prevEpoch = -1;
    seen.forEach((e, i) => {
      if (e.firstExtSeq > prevEnd + 1) unseen(prevEpoch + 1, e.epoch - prevEpoch - 1, prevEnd + 1, e.firstExtSeq - 1);
      const next = seen[i + 1];
      let last: number;
      let endKnown: boolean;
      if (next && next.epoch === e.epoch + 1) {
        last = next.firstExtSeq - 1;
        endKnown = true;
      } else if (!next && this.finalCount !== undefined) {
        last = Math.max(e.maxExtSeq, this.finalCount - 1);
        endKnown = true;
      } else {
        last = e.maxExtSeq;
        endKnown = false;
      }
      const f = e.stats.totals();
      const tail = Math.max(0, last - e.firstExtSeq + 1 - f.expected);
      out.push({
        epoch: e.epoch,
        unseen: false,
        epochs: 1,
        firstExtSeq: e.firstExtSeq,
        lastExtSeq: last,
        endKnown,
        firstArrivalMs: e.firstArrivalMs,
        lastArrivalMs: e.lastArrivalMs,
        figures: streamFigures(f, { networkJitterMs: e.net.ms, networkJitterMeanMs: e.net.meanMs, tailLost: tail }),
      });
      prevEnd = last;
      prevEpoch = e.epoch;
    });
    return out;
  }
}

/** An interval of `lost` packets of which none arrived (an unseen run of epochs). */
function emptyInterval(lost: number, atMs: number, opts: StreamReceiverOptions): IntervalStats {
  // The same RFC 3611 §4.7.2 reading a run of losses gets anywhere else.
  const bursts = new BurstGapTracker(opts.ptimeMs, opts.gmin ?? 16);
  for (let i = 0; i < lost; i++) bursts.push('lost');
  return {
    startMs: atMs,
    endMs: atMs,
    fractionLost: lost > 0 ? 255 : 0,
    expected: lost,
    received: 0,
    lost,
    lossRate: lost > 0 ? 1 : 0,
    duplicates: 0,
    reordered: 0,
    discardedLate: 0,
    discardedEarly: 0,
    discardRate: 0,
    jitterMs: 0,
    maxJitterMs: 0,
    burstGap: bursts.metrics(),
    lossBursts: lossBurstFigures(bursts.metrics()),
    jitterBuffer: { adaptive: false, nominalMs: 0, maxMs: 0, absMaxMs: 0 },
    payloadBytes: 0,
    restarts: 0,
  };
}

function emptyFigures(lost: number): StreamFigures {
  return {
    expected: lost,
    received: 0,
    lost,
    lossPct: lost > 0 ? 100 : 0,
    duplicates: 0,
    reordered: 0,
    discarded: 0,
    discardPct: 0,
    jitterMs: 0,
    maxJitterMs: 0,
    burstDensity: lost > 0 ? 1 : 0,
    gapDensity: 0,
    burstDurationMs: 0,
    gapDurationMs: 0,
    burstR: 1,
    jitterBufferMs: 0,
  };
}
