import { describe, expect, it } from 'vitest';
import { Method, attrs, encodeStun } from '../../../main/stun';
import { TurnStreamDeframer, decodeChannelData, encodeChannelData } from '../../../main/turn';
import { Rfc4571Deframer, encodeRfc4571 } from '../../../main/net/framing';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function turnStream(): Uint8Array[] {
  const stun = encodeStun({ method: Method.Send, cls: 'indication', transactionId: new Uint8Array(12).fill(7), attributes: [attrs.data(new Uint8Array([1, 2, 3, 4, 5]))] });
  return [
    stun,
    encodeChannelData(0x4001, new Uint8Array([9]), true), // 1 byte + 3 padding
    encodeChannelData(0x4fff, new Uint8Array(0), true),
    encodeChannelData(0x4002, new Uint8Array([1, 2, 3, 4, 5, 6, 7]), true),
    stun,
  ];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('TURN stream framing (RFC 8656 §12.5)', () => {
  it('pads ChannelData on streams and not on datagrams', () => {
    expect(encodeChannelData(0x4001, new Uint8Array([9]), true)).toHaveLength(8);
    expect(encodeChannelData(0x4001, new Uint8Array([9]), false)).toHaveLength(5);
    expect(decodeChannelData(encodeChannelData(0x4001, new Uint8Array([9]), true))).toEqual({ channel: 0x4001, data: new Uint8Array([9]) });
    expect(decodeChannelData(new Uint8Array([0x3f, 0xff, 0, 0]))).toBeUndefined();
    expect(decodeChannelData(new Uint8Array([0x40, 0x00, 0, 9, 1]))).toBeUndefined();
  });

  it('yields the same messages however the stream is split, at every byte boundary', () => {
    const frames = turnStream();
    const stream = concat(frames);
    const want = frames.map(hex);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new TurnStreamDeframer();
      const got = [...d.push(stream.subarray(0, cut)).frames, ...d.push(stream.subarray(cut)).frames];
      expect(got.map(hex)).toEqual(want);
    }
    // and byte by byte
    const d = new TurnStreamDeframer();
    const got: Uint8Array[] = [];
    for (const b of stream) got.push(...d.push(new Uint8Array([b])).frames);
    expect(got.map(hex)).toEqual(want);
  });

  it('reports a stream that is out of step instead of guessing', () => {
    const d = new TurnStreamDeframer();
    const r = d.push(new Uint8Array([0x80, 0, 0, 0]));
    expect(r.frames).toEqual([]);
    expect(r.error).toMatch(/out of step/);
  });
});

describe('RFC 4571 framing', () => {
  it('splits at every byte boundary', () => {
    const frames = [new Uint8Array([1]), new Uint8Array(0), new Uint8Array(300).fill(5), new Uint8Array([2, 3])];
    const stream = concat(frames.map(encodeRfc4571));
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new Rfc4571Deframer();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(got.map(hex)).toEqual(frames.map(hex));
      expect(d.pending).toBe(0);
    }
  });

  it('refuses a frame over 65535 bytes', () => {
    expect(() => encodeRfc4571(new Uint8Array(65536))).toThrow(/65535/);
  });
});
