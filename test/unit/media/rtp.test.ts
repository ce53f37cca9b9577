import { describe, expect, it } from 'vitest';
import { MediapathError } from '../../../main/common/errors';
import { SeededRandom } from '../../../main/common/random';
import { decodeRtp, encodeRtp, RTP_FIXED_HEADER_BYTES } from '../../../main/media/rtp';
import { decodeProbePayload, encodeProbePayload } from '../../../main/media/probe-payload';
import { readProbeEpoch, writeProbeEpoch } from '../../../main/media/stream/probe-epoch';
import { classifyDatagram } from '../../../main/media/demux';
import { mutate, rtpPacket } from './gen';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

describe('RTP header (RFC 3550 §5.1)', () => {
  it('encodes a hand-checked packet with a CSRC and the marker bit', () => {
    const bytes = encodeRtp({
      marker: true,
      payloadType: 0,
      sequenceNumber: 0x1234,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
      csrcs: [0x0a0b0c0d],
      payload: hex('ffff'),
    });
    // V=2 CC=1 | M=1 PT=0 | seq | ts | ssrc | csrc | payload
    expect(bytes).toEqual(hex('81 80 1234 deadbeef 01020304 0a0b0c0d ffff'));
  });

  it('decodes a hand-built packet with an extension and padding', () => {
    // V=2 P=1 X=1 CC=0, PT 8, seq 65535, ts 0, ssrc, ext 0xBEDE 1 word, payload 010203, 3 bytes padding
    const p = decodeRtp(hex('b0 08 ffff 00000000 cafebabe bede 0001 10aa0000 010203 000003'));
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value).toMatchObject({ marker: false, payloadType: 8, sequenceNumber: 65535, timestamp: 0, ssrc: 0xcafebabe, csrcs: [], paddingLength: 3 });
    expect(p.value.extension?.profile).toBe(0xbede);
    expect([...p.value.extension!.data]).toEqual([0x10, 0xaa, 0, 0]);
    expect([...p.value.payload]).toEqual([1, 2, 3]);
    // and back to the same bytes
    expect(encodeRtp({ ...p.value, payload: p.value.payload })).toEqual(hex('b0 08 ffff 00000000 cafebabe bede 0001 10aa0000 010203 000003'));
  });

  it('round-trips 5,000 random packets', () => {
    const r = new SeededRandom(1);
    for (let i = 0; i < 5000; i++) {
      const init = rtpPacket(r);
      const d = decodeRtp(encodeRtp(init));
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.value.payloadType).toBe(init.payloadType);
      expect(d.value.sequenceNumber).toBe(init.sequenceNumber);
      expect(d.value.timestamp).toBe(init.timestamp);
      expect(d.value.ssrc).toBe(init.ssrc);
      expect(d.value.marker).toBe(init.marker);
      expect(d.value.csrcs).toEqual(init.csrcs);
      expect(d.value.paddingLength).toBe(init.paddingLength);
      expect([...d.value.payload]).toEqual([...init.payload]);
      expect(d.value.extension?.profile).toBe(init.extension?.profile);
    }
  });

  it('rejects malformed packets with a code, an offset and a reason', () => {
    const cases: Array<[string, number]> = [
      ['80 00 0001', 0], // shorter than 12 bytes
      ['40 00 0001 00000000 00000001', 0], // version 1
      ['82 00 0001 00000000 00000001 00000002', 12], // CC=2, one CSRC present
      ['90 00 0001 00000000 00000001 bede', 12], // extension header truncated
      ['90 00 0001 00000000 00000001 bede 0002 00000000', 12], // extension longer than packet
      ['a0 00 0001 00000000 00000001 0000', 13], // padding count 0
      ['a0 00 0001 00000000 00000001 0009', 13], // padding longer than the body
    ];
    for (const [h, offset] of cases) {
      const d = decodeRtp(hex(h));
      expect(d.ok, h).toBe(false);
      if (d.ok) continue;
      expect(d.error.code).toBe('RTP_PARSE');
      expect(d.error.offset, h).toBe(offset);
      expect(d.error.reason.length).toBeGreaterThan(0);
    }
  });

  it('refuses to encode fields out of range (our bug, so it throws)', () => {
    const base = { payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: new Uint8Array(0) };
    for (const bad of [
      { payloadType: 128 },
      { sequenceNumber: 65536 },
      { timestamp: -1 },
      { ssrc: 2 ** 32 },
      { csrcs: new Array(16).fill(1) },
      { paddingLength: 256 },
      { extension: { profile: 1, data: new Uint8Array(3) } },
    ]) {
      expect(() => encodeRtp({ ...base, ...bad })).toThrow(MediapathError);
    }
  });

  it('survives 100,000 mutated and random datagrams (probe payloads among them) without throwing', () => {
    // The checks per input are plain comparisons counted into `violations` (one expect at the
    // end), so the run stays a couple of seconds; every decoder here is linear in the input.
    const r = new SeededRandom(2);
    const probeTemplate = (): Uint8Array => {
      const payload = encodeProbePayload({ sendTimeUs: r.int(2 ** 30) * 1000, extSeq: r.int(2 ** 20) }, [20, 80, 160, 320][r.int(4)]!, 0xff);
      writeProbeEpoch(payload, { epoch: r.int(300), index: r.int(70_000) });
      return encodeRtp({ ...rtpPacket(r), payload });
    };
    let accepted = 0;
    let probes = 0;
    let violations = 0;
    for (let i = 0; i < 100_000; i++) {
      const bytes = mutate(r, r.int(2) === 0 ? probeTemplate() : encodeRtp(rtpPacket(r)));
      const d = decodeRtp(bytes);
      if (d.ok) {
        accepted++;
        // whatever was accepted lies within the datagram
        const p = d.value;
        if (p.payload.byteOffset < bytes.byteOffset + RTP_FIXED_HEADER_BYTES || p.payload.byteOffset + p.payload.length > bytes.byteOffset + bytes.length) violations++;
        if (p.sequenceNumber > 0xffff || p.timestamp > 0xffffffff || p.ssrc > 0xffffffff || p.payloadType > 127 || p.csrcs.length > 15) violations++;
        const probe = decodeProbePayload(p.payload);
        if (probe.ok) {
          probes++;
          if (!Number.isSafeInteger(probe.value.sendTimeUs) || probe.value.extSeq > 0xffffffff) violations++;
          const tag = readProbeEpoch(p.payload);
          if (!tag || tag.epoch > 255 || tag.index > 0xffff) violations++;
        } else if (probe.error.offset < 0 || probe.error.offset > p.payload.length) violations++;
      } else if (d.error.offset < 0 || d.error.offset > bytes.length) violations++;
    }
    expect(violations).toBe(0);
    expect(accepted).toBeGreaterThan(10_000);
    expect(probes).toBeGreaterThan(5_000);
  });
});

describe('datagram demultiplexing (RFC 7983 §7, RFC 5761 §4)', () => {
  it('tells STUN, DTLS, TURN channel data, RTP and RTCP apart', () => {
    expect(classifyDatagram(hex('0001 0000'))).toBe('stun');
    expect(classifyDatagram(hex('16fe'))).toBe('dtls');
    expect(classifyDatagram(hex('4000 0004'))).toBe('turn-channel');
    expect(classifyDatagram(hex('8000'))).toBe('rtp');
    expect(classifyDatagram(hex('80e0'))).toBe('rtp'); // marker + PT 96
    expect(classifyDatagram(hex('80c8'))).toBe('rtcp'); // SR
    expect(classifyDatagram(hex('81cf'))).toBe('rtcp'); // XR
    expect(classifyDatagram(hex('ff00'))).toBe('unknown');
    expect(classifyDatagram(hex('80'))).toBe('unknown');
  });
});
