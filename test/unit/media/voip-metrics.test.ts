import { describe, expect, it } from 'vitest';
import { CODECS } from '../../../main/media/codecs';
import { ReceiverStats } from '../../../main/media/receiver-stats';
import { decodeRtcpCompound, encodeRtcpCompound } from '../../../main/media/rtcp';
import { buildVoipMetrics } from '../../../main/media/voip-metrics';

describe('VoIP Metrics block from receiver figures (RFC 3611 §4.7)', () => {
  it('fills rates, burst metrics, E-model and jitter buffer fields, and encodes', () => {
    const rs = new ReceiverStats({ ssrc: 77, clockRate: 8000, packetDurationMs: 20, jitterBuffer: { mode: 'fixed', delayMs: 40 } });
    // 1,000 packets, every 100th lost: 1 % random loss
    for (let i = 0; i < 1000; i++) if (i % 100 !== 50) rs.onRtp({ sequenceNumber: i, timestamp: 160 * i, arrivalMs: 20 * i + 30 });
    rs.flush();
    const { block, conversational, listening } = buildVoipMetrics({
      ssrc: 77,
      figures: rs.totals(),
      gmin: 16,
      roundTripMs: 60.4,
      oneWayDelayMs: 100,
      endSystemDelayMs: 60,
      codec: CODECS.PCMU.emodel,
    });
    expect(conversational.r).toBeCloseTo(87.16, 2);
    expect(listening.r).toBeCloseTo(93.2 - 95 / 26.1, 6);
    expect(block).toMatchObject({
      ssrc: 77,
      lossRate: 2, // floor(0.01 × 256)
      discardRate: 0,
      burstDensity: 0,
      gapDensity: 2,
      burstDurationMs: 0,
      gapDurationMs: 20_000,
      roundTripDelayMs: 60,
      endSystemDelayMs: 60,
      signalLevel: 127,
      rerl: 127,
      gmin: 16,
      rFactor: 87,
      extRFactor: 127,
      mosLq: 43, // R 89.56 without the delay term → MOS 4.33
      mosCq: 43,
      rxConfig: { plc: 'standard', jitterBuffer: 'non-adaptive', jbRate: 0 },
      jbNominalMs: 40,
      jbMaxMs: 40,
      jbAbsMaxMs: 40,
    });
    const bytes = encodeRtcpCompound([{ type: 'xr', ssrc: 1, blocks: [{ type: 'voip-metrics', ...block }] }]);
    const d = decodeRtcpCompound(bytes, { strict: false });
    expect(d.ok && d.value[0]).toEqual({ type: 'xr', ssrc: 1, blocks: [{ type: 'voip-metrics', ...block }] });
  });

  it('saturates long durations at 16 bits and uses Bpl without PLC when told', () => {
    const rs = new ReceiverStats({ ssrc: 1, clockRate: 8000, packetDurationMs: 60 });
    for (let i = 0; i < 2000; i++) rs.onRtp({ sequenceNumber: i, timestamp: 480 * i, arrivalMs: 60 * i });
    rs.flush();
    const { block, conversational } = buildVoipMetrics({
      ssrc: 1,
      figures: rs.totals(),
      gmin: 16,
      oneWayDelayMs: 0,
      codec: CODECS.PCMA.emodel,
      plc: false,
    });
    expect(block.gapDurationMs).toBe(0xffff);
    expect(block.roundTripDelayMs).toBe(0);
    expect(block.rxConfig.plc).toBe('disabled');
    expect(block.rxConfig.jitterBuffer).toBe('adaptive');
    expect(conversational.r).toBeCloseTo(93.2, 10);
  });
});
