import type { LossTransitions } from './burst-gap';
import type { CodecInfo } from './codecs';

/**
 * ITU-T G.107 E-model, reduced to the terms a network path changes (PROTOCOLS.md §6): the
 * default basic signal-to-noise ratio with the simultaneous impairment at its defaults
 * (R0 − Is = 93.2), the delay impairment Id in the simplified form widely used for VoIP
 * monitoring, and the effective equipment impairment Ie,eff from packet loss.
 */
export const R_DEFAULT = 93.2;

/** Simplified Id: 0.024·d + 0.11·(d − 177.3)·H(d − 177.3), d = one-way mouth-to-ear delay (ms). */
export function delayImpairment(oneWayDelayMs: number): number {
  const d = Math.max(0, oneWayDelayMs);
  return 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
}

/**
 * G.107 §3.6 effective equipment impairment: Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl/BurstR + Bpl),
 * with Ppl the packet-loss probability in percent.
 */
export function effectiveEquipmentImpairment(ie: number, bpl: number, packetLossPercent: number, burstR = 1): number {
  const ppl = Math.min(100, Math.max(0, packetLossPercent));
  if (ppl === 0) return ie;
  return ie + ((95 - ie) * ppl) / (ppl / burstR + bpl);
}

/**
 * G.107 BurstR for a two-state Markov loss model: 1 / (p + q), where p is the probability that a
 * packet is lost after a received one and q that one is received after a lost one. Random loss
 * gives p + q = 1, so BurstR = 1; bursty loss gives BurstR > 1. Loss here means lost or discarded
 * (both reach the decoder as a gap). Without a loss (or without a recovery) the pattern says
 * nothing about burstiness, and 1 is returned.
 */
export function burstRatio(t: LossTransitions): number {
  const fromReceived = t.receivedToReceived + t.receivedToLost;
  const fromLost = t.lostToReceived + t.lostToLost;
  if (fromReceived === 0 || fromLost === 0) return 1;
  const p = t.receivedToLost / fromReceived;
  const q = t.lostToReceived / fromLost;
  if (p + q === 0) return 1;
  return 1 / (p + q);
}

/**
 * G.107 Annex B: MOS from R: 1 below 0, 4.5 above 100, else 1 + 0.035R + R(R − 60)(100 − R)·7·10⁻⁶.
 * The polynomial dips just under 1 for R below about 6.5; the result is held at 1 there.
 */
export function mosFromR(r: number): number {
  if (!(r > 0)) return 1;
  if (r >= 100) return 4.5;
  return Math.max(1, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6);
}

/** The inverse of `mosFromR` (bisection on its increasing branch); MOS ≤ 1 gives 0, ≥ 4.5 gives 100. */
export function rFromMos(mos: number): number {
  if (!(mos > 1)) return 0;
  if (mos >= 4.5) return 100;
  // mosFromR rises strictly from R ≈ 3.22 (where the Annex B polynomial has its minimum) to 100.
  let lo = 3.22;
  let hi = 100;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (mosFromR(mid) < mos) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface EModelInput {
  /** One-way mouth-to-ear delay (ms). */
  readonly oneWayDelayMs: number;
  /** Packet loss (lost and discarded) in percent, 0–100. */
  readonly packetLossPercent: number;
  readonly burstR?: number;
  readonly ie: number;
  readonly bpl: number;
  /** G.107 advantage factor A (0 for wired), added to R. */
  readonly advantage?: number;
}

export interface EModelResult {
  readonly r: number;
  readonly mos: number;
  readonly id: number;
  readonly ieEff: number;
}

export function emodel(input: EModelInput): EModelResult {
  const id = delayImpairment(input.oneWayDelayMs);
  const ieEff = effectiveEquipmentImpairment(input.ie, input.bpl, input.packetLossPercent, input.burstR ?? 1);
  const r = R_DEFAULT - id - ieEff + (input.advantage ?? 0);
  return { r, mos: mosFromR(r), id, ieEff };
}

export interface CodecEModelOptions {
  readonly oneWayDelayMs: number;
  readonly packetLossPercent: number;
  readonly burstR?: number;
  /** Whether the (imagined) decoder conceals loss: picks Bpl with or without PLC. Default true. */
  readonly plc?: boolean;
  /** Override the table's Ie/Bpl (the table marks some values as assumed). */
  readonly ie?: number;
  readonly bpl?: number;
  readonly advantage?: number;
}

/** The E-model with a codec's Ie and Bpl from the table in codecs.ts. */
export function emodelForCodec(codec: CodecInfo, o: CodecEModelOptions): EModelResult {
  const f = codec.emodel;
  const tableBpl = o.plc === false ? (f.bplWithoutPlc ?? f.bplWithPlc) : f.bplWithPlc;
  return emodel({
    oneWayDelayMs: o.oneWayDelayMs,
    packetLossPercent: o.packetLossPercent,
    burstR: o.burstR ?? 1,
    ie: o.ie ?? f.ie,
    bpl: o.bpl ?? tableBpl,
    advantage: o.advantage ?? 0,
  });
}

/**
 * Mouth-to-ear delay from its parts, for when only the network delay was measured: the network
 * one way (measured, or RTT/2), plus packetization (one frame), plus the jitter buffer's delay,
 * plus any codec look-ahead.
 */
export function mouthToEarDelayMs(parts: {
  readonly networkMs: number;
  readonly packetizationMs?: number;
  readonly jitterBufferMs?: number;
  readonly codecLookaheadMs?: number;
}): number {
  return parts.networkMs + (parts.packetizationMs ?? 0) + (parts.jitterBufferMs ?? 0) + (parts.codecLookaheadMs ?? 0);
}
