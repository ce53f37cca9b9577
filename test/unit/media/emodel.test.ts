import { describe, expect, it } from 'vitest';
import { CODECS } from '../../../main/media/codecs';
import {
  burstRatio,
  delayImpairment,
  effectiveEquipmentImpairment,
  emodel,
  emodelForCodec,
  mosFromR,
  mouthToEarDelayMs,
  rFromMos,
} from '../../../main/media/emodel';

describe('E-model (ITU-T G.107, PROTOCOLS.md §6)', () => {
  it('gives the worked values: 100 ms, 1 % random loss, G.711 with PLC', () => {
    const e = emodel({ oneWayDelayMs: 100, packetLossPercent: 1, burstR: 1, ie: 0, bpl: 25.1 });
    // Id = 2.4, Ie,eff = 95 · 1 / (1 + 25.1) = 3.6398…, R = 93.2 − 2.4 − 3.6398 = 87.160
    expect(e.id).toBeCloseTo(2.4, 10);
    expect(e.ieEff).toBeCloseTo(95 / 26.1, 10);
    expect(e.r).toBeCloseTo(87.16, 2);
    expect(e.mos).toBeCloseTo(4.26, 2);
  });

  it('gives MOS 4.36 without loss at 100 ms', () => {
    const e = emodel({ oneWayDelayMs: 100, packetLossPercent: 0, ie: 0, bpl: 25.1 });
    expect(e.r).toBeCloseTo(90.8, 10);
    expect(e.mos).toBeCloseTo(4.36, 2);
  });

  it('maps R outside 0–100 to the ends of the MOS scale', () => {
    expect(mosFromR(-5)).toBe(1);
    expect(mosFromR(0)).toBe(1);
    expect(mosFromR(100)).toBe(4.5);
    expect(mosFromR(130)).toBe(4.5);
    expect(mosFromR(Number.NaN)).toBe(1);
    // the Annex B polynomial dips under 1 for small R; held at 1
    expect(mosFromR(3)).toBe(1);
    expect(mosFromR(50)).toBeCloseTo(1 + 1.75 + 50 * -10 * 50 * 7e-6, 12);
    expect(emodel({ oneWayDelayMs: 1000, packetLossPercent: 40, ie: 0, bpl: 4.3 }).mos).toBe(1);
    expect(emodel({ oneWayDelayMs: 0, packetLossPercent: 0, ie: 0, bpl: 25.1, advantage: 20 }).mos).toBe(4.5);
  });

  it('adds the second delay term beyond 177.3 ms', () => {
    expect(delayImpairment(177.3)).toBeCloseTo(0.024 * 177.3, 12);
    expect(delayImpairment(300)).toBeCloseTo(7.2 + 0.11 * 122.7, 12);
    expect(delayImpairment(-3)).toBe(0);
  });

  it('weighs bursty loss through BurstR', () => {
    expect(effectiveEquipmentImpairment(0, 25.1, 2, 2)).toBeCloseTo((95 * 2) / (1 + 25.1), 12);
    expect(effectiveEquipmentImpairment(11, 19, 0)).toBe(11);
    expect(effectiveEquipmentImpairment(0, 25.1, 150)).toBeCloseTo((95 * 100) / (100 + 25.1), 12);
  });

  it('computes BurstR = 1 / (p + q) from transition counts', () => {
    // random: p = 1/100, q = 99/100
    expect(burstRatio({ receivedToReceived: 99, receivedToLost: 1, lostToReceived: 99, lostToLost: 1 })).toBeCloseTo(1, 12);
    // bursty: p = 1/100, q = 1/2
    expect(burstRatio({ receivedToReceived: 99, receivedToLost: 1, lostToReceived: 1, lostToLost: 1 })).toBeCloseTo(1 / 0.51, 12);
    // nothing to learn from
    expect(burstRatio({ receivedToReceived: 10, receivedToLost: 0, lostToReceived: 0, lostToLost: 0 })).toBe(1);
    expect(burstRatio({ receivedToReceived: 0, receivedToLost: 0, lostToReceived: 0, lostToLost: 9 })).toBe(1);
  });

  it('inverts MOS back to R', () => {
    for (let r = 7; r <= 99; r += 4) expect(rFromMos(mosFromR(r))).toBeCloseTo(r, 6);
    expect(rFromMos(1)).toBe(0);
    expect(rFromMos(4.6)).toBe(100);
  });

  it('takes Ie and Bpl from the codec table, with or without PLC, overridable', () => {
    const plc = emodelForCodec(CODECS.PCMU, { oneWayDelayMs: 100, packetLossPercent: 1 });
    expect(plc.r).toBeCloseTo(87.16, 2);
    const noPlc = emodelForCodec(CODECS.PCMU, { oneWayDelayMs: 100, packetLossPercent: 1, plc: false });
    expect(noPlc.ieEff).toBeCloseTo(95 / 5.3, 10);
    const g729ish = emodelForCodec(CODECS.PCMA, { oneWayDelayMs: 0, packetLossPercent: 0, ie: 11, bpl: 19 });
    expect(g729ish.r).toBeCloseTo(82.2, 10);
  });

  it('adds up mouth-to-ear delay', () => {
    expect(mouthToEarDelayMs({ networkMs: 40, packetizationMs: 20, jitterBufferMs: 40 })).toBe(100);
    expect(mouthToEarDelayMs({ networkMs: 12 })).toBe(12);
  });
});
