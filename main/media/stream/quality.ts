import type { CodecInfo } from '../codecs';
import { burstRatio, emodelForCodec, mouthToEarDelayMs } from '../emodel';
import type { ReceptionFigures } from '../receiver-stats';

/**
 * What one received stream looked like, in the units network engineers quote. Counts are exact
 * (from the sender's numbering when the packets are our probes); rates are percentages.
 */
export interface StreamFigures {
  readonly expected: number;
  readonly received: number;
  readonly lost: number;
  readonly lossPct: number;
  readonly duplicates: number;
  readonly reordered: number;
  /** Packets that arrived too late (or too early) for the emulated jitter buffer. */
  readonly discarded: number;
  readonly discardPct: number;
  /** RFC 3550 §A.8 from RTP timestamps: what a report block carries (ms). */
  readonly jitterMs: number;
  readonly maxJitterMs: number;
  /** RFC 3550 §A.8 from the probes' send times: the network's part, without our send jitter (ms). */
  readonly networkJitterMs?: number;
  /** The network jitter estimate averaged over the stream (ms). */
  readonly networkJitterMeanMs?: number;
  /** Mean one-way delay from probe send times; meaningful only when both ends share a clock. */
  readonly oneWayDelayMs?: number;
  /** RFC 3611 §4.7.2 burst/gap figures (Gmin 16) and the G.107 burst ratio. */
  readonly burstDensity: number;
  readonly gapDensity: number;
  readonly burstDurationMs: number;
  readonly gapDurationMs: number;
  readonly burstR: number;
  /** The emulated jitter buffer's delay at the end (ms). */
  readonly jitterBufferMs: number;
}

export interface FigureExtras {
  readonly networkJitterMs?: number;
  readonly networkJitterMeanMs?: number;
  /** Packets the sender says it sent after the last one that arrived (from its final SR). */
  readonly tailLost?: number;
}

/** StreamFigures from a ReceiverStats snapshot. */
export function streamFigures(f: ReceptionFigures, extra: FigureExtras = {}): StreamFigures {
  const tail = Math.max(0, extra.tailLost ?? 0);
  const expected = f.expected + tail;
  const lost = f.lost + tail;
  const discarded = f.discardedLate + f.discardedEarly;
  const bg = f.burstGap;
  return {
    expected,
    received: f.received,
    lost,
    lossPct: expected > 0 ? (100 * Math.max(0, lost)) / expected : 0,
    duplicates: f.duplicates,
    reordered: f.reordered,
    discarded,
    discardPct: expected > 0 ? (100 * discarded) / expected : 0,
    jitterMs: f.jitterMs,
    maxJitterMs: f.maxJitterMs,
    ...(extra.networkJitterMs !== undefined ? { networkJitterMs: extra.networkJitterMs } : {}),
    ...(extra.networkJitterMeanMs !== undefined ? { networkJitterMeanMs: extra.networkJitterMeanMs } : {}),
    ...(f.oneWayDelay ? { oneWayDelayMs: f.oneWayDelay.meanMs } : {}),
    burstDensity: bg.burstDensity,
    gapDensity: bg.gapDensity,
    burstDurationMs: bg.burstDurationMs,
    gapDurationMs: bg.gapDurationMs,
    burstR: burstRatio(bg.transitions),
    jitterBufferMs: f.jitterBuffer.nominalMs,
  };
}

export interface QualityInput {
  /** Percent of packets lost on the network. */
  readonly lossPct: number;
  /** Percent discarded by the jitter buffer (they reach the decoder as missing audio too). */
  readonly discardPct: number;
  readonly burstR: number;
  /** Network one-way delay (ms): measured with a shared clock, else half the round trip. */
  readonly networkDelayMs: number;
  readonly jitterBufferMs: number;
}

export interface StreamQuality {
  readonly mos: number;
  readonly r: number;
  /** The E-model's inputs, so a reader can redo the sum. */
  readonly packetLossPct: number;
  readonly burstR: number;
  readonly mouthToEarMs: number;
}

/**
 * ITU-T G.107 MOS of a stream (PROTOCOLS.md §6): Ppl = loss + discards, BurstR from the loss
 * pattern, and a mouth-to-ear delay of network + one packet time + the jitter buffer. The truth
 * side of the lab uses this same function on what the network really did, so a difference in MOS
 * can only come from a difference in the measured inputs.
 */
export function streamQuality(codec: CodecInfo, ptimeMs: number, q: QualityInput): StreamQuality {
  const packetLossPct = Math.min(100, Math.max(0, q.lossPct) + Math.max(0, q.discardPct));
  const mouthToEarMs = mouthToEarDelayMs({ networkMs: Math.max(0, q.networkDelayMs), packetizationMs: ptimeMs, jitterBufferMs: q.jitterBufferMs });
  const e = emodelForCodec(codec, { oneWayDelayMs: mouthToEarMs, packetLossPercent: packetLossPct, burstR: q.burstR });
  return { mos: e.mos, r: e.r, packetLossPct, burstR: q.burstR, mouthToEarMs };
}
