import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { decodeProbePayload, encodeProbePayload } from '../../../main/media/probe-payload';
import { decodeRtp, encodeRtp } from '../../../main/media/rtp';
import { epochStart, readProbeEpoch, RtpSender, unwrapEpoch, writeProbeEpoch } from '../../../main/media/stream';

describe('RTP sender', () => {
  it('numbers packets per RFC 3550 §5.1 and carries the probe with send time, sequence and epoch', () => {
    const s = new RtpSender({ random: new SeededRandom(1) });
    s.setOrigin(1000);
    const out = [];
    for (let i = 0; i < 5; i++) {
      const p = s.build(i, 1000 + 20 * i + 0.25);
      s.commit(p);
      out.push(decodeRtp(p.bytes));
    }
    const pk = out.map((r) => (r.ok ? r.value : undefined)!);
    expect(pk.every((p) => p.ssrc === s.ssrc && p.payloadType === 0 && p.payload.length === 160)).toBe(true);
    expect(pk.map((p) => (p.sequenceNumber - s.initialSequence) & 0xffff)).toEqual([0, 1, 2, 3, 4]);
    expect(pk.map((p) => (p.timestamp - s.initialTimestamp) >>> 0)).toEqual([0, 160, 320, 480, 640]);
    expect(pk.map((p) => p.marker)).toEqual([true, false, false, false, false]);
    const probe = decodeProbePayload(pk[3]!.payload);
    expect(probe.ok && probe.value).toEqual({ sendTimeUs: 1_060_250, extSeq: 3 });
    expect(readProbeEpoch(pk[3]!.payload)).toEqual({ epoch: 0, index: 3 });
    expect(s.packets).toBe(5);
    expect(s.octets).toBe(5 * 160);
    // SR timestamp on the media clock (RFC 3550 §6.4.1): 1 s after the origin is 8000 units later.
    expect((s.rtpTimestampAt(2000) - s.initialTimestamp) >>> 0).toBe(8000);
  });

  it('a held-back packet consumes media time but no sequence number, and the next one is marked', () => {
    const s = new RtpSender({ random: new SeededRandom(2) });
    s.commit(s.build(0, 0));
    s.build(1, 20);
    s.holdBack();
    const p = s.build(2, 40);
    s.commit(p);
    const d = decodeRtp(p.bytes);
    expect(d.ok && d.value.marker).toBe(true);
    expect(d.ok && ((d.value.sequenceNumber - s.initialSequence) & 0xffff)).toBe(1);
    expect(d.ok && ((d.value.timestamp - s.initialTimestamp) >>> 0)).toBe(320);
    expect(s.heldBack).toBe(1);
  });

  it('a new epoch restarts the in-epoch index', () => {
    const s = new RtpSender({ random: new SeededRandom(3) });
    for (let i = 0; i < 3; i++) s.commit(s.build(i, 20 * i));
    expect(s.nextEpoch()).toBe(1);
    expect(s.currentEpochFirstExtSeq).toBe(3);
    const p = s.build(3, 60);
    s.commit(p);
    const d = decodeRtp(p.bytes);
    const tag = d.ok ? readProbeEpoch(d.value.payload) : undefined;
    expect(tag).toEqual({ epoch: 1, index: 0 });
    expect(epochStart(3, tag!.index)).toBe(3);
  });

  it('draws the SSRC inside a Lync x-ssrc-range', () => {
    const range = { min: 0x1000, max: 0x10ff };
    for (let seed = 0; seed < 50; seed++) {
      const s = new RtpSender({ random: new SeededRandom(seed), ssrcRange: range });
      expect(s.ssrc).toBeGreaterThanOrEqual(range.min);
      expect(s.ssrc).toBeLessThanOrEqual(range.max);
    }
  });

  it('sizes frames like the imitated codec', () => {
    const size = (codec: 'PCMU' | 'PCMA' | 'G722' | 'opus', ptimeMs?: number) => new RtpSender({ random: new SeededRandom(4), codec, ...(ptimeMs ? { ptimeMs } : {}) });
    expect(size('PCMU').payloadBytes).toBe(160);
    expect(size('PCMA', 10).payloadBytes).toBe(80);
    expect(size('PCMU', 60).payloadBytes).toBe(480);
    expect(size('G722').payloadBytes).toBe(160);
    expect(size('G722').increment).toBe(160);
    expect(size('opus').payloadBytes).toBe(80);
    expect(size('opus').increment).toBe(960);
    expect(size('opus').choice.payloadType).toBe(111);
    const p = size('PCMA').build(0, 0);
    const d = decodeRtp(p.bytes);
    expect(d.ok && d.value.payloadType).toBe(8);
    // The padding is the codec's silence byte.
    expect(d.ok && d.value.payload[100]).toBe(0xd5);
    expect(() => size('opus', 30)).toThrow(/cannot be packetized/);
  });

  it('unwraps the 8-bit epoch against the highest seen', () => {
    expect(unwrapEpoch(3, 2)).toBe(3);
    expect(unwrapEpoch(255, 256)).toBe(255);
    expect(unwrapEpoch(1, 255)).toBe(257);
    expect(unwrapEpoch(0, 0)).toBe(0);
  });

  it('patches the template into exactly what the codecs would encode', () => {
    const random = new SeededRandom(8);
    for (const codec of ['PCMU', 'PCMA', 'G722', 'opus'] as const) {
      const s = new RtpSender({ random, codec });
      for (let i = 0; i < 300; i++) {
        if (i % 97 === 50) s.nextEpoch();
        if (i % 31 === 7) s.holdBack();
        const frame = i * 3 + 5_000_000;
        const at = 1e9 + i * 20.123456;
        const p = s.build(frame, at);
        const payload = encodeProbePayload({ sendTimeUs: Math.round(at * 1000), extSeq: s.packets }, s.payloadBytes, s.choice.codec.fillByte);
        writeProbeEpoch(payload, readProbeEpoch(p.bytes.subarray(12))!);
        const marker = (p.bytes[1]! & 0x80) !== 0;
        const expected = encodeRtp({ marker, payloadType: s.choice.payloadType, sequenceNumber: p.sequenceNumber, timestamp: s.timestampOf(frame), ssrc: s.ssrc, payload });
        expect(p.bytes).toEqual(expected);
        s.commit(p);
      }
    }
  });
});
