import { describe, expect, it } from 'vitest';
import { MediapathError } from '../../../main/common/errors';
import { SeededRandom } from '../../../main/common/random';
import { chooseCodec, codecForPayloadType, CODECS, frameBytes, timestampIncrement } from '../../../main/media/codecs';
import { clockMsToProbeUs, decodeProbePayload, encodeProbePayload, PROBE_HEADER_BYTES } from '../../../main/media/probe-payload';
import { randomSsrc, ssrcInRange } from '../../../main/media/ssrc';

describe('codec table', () => {
  it('sizes G.711 frames at 8 bytes and 8 timestamp units per ms', () => {
    for (const name of ['PCMU', 'PCMA'] as const) {
      const c = CODECS[name];
      expect(frameBytes(c, 20)).toBe(160);
      expect(timestampIncrement(c, 20)).toBe(160);
      expect(frameBytes(c, 60)).toBe(480);
    }
    expect(CODECS.PCMU.payloadType).toBe(0);
    expect(CODECS.PCMA.payloadType).toBe(8);
  });

  it('keeps the 8 kHz RTP clock of G.722 (RFC 3551 §4.5.2) while it samples at 16 kHz', () => {
    const c = CODECS.G722;
    expect(c.payloadType).toBe(9);
    expect(c.sampleRate).toBe(16000);
    expect(timestampIncrement(c, 20)).toBe(160);
    expect(frameBytes(c, 20)).toBe(160);
  });

  it('runs Opus-like frames on a 48 kHz clock (RFC 7587 §4.1)', () => {
    const c = CODECS.opus;
    expect(timestampIncrement(c, 20)).toBe(960);
    expect(timestampIncrement(c, 60)).toBe(2880);
    expect(frameBytes(c, 20)).toBe(80);
  });

  it('carries E-model factors with their source, and marks the assumed ones', () => {
    expect(CODECS.PCMU.emodel).toMatchObject({ ie: 0, bplWithPlc: 25.1, bplWithoutPlc: 4.3, assumed: false });
    expect(CODECS.G722.emodel.assumed).toBe(true);
    expect(CODECS.opus.emodel.assumed).toBe(true);
  });

  it('validates packetization and payload types', () => {
    expect(chooseCodec('PCMU')).toMatchObject({ ptimeMs: 20, payloadType: 0 });
    expect(chooseCodec('opus', 40, 120)).toMatchObject({ ptimeMs: 40, payloadType: 120 });
    expect(() => chooseCodec('PCMU', 25)).toThrow(MediapathError);
    expect(() => chooseCodec('opus', 30)).toThrow(MediapathError);
    expect(() => chooseCodec('PCMA', 20, 0)).toThrow(MediapathError);
    expect(() => chooseCodec('opus', 20, 50)).toThrow(MediapathError);
  });

  it('finds codecs by payload type, dynamic ones through the negotiated map', () => {
    expect(codecForPayloadType(8)?.name).toBe('PCMA');
    expect(codecForPayloadType(111)).toBeUndefined();
    expect(codecForPayloadType(111, new Map([[111, 'opus']]))?.name).toBe('opus');
  });
});

describe('probe payload', () => {
  it('carries send time and sequence, padded with the codec fill byte', () => {
    const b = encodeProbePayload({ sendTimeUs: 123_456_789_012, extSeq: 0xfffffffe }, 160, 0xff);
    expect(b.length).toBe(160);
    expect(b[PROBE_HEADER_BYTES]).toBe(0xff);
    expect(b[159]).toBe(0xff);
    expect(decodeProbePayload(b)).toEqual({ ok: true, value: { sendTimeUs: 123_456_789_012, extSeq: 0xfffffffe } });
  });

  it('never shrinks below its header, and handles times beyond 32 bits of µs', () => {
    const b = encodeProbePayload({ sendTimeUs: 2 ** 52, extSeq: 1 }, 4);
    expect(b.length).toBe(PROBE_HEADER_BYTES);
    expect(decodeProbePayload(b)).toEqual({ ok: true, value: { sendTimeUs: 2 ** 52, extSeq: 1 } });
  });

  it('rejects foreign payloads and refuses bad input', () => {
    expect(decodeProbePayload(new Uint8Array(160).fill(0xff)).ok).toBe(false);
    expect(decodeProbePayload(new Uint8Array(3)).ok).toBe(false);
    const wrongVersion = encodeProbePayload({ sendTimeUs: 1, extSeq: 1 }, 20);
    wrongVersion[4] = 9;
    expect(decodeProbePayload(wrongVersion).ok).toBe(false);
    const huge = encodeProbePayload({ sendTimeUs: 1, extSeq: 1 }, 20);
    huge[8] = 0xff;
    expect(decodeProbePayload(huge).ok).toBe(false);
    expect(() => encodeProbePayload({ sendTimeUs: -1, extSeq: 0 }, 20)).toThrow(MediapathError);
    expect(() => encodeProbePayload({ sendTimeUs: 0, extSeq: 2 ** 32 }, 20)).toThrow(MediapathError);
    expect(clockMsToProbeUs(12.3456)).toBe(12346);
  });
});

describe('SSRC choice (RFC 3550 §8.1, Lync x-ssrc-range)', () => {
  it('draws inside a negotiated range, uniformly enough to reach both ends', () => {
    const r = new SeededRandom(6);
    const range = { min: 1000, max: 1003 };
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const s = randomSsrc(r, range);
      expect(ssrcInRange(s, range)).toBe(true);
      seen.add(s);
    }
    expect([...seen].sort()).toEqual([1000, 1001, 1002, 1003]);
  });

  it('spans all 32 bits without a range, and avoids SSRCs in use', () => {
    const r = new SeededRandom(7);
    let high = false;
    for (let i = 0; i < 100; i++) if (randomSsrc(r) >= 2 ** 31) high = true;
    expect(high).toBe(true);
    expect(randomSsrc(r, { min: 5, max: 7 }, new Set([5, 7]))).toBe(6);
    expect(() => randomSsrc(r, { min: 5, max: 5 }, new Set([5]))).toThrow(MediapathError);
    expect(() => randomSsrc(r, { min: 9, max: 3 })).toThrow(MediapathError);
  });
});
