import { describe, expect, it } from 'vitest';
import { MediapathError } from '../../../main/common/errors';
import { SeededRandom } from '../../../main/common/random';
import {
  clampCumulativeLost,
  cnameOf,
  decodeRtcpCompound,
  encodeRtcpCompound,
  validateCompoundOrder,
  type RtcpPacket,
} from '../../../main/media/rtcp';
import { fractionToXr, mosToXr, rFactorToXr, XR_UNAVAILABLE, type VoipMetrics } from '../../../main/media/rtcp-xr';
import { mutate, rtcpCompound, rtcpPacket } from './gen';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

// RR + SDES CNAME + BYE, written out by hand from RFC 3550 §6.4.2, §6.5, §6.6.
const COMPOUND_HEX = `
  81 c9 0007  11223344
              aabbccdd 40 fffffe 00010005 00000020 12345678 00010000
  81 ca 0003  11223344 01 02 6162 00000000
  81 cb 0002  11223344 01 78 0000`;

const COMPOUND: RtcpPacket[] = [
  {
    type: 'rr',
    ssrc: 0x11223344,
    reports: [
      { ssrc: 0xaabbccdd, fractionLost: 0x40, cumulativeLost: -2, extendedHighestSeq: 0x10005, jitter: 0x20, lsr: 0x12345678, dlsr: 0x10000 },
    ],
  },
  { type: 'sdes', chunks: [{ ssrc: 0x11223344, items: [{ type: 1, text: 'ab' }] }] },
  { type: 'bye', ssrcs: [0x11223344], reason: 'x' },
];

const METRICS: VoipMetrics = {
  ssrc: 0x0a0b0c0d,
  lossRate: 12,
  discardRate: 3,
  burstDensity: 85,
  gapDensity: 10,
  burstDurationMs: 240,
  gapDurationMs: 510,
  roundTripDelayMs: 40,
  endSystemDelayMs: 60,
  signalLevel: -20,
  noiseLevel: -70,
  rerl: XR_UNAVAILABLE,
  gmin: 16,
  rFactor: 87,
  extRFactor: XR_UNAVAILABLE,
  mosLq: 43,
  mosCq: 42,
  rxConfig: { plc: 'standard', jitterBuffer: 'adaptive', jbRate: 0 },
  jbNominalMs: 40,
  jbMaxMs: 80,
  jbAbsMaxMs: 400,
};

// RFC 3611 §2 XR header + §4.7 VoIP Metrics block, field by field.
const XR_HEX = `
  80 cf 000a  01020304
  07 00 0008  0a0b0c0d
  0c 03 55 0a   00f0 01fe   0028 003c   ec ba 7f 10   57 7f 2b 2a   f0 00 0028   0050 0190`;

