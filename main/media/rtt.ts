import { compactToMs, msToCompact, ntpMiddle32, type NtpTime } from './ntp';

/**
 * Round trip from a report block (RFC 3550 §6.4.1): when a report about our stream arrives at
 * time A, rtt = A − LSR − DLSR, all in 1/65536 s "compact NTP" units, modulo 2^32.
 * Undefined when the peer has not seen an SR from us yet (LSR = 0) or when the result is
 * negative (a peer whose DLSR overstates its hold time).
 */
export function rttFromReportBlock(block: { readonly lsr: number; readonly dlsr: number }, arrival: NtpTime): number | undefined {
  if (block.lsr === 0) return undefined;
  const a = ntpMiddle32(arrival);
  const v = (a - block.lsr - block.dlsr) >>> 0;
  // Anything in the upper half of the 32-bit circle is a negative difference.
  if (v >= 0x80000000) return undefined;
  return compactToMs(v);
}

/**
 * The receiving half of the LSR/DLSR exchange: remembers the last SR from a source (its compact
 * NTP time and when it arrived) so that our report block can echo LSR and state DLSR.
 */
export class LastSenderReport {
  private lsr = 0;
  private arrivedAtMs: number | undefined;

  /** `arrivalMs` on any monotonic clock; the same clock must be used for `fields`. */
  onSenderReport(ntp: NtpTime, arrivalMs: number): void {
    this.lsr = ntpMiddle32(ntp);
    this.arrivedAtMs = arrivalMs;
  }

  /** LSR and DLSR for a report block sent at `nowMs` (both 0 before any SR, RFC 3550 §6.4.1). */
  fields(nowMs: number): { lsr: number; dlsr: number } {
    if (this.arrivedAtMs === undefined) return { lsr: 0, dlsr: 0 };
    return { lsr: this.lsr, dlsr: msToCompact(nowMs - this.arrivedAtMs) };
  }
}

export interface RttSummary {
  readonly count: number;
  readonly lastMs?: number;
  readonly minMs?: number;
  readonly meanMs?: number;
  readonly maxMs?: number;
}

/** Collects RTT samples from report blocks about our SSRC, per interval and in total. */
export class RttTracker {
  private all = new Acc();
  private interval = new Acc();

  /** `arrival` is the NTP time of the packet's arrival on the clock our SRs were stamped with. */
  onReportBlock(block: { readonly lsr: number; readonly dlsr: number }, arrival: NtpTime): number | undefined {
    const rtt = rttFromReportBlock(block, arrival);
    if (rtt !== undefined) {
      this.all.add(rtt);
      this.interval.add(rtt);
    }
    return rtt;
  }

  /** Samples since the previous call; resets the interval. */
  snapshotInterval(): RttSummary {
    const s = this.interval.summary();
    this.interval = new Acc();
    return s;
  }

  totals(): RttSummary {
    return this.all.summary();
  }
}

class Acc {
  private n = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private last = 0;

  add(v: number): void {
    this.n++;
    this.sum += v;
    this.last = v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  summary(): RttSummary {
    if (this.n === 0) return { count: 0 };
    return { count: this.n, lastMs: this.last, minMs: this.min, meanMs: this.sum / this.n, maxMs: this.max };
  }
}
