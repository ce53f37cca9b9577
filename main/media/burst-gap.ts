import { MediapathError } from '../common/errors';

/** What happened to one packet, in sequence order, once it can no longer arrive in time. */
export type PacketFate = 'received' | 'lost' | 'discarded';

/** Counts of consecutive-packet transitions (loss = lost or discarded), for the G.107 BurstR. */
export interface LossTransitions {
  readonly receivedToReceived: number;
  readonly receivedToLost: number;
  readonly lostToReceived: number;
  readonly lostToLost: number;
}

export interface BurstGapMetrics {
  readonly packets: number;
  readonly lost: number;
  readonly discarded: number;
  readonly burstCount: number;
  /** Packets inside bursts, from each burst's first loss to its last. */
  readonly burstPackets: number;
  /** Lost or discarded packets inside bursts. */
  readonly burstLosses: number;
  readonly gapCount: number;
  readonly gapPackets: number;
  readonly gapLosses: number;
  /** Fraction (0–1) of burst packets lost or discarded (RFC 3611 §4.7.2 burst density / 256). */
  readonly burstDensity: number;
  /** Fraction (0–1) of gap packets lost or discarded. */
  readonly gapDensity: number;
  /** Mean burst and gap duration in ms (0 when there is none). */
  readonly burstDurationMs: number;
  readonly gapDurationMs: number;
  readonly transitions: LossTransitions;
}

/**
 * RFC 3611 §4.7.2 burst and gap metrics, by the definition rather than by the approximating
 * counters of the RFC's appendix code: a loss (lost or discarded packet) with at least Gmin
 * received packets on both sides is a gap loss; losses closer together than that chain into a
 * burst running from its first loss to its last. A burst therefore holds at least two losses.
 * As §4.7.2 asks, the session counts as preceded by Gmin received packets, and a report as
 * followed by Gmin received packets (so `metrics()` closes any open burst tentatively).
 *
 * Durations are packet counts × the packet duration (all packets of a stream have the same ptime
 * here, which is what §4.7.2's timestamp difference reduces to).
 */
export class BurstGapTracker {
  readonly gmin: number;
  private packets = 0;
  private lost = 0;
  private discarded = 0;
  private bursts = 0;
  private burstPackets = 0;
  private burstLosses = 0;
  private firstBurstStart = -1;
  private lastBurstEnd = -1;
  // the open group of losses that may yet become a burst
  private groupOpen = false;
  private groupStart = 0;
  private groupLastLoss = 0;
  private groupLosses = 0;
  private run: number;
  // transitions for BurstR
  private prevLoss: boolean | undefined;
  private rr = 0;
  private rl = 0;
  private lr = 0;
  private ll = 0;

  constructor(
    readonly packetDurationMs: number,
    gmin = 16,
  ) {
    if (!Number.isInteger(gmin) || gmin < 1 || gmin > 255) {
      throw new MediapathError('INVALID_ARGUMENT', `Gmin ${gmin} outside 1–255`, { layer: 'media' });
    }
    this.gmin = gmin;
    this.run = gmin;
  }

  push(fate: PacketFate): void {
    const i = this.packets++;
    const loss = fate !== 'received';
    if (this.prevLoss !== undefined) {
      if (this.prevLoss) {
        if (loss) this.ll++;
        else this.lr++;
      } else if (loss) this.rl++;
      else this.rr++;
    }
    this.prevLoss = loss;
    if (!loss) {
      this.run++;
      if (this.groupOpen && this.run >= this.gmin) this.closeGroup();
      return;
    }
    if (fate === 'lost') this.lost++;
    else this.discarded++;
    if (this.groupOpen) {
      this.groupLastLoss = i;
      this.groupLosses++;
    } else {
      this.groupOpen = true;
      this.groupStart = i;
      this.groupLastLoss = i;
      this.groupLosses = 1;
    }
    this.run = 0;
  }

  private closeGroup(): void {
    this.groupOpen = false;
    if (this.groupLosses < 2) return;
    this.bursts++;
    this.burstPackets += this.groupLastLoss - this.groupStart + 1;
    this.burstLosses += this.groupLosses;
    if (this.firstBurstStart < 0) this.firstBurstStart = this.groupStart;
    this.lastBurstEnd = this.groupLastLoss;
  }

  /** Figures since the start (or the last reset), as if Gmin received packets followed now. */
  metrics(): BurstGapMetrics {
    let bursts = this.bursts;
    let burstPackets = this.burstPackets;
    let burstLosses = this.burstLosses;
    let firstStart = this.firstBurstStart;
    let lastEnd = this.lastBurstEnd;
    if (this.groupOpen && this.groupLosses >= 2) {
      bursts++;
      burstPackets += this.groupLastLoss - this.groupStart + 1;
      burstLosses += this.groupLosses;
      if (firstStart < 0) firstStart = this.groupStart;
      lastEnd = this.groupLastLoss;
    }
    const losses = this.lost + this.discarded;
    const gapPackets = this.packets - burstPackets;
    const gapLosses = losses - burstLosses;
    // Bursts are separated by at least Gmin received packets, so every gap between two bursts is
    // non-empty; the leading and trailing gaps exist only if packets lie outside the bursts.
    let gapCount: number;
    if (bursts === 0) gapCount = this.packets > 0 ? 1 : 0;
    else gapCount = bursts - 1 + (firstStart > 0 ? 1 : 0) + (lastEnd < this.packets - 1 ? 1 : 0);
    return {
      packets: this.packets,
      lost: this.lost,
      discarded: this.discarded,
      burstCount: bursts,
      burstPackets,
      burstLosses,
      gapCount,
      gapPackets,
      gapLosses,
      burstDensity: burstPackets > 0 ? burstLosses / burstPackets : 0,
      gapDensity: gapPackets > 0 ? gapLosses / gapPackets : 0,
      burstDurationMs: bursts > 0 ? (burstPackets * this.packetDurationMs) / bursts : 0,
      gapDurationMs: gapCount > 0 ? (gapPackets * this.packetDurationMs) / gapCount : 0,
      transitions: { receivedToReceived: this.rr, receivedToLost: this.rl, lostToReceived: this.lr, lostToLost: this.ll },
    };
  }

  reset(): void {
    this.packets = 0;
    this.lost = 0;
    this.discarded = 0;
    this.bursts = 0;
    this.burstPackets = 0;
    this.burstLosses = 0;
    this.firstBurstStart = -1;
    this.lastBurstEnd = -1;
    this.groupOpen = false;
    this.groupLosses = 0;
    this.run = this.gmin;
    this.prevLoss = undefined;
    this.rr = this.rl = this.lr = this.ll = 0;
  }
}
