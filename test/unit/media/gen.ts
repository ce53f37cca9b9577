import type { SeededRandom } from '../../../main/common/random';
import type { RtcpPacket, ReportBlock, SdesChunk } from '../../../main/media/rtcp';
import type { XrBlock, XrJitterBufferKind, XrPlc } from '../../../main/media/rtcp-xr';
import type { RtpPacketInit } from '../../../main/media/rtp';

/** Seeded generators of valid packets for round-trip and fuzz tests. */
export function u32(r: SeededRandom): number {
  return r.nextU32();
}

function text(r: SeededRandom, max: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789@.-_ é→';
  let s = '';
  const n = r.int(max + 1);
  for (let i = 0; i < n; i++) s += alphabet[r.int(alphabet.length)];
  return s;
}

function words(r: SeededRandom, maxWords: number): Uint8Array {
  return r.bytes(4 * r.int(maxWords + 1));
}

export function reportBlock(r: SeededRandom): ReportBlock {
  return {
    ssrc: u32(r),
    fractionLost: r.int(256),
    cumulativeLost: r.int(0x1000000) - 0x800000,
    extendedHighestSeq: u32(r),
    jitter: u32(r),
    lsr: u32(r),
    dlsr: u32(r),
  };
}

function reports(r: SeededRandom): ReportBlock[] {
  return Array.from({ length: r.int(4) }, () => reportBlock(r));
}

function sdesChunk(r: SeededRandom): SdesChunk {
  return {
    ssrc: u32(r),
    items: Array.from({ length: r.int(4) }, () => ({ type: 1 + r.int(8), text: text(r, 20) })),
  };
}

const PLC: XrPlc[] = ['unspecified', 'disabled', 'enhanced', 'standard'];
const JBA: XrJitterBufferKind[] = ['unknown', 'reserved', 'non-adaptive', 'adaptive'];

export function xrBlock(r: SeededRandom): XrBlock {
  switch (r.int(4)) {
    case 0:
      return {
        type: 'voip-metrics',
        ssrc: u32(r),
        lossRate: r.int(256),
        discardRate: r.int(256),
        burstDensity: r.int(256),
        gapDensity: r.int(256),
        burstDurationMs: r.int(65536),
        gapDurationMs: r.int(65536),
        roundTripDelayMs: r.int(65536),
        endSystemDelayMs: r.int(65536),
        signalLevel: r.int(256) - 128,
        noiseLevel: r.int(256) - 128,
        rerl: r.int(256),
        gmin: r.int(256),
        rFactor: r.int(256),
        extRFactor: r.int(256),
        mosLq: r.int(256),
        mosCq: r.int(256),
        rxConfig: { plc: PLC[r.int(4)]!, jitterBuffer: JBA[r.int(4)]!, jbRate: r.int(16) },
        jbNominalMs: r.int(65536),
        jbMaxMs: r.int(65536),
        jbAbsMaxMs: r.int(65536),
      };
    case 1:
      return { type: 'rrt', ntp: { seconds: u32(r), fraction: u32(r) } };
    case 2:
      return {
        type: 'dlrr',
        items: Array.from({ length: r.int(3) }, () => ({ ssrc: u32(r), lastRr: u32(r), delaySinceLastRr: u32(r) })),
      };
    default:
      // Block types that RFC 3611 and later define but we keep opaque (1–3, 6, 8+).
      return { type: 'unknown', blockType: [1, 2, 3, 6, 8, 42, 255][r.int(7)]!, typeSpecific: r.int(256), body: words(r, 4) };
  }
}

export function rtcpPacket(r: SeededRandom): RtcpPacket {
  switch (r.int(7)) {
    case 0:
      return {
        type: 'sr',
        ssrc: u32(r),
        ntp: { seconds: u32(r), fraction: u32(r) },
        rtpTimestamp: u32(r),
        packetCount: u32(r),
        octetCount: u32(r),
        reports: reports(r),
        ...(r.int(4) === 0 ? { extension: r.bytes(4 + 4 * r.int(2)) } : {}),
      };
    case 1:
      return { type: 'rr', ssrc: u32(r), reports: reports(r) };
    case 2:
      return { type: 'sdes', chunks: Array.from({ length: r.int(3) }, () => sdesChunk(r)) };
    case 3:
      return {
        type: 'bye',
        ssrcs: Array.from({ length: r.int(3) }, () => u32(r)),
        ...(r.int(2) === 0 ? { reason: text(r, 30) } : {}),
      };
    case 4:
      return { type: 'app', subtype: r.int(32), ssrc: u32(r), name: 'mpth', data: words(r, 3) };
    case 5:
      return { type: 'xr', ssrc: u32(r), blocks: Array.from({ length: r.int(4) }, () => xrBlock(r)) };
    default:
      // RTPFB (205) / PSFB (206): kept opaque.
      return { type: 'unknown', packetType: 205 + r.int(2), count: r.int(32), body: words(r, 4) };
  }
}

/** A valid compound: SR or RR first, then 0–4 other packets. */
export function rtcpCompound(r: SeededRandom): RtcpPacket[] {
  let first = rtcpPacket(r);
  while (first.type !== 'sr' && first.type !== 'rr') first = rtcpPacket(r);
  return [first, ...Array.from({ length: r.int(5) }, () => rtcpPacket(r))];
}

export function rtpPacket(r: SeededRandom): RtpPacketInit {
  return {
    marker: r.int(2) === 1,
    payloadType: r.int(128),
    sequenceNumber: r.int(65536),
    timestamp: u32(r),
    ssrc: u32(r),
    csrcs: Array.from({ length: r.int(3) === 0 ? r.int(16) : 0 }, () => u32(r)),
    ...(r.int(3) === 0 ? { extension: { profile: r.int(65536), data: words(r, 3) } } : {}),
    payload: r.bytes(r.int(200)),
    paddingLength: r.int(4) === 0 ? 1 + r.int(255) : 0,
  };
}

/** A hostile variant of `b`: bit flips, truncation, extension, byte overwrite or length smash. */
export function mutate(r: SeededRandom, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b);
  switch (r.int(6)) {
    case 0: {
      const flips = 1 + r.int(4);
      for (let i = 0; i < flips && out.length > 0; i++) out[r.int(out.length)]! ^= 1 << r.int(8);
      return out;
    }
    case 1:
      return out.slice(0, r.int(out.length + 1));
    case 2: {
      const extra = r.bytes(1 + r.int(16));
      const m = new Uint8Array(out.length + extra.length);
      m.set(out);
      m.set(extra, out.length);
      return m;
    }
    case 3:
      if (out.length > 0) out[r.int(out.length)] = r.int(256);
      return out;
    case 4:
      // Smash a 16-bit length-looking field at a 4-byte boundary + 2.
      if (out.length >= 4) {
        const o = 4 * r.int(Math.floor(out.length / 4)) + 2;
        if (o + 1 < out.length) {
          out[o] = r.int(256);
          out[o + 1] = r.int(256);
        }
      }
      return out;
    default:
      return r.bytes(r.int(64));
  }
}