describe('RTCP compound packets (RFC 3550 §6)', () => {
  it('encodes RR + SDES CNAME + BYE to hand-checked bytes', () => {
    expect(encodeRtcpCompound(COMPOUND)).toEqual(hex(COMPOUND_HEX));
  });

  it('decodes the same bytes back, signed cumulative loss included', () => {
    const d = decodeRtcpCompound(hex(COMPOUND_HEX));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value).toEqual(COMPOUND);
    expect(cnameOf(d.value, 0x11223344)).toBe('ab');
    expect(cnameOf(d.value, 1)).toBeUndefined();
  });

  it('encodes an XR VoIP Metrics block (RFC 3611 §4.7) to hand-checked bytes and back', () => {
    const xr: RtcpPacket = { type: 'xr', ssrc: 0x01020304, blocks: [{ type: 'voip-metrics', ...METRICS }] };
    expect(encodeRtcpCompound([xr])).toEqual(hex(XR_HEX));
    const d = decodeRtcpCompound(hex(XR_HEX), { strict: false });
    expect(d.ok && d.value).toEqual([xr]);
  });

  it('round-trips an SR with sender info, reports and a profile extension', () => {
    const sr: RtcpPacket = {
      type: 'sr',
      ssrc: 1,
      ntp: { seconds: 0xe9a0b1c2, fraction: 0x80000000 },
      rtpTimestamp: 160,
      packetCount: 50,
      octetCount: 8000,
      reports: [{ ssrc: 2, fractionLost: 0, cumulativeLost: 0x7fffff, extendedHighestSeq: 0, jitter: 0, lsr: 0, dlsr: 0 }],
      extension: new Uint8Array([1, 2, 3, 4]),
    };
    const bytes = encodeRtcpCompound([sr]);
    expect(bytes.length).toBe(28 + 24 + 4);
    expect(bytes[0]).toBe(0x81);
    expect(bytes[1]).toBe(200);
    expect(decodeRtcpCompound(bytes)).toEqual({ ok: true, value: [sr] });
  });

  it('round-trips 5,000 random valid compounds', () => {
    const r = new SeededRandom(3);
    for (let i = 0; i < 5000; i++) {
      const packets = rtcpCompound(r);
      const d = decodeRtcpCompound(encodeRtcpCompound(packets));
      expect(d).toEqual({ ok: true, value: packets });
    }
  });

  it('saturates cumulative loss at the 24-bit signed limits', () => {
    expect(clampCumulativeLost(1e9)).toBe(0x7fffff);
    expect(clampCumulativeLost(-1e9)).toBe(-0x800000);
    const rr: RtcpPacket = { type: 'rr', ssrc: 1, reports: [{ ssrc: 2, fractionLost: 0, cumulativeLost: -1e9, extendedHighestSeq: 0, jitter: 0, lsr: 0, dlsr: 0 }] };
    const d = decodeRtcpCompound(encodeRtcpCompound([rr]));
    expect(d.ok && d.value[0]!.type === 'rr' && d.value[0]!.reports[0]!.cumulativeLost).toBe(-0x800000);
  });

  it('applies the RFC 3550 §A.2 validity checks', () => {
    const bad: Array<[string, string, { strict?: boolean }?]> = [
      ['first packet not SR/RR', '81 ca 0003 11223344 01 02 6162 00000000'],
      ['version 1', '41 c9 0001 11223344'],
      ['length overruns', '80 c9 0005 11223344'],
      ['not a multiple of 4', '80 c9 0001 11223344 00'],
      ['padding on a packet that is not last', 'a0 c9 0001 11223344  81 cb 0001 11223344'],
      ['padding count 0', 'a0 c9 0002 11223344 00000000'],
      ['padding longer than the packet', 'a0 c9 0002 11223344 00000009'],
      ['report blocks do not fit', '81 c9 0001 11223344'],
      ['SDES without END', '81 ca 0002 11223344 01026162', { strict: false }],
      ['SDES item overruns', '81 ca 0002 11223344 01096162', { strict: false }],
      ['BYE reason overruns', '81 cb 0002 11223344 05616263', { strict: false }],
      ['VoIP metrics block with wrong length', '80 cf 0003 01020304 07000001 00000000', { strict: false }],
      ['XR block overruns', '80 cf 0002 01020304 07000008', { strict: false }],
      ['empty', ''],
    ];
    for (const [what, h, opts] of bad) {
      const d = decodeRtcpCompound(h ? hex(h) : new Uint8Array(0), opts);
      expect(d.ok, what).toBe(false);
      if (!d.ok) expect(d.error.code).toBe('RTCP_PARSE');
    }
    // padding on the last packet is fine, and reduced-size RTCP passes when not strict
    expect(decodeRtcpCompound(hex('80 c9 0001 11223344  a1 cb 0002 11223344 00000004')).ok).toBe(true);
    expect(decodeRtcpCompound(hex('81 cb 0001 11223344'), { strict: false }).ok).toBe(true);
    expect(decodeRtcpCompound(hex('81 cb 0001 11223344')).ok).toBe(false);
  });

  it('checks the order of what we send: report first, CNAME present', () => {
    expect(validateCompoundOrder(COMPOUND)).toBeUndefined();
    expect(validateCompoundOrder(COMPOUND.slice(1))).toMatch(/SR or RR/);
    expect(validateCompoundOrder([COMPOUND[0]!])).toMatch(/CNAME/);
  });

  it('refuses to encode what it could not represent', () => {
    const block = { ssrc: 2, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 0, jitter: 0, lsr: 0, dlsr: 0 };
    const rr = (n: number): RtcpPacket => ({ type: 'rr', ssrc: 1, reports: new Array(n).fill(block) });
    expect(() => encodeRtcpCompound([rr(32)])).toThrow(MediapathError);
    expect(() => encodeRtcpCompound([])).toThrow(MediapathError);
    expect(() => encodeRtcpCompound([{ type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'x'.repeat(256) }] }] }])).toThrow(MediapathError);
    expect(() => encodeRtcpCompound([{ type: 'app', subtype: 0, ssrc: 1, name: 'toolong', data: new Uint8Array(0) }])).toThrow(MediapathError);
    expect(() => encodeRtcpCompound([{ type: 'xr', ssrc: 1, blocks: [{ type: 'voip-metrics', ...METRICS, lossRate: 256 }] }])).toThrow(MediapathError);
    expect(() => encodeRtcpCompound([{ type: 'xr', ssrc: 1, blocks: [{ type: 'voip-metrics', ...METRICS, signalLevel: 128 }] }])).toThrow(MediapathError);
  });

  it('survives 100,000 mutated and random datagrams without throwing', () => {
    const r = new SeededRandom(4);
    let accepted = 0;
    for (let i = 0; i < 100_000; i++) {
      const base = r.int(8) === 0 ? [rtcpPacket(r)] : rtcpCompound(r);
      const bytes = mutate(r, encodeRtcpCompound(base));
      const strict = r.int(2) === 0;
      const d = decodeRtcpCompound(bytes, { strict });
      if (d.ok) accepted++;
      else {
        expect(d.error.offset).toBeGreaterThanOrEqual(0);
        expect(d.error.offset).toBeLessThanOrEqual(bytes.length);
      }
    }
    // Mutations keep a fair share of packets valid, so the accepting paths are exercised too.
    expect(accepted).toBeGreaterThan(10_000);
  });
});

describe('RTCP XR field conversions (RFC 3611 §4.7)', () => {
  it('scales fractions to ×256 bytes, saturating at 255', () => {
    expect(fractionToXr(0)).toBe(0);
    expect(fractionToXr(0.01)).toBe(2);
    expect(fractionToXr(4 / 12)).toBe(85);
    expect(fractionToXr(1)).toBe(255);
    expect(fractionToXr(Number.NaN)).toBe(0);
  });

  it('scales MOS ×10 and R into range, 127 when unavailable', () => {
    expect(mosToXr(4.26)).toBe(43);
    expect(mosToXr(0.5)).toBe(10);
    expect(mosToXr(undefined)).toBe(127);
    expect(rFactorToXr(87.16)).toBe(87);
    expect(rFactorToXr(120)).toBe(100);
    expect(rFactorToXr(undefined)).toBe(127);
  });
});
