import { emodel, type EModelResult } from './emodel';
import type { EModelCodecFactors } from './codecs';
import type { ReceptionFigures } from './receiver-stats';
import { fractionToXr, mosToXr, rFactorToXr, XR_UNAVAILABLE, type VoipMetrics, type XrPlc } from './rtcp-xr';

export interface VoipMetricsInput {
  /** The source the block is about. */
  readonly ssrc: number;
  /** Cumulative figures (RFC 3611 §4.7 rates and burst metrics run from the start of reception). */
  readonly figures: ReceptionFigures;
  readonly gmin: number;
  /** Latest round trip (ms), from LSR/DLSR; 0 when not yet measured. */
  readonly roundTripMs?: number;
  /** One-way mouth-to-ear delay used by the E-model (ms). */
  readonly oneWayDelayMs: number;
  /** Delay inside this end system (jitter buffer, packetization), RFC 3611 §4.7.3 (ms). */
  readonly endSystemDelayMs?: number;
  readonly codec: EModelCodecFactors;
  readonly plc?: boolean;
  readonly burstR?: number;
}

export interface VoipMetricsResult {
  readonly block: VoipMetrics;
  /** The E-model with delay (conversational) and without it (listening), as computed. */
  readonly conversational: EModelResult;
  readonly listening: EModelResult;
}

function u16ms(v: number | undefined): number {
  if (v === undefined || !Number.isFinite(v) || v <= 0) return 0;
  return Math.min(0xffff, Math.round(v));
}

/**
 * Fills an RFC 3611 §4.7 VoIP Metrics block from a receiver's cumulative figures. Packet loss for
 * the E-model is loss plus discards (both reach the decoder as missing audio). MOS-CQ includes the
 * delay impairment, MOS-LQ leaves it out (RFC 3611 §4.7.5 listening vs conversational quality).
 * Signal, noise and echo levels are unavailable (127): the payload is synthetic, not audio.
 */
export function buildVoipMetrics(input: VoipMetricsInput): VoipMetricsResult {
  const f = input.figures;
  const lossPercent = 100 * Math.min(1, f.lossRate + f.discardRate);
  const plc = input.plc ?? true;
  const bpl = plc ? input.codec.bplWithPlc : (input.codec.bplWithoutPlc ?? input.codec.bplWithPlc);
  const common = { packetLossPercent: lossPercent, burstR: input.burstR ?? 1, ie: input.codec.ie, bpl };
  const conversational = emodel({ ...common, oneWayDelayMs: input.oneWayDelayMs });
  const listening = emodel({ ...common, oneWayDelayMs: 0 });
  const plcField: XrPlc = plc ? 'standard' : 'disabled';
  const bg = f.burstGap;
  return {
    conversational,
    listening,
    block: {
      ssrc: input.ssrc,
      lossRate: fractionToXr(f.lossRate),
      discardRate: fractionToXr(f.discardRate),
      burstDensity: fractionToXr(bg.burstDensity),
      gapDensity: fractionToXr(bg.gapDensity),
      burstDurationMs: u16ms(bg.burstDurationMs),
      gapDurationMs: u16ms(bg.gapDurationMs),
      roundTripDelayMs: u16ms(input.roundTripMs),
      endSystemDelayMs: u16ms(input.endSystemDelayMs),
      signalLevel: XR_UNAVAILABLE,
      noiseLevel: XR_UNAVAILABLE,
      rerl: XR_UNAVAILABLE,
      gmin: input.gmin,
      rFactor: rFactorToXr(conversational.r),
      extRFactor: XR_UNAVAILABLE,
      mosLq: mosToXr(listening.mos),
      mosCq: mosToXr(conversational.mos),
      rxConfig: { plc: plcField, jitterBuffer: f.jitterBuffer.adaptive ? 'adaptive' : 'non-adaptive', jbRate: 0 },
      jbNominalMs: u16ms(f.jitterBuffer.nominalMs),
      jbMaxMs: u16ms(f.jitterBuffer.maxMs),
      jbAbsMaxMs: u16ms(f.jitterBuffer.absMaxMs),
    },
  };
}
