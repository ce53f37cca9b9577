import { describe, expect, it } from 'vitest';
import { type DeframedItem, SipStreamDeframer } from '../../../main/sip/deframer';
import { parseSipMessage } from '../../../main/sip/parse';
import { loadSipFixture } from '../../fixtures/sip/load';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function messages(items: DeframedItem[]): string[] {
  return items.flatMap((i) => (i.kind === 'message' ? [dec(i.bytes)] : []));
}

const invite = loadSipFixture('lync-invite-multipart.sip');
const options = loadSipFixture('options-compact.sip');

describe('SipStreamDeframer', () => {
  it('cuts back-to-back messages out of one chunk', () => {
    const d = new SipStreamDeframer();
    expect(messages(d.push(enc(invite + options)))).toEqual([invite, options]);
    expect(d.pending).toBe(0);
  });

  it('gives the same messages whatever the chunking, down to one byte at a time', () => {
    const stream = enc(`${options}\r\n\r\n${invite}${options}`);
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const d = new SipStreamDeframer();
      const out: DeframedItem[] = [];
      for (let i = 0; i < stream.length; i += size) out.push(...d.push(stream.subarray(i, i + size)));
      expect(messages(out)).toEqual([options, invite, options]);
      // A ping cut in two reads as two pongs: harmless, and a lone CRLF must be answered at once.
      expect(out.filter((x) => x.kind === 'ping' || x.kind === 'pong').length).toBeGreaterThanOrEqual(1);
      expect(out.some((x) => x.kind === 'error')).toBe(false);
    }
  });

  it('handles a body split across chunks and each message parses', () => {
    const d = new SipStreamDeframer();
    const cut = invite.indexOf('v=0') + 10;
    expect(d.push(enc(invite.slice(0, cut)))).toEqual([]);
    const out = messages(d.push(enc(invite.slice(cut))));
    expect(out).toEqual([invite]);
    expect(parseSipMessage(out[0]!).ok).toBe(true);
  });

  it('answers RFC 5626 keep-alives: double CRLF is a ping, single CRLF a pong', () => {
    const d = new SipStreamDeframer();
    expect(d.push(enc('\r\n\r\n'))).toEqual([{ kind: 'ping' }]);
    expect(d.push(enc('\r\n'))).toEqual([{ kind: 'pong' }]);
    const mixed = d.push(enc(`\r\n${options}`));
    expect(mixed[0]).toEqual({ kind: 'pong' });
    expect(messages(mixed)).toEqual([options]);
  });

  it('fails the stream when Content-Length is missing (RFC 3261 §18.3)', () => {
    const d = new SipStreamDeframer();
    const noLength = options.replace(/l: \d+\r\n/, '');
    const out = d.push(enc(`${options}${noLength}`));
    expect(messages(out)).toEqual([options]);
    expect(out[1]).toEqual({
      kind: 'error',
      error: { code: 'SIP_PARSE', offset: enc(options).length, reason: expect.stringContaining('missing Content-Length') },
    });
    expect(d.failed).toBe(true);
    expect(d.push(enc(options))).toEqual([]);
  });

  it('fails on a bad header line of a response, with the stream offset of that line', () => {
    const d = new SipStreamDeframer();
    const bad = 'SIP/2.0 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n';
    const out = d.push(enc(options + bad));
    expect(out[1]).toMatchObject({ kind: 'error', error: { offset: enc(options).length + 16 } });
    expect(d.failed).toBe(true);
  });

  it('frames a request with a bad header line by its Content-Length, so it can be answered 400, and goes on', () => {
    for (const step of [0, 1, 7]) {
      const d = new SipStreamDeframer();
      const bad = 'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nno colon here\r\n\u0001\u0002:\r\nContent-Length: 5\r\n\r\nhello';
      const stream = enc(bad + options);
      const out: DeframedItem[] = [];
      if (step === 0) out.push(...d.push(stream));
      else for (let i = 0; i < stream.length; i += step) out.push(...d.push(stream.slice(i, i + step)));
      expect(out.map((i) => i.kind)).toEqual(['message', 'message']);
      expect(messages(out)).toEqual([bad, options]);
      // The first is still malformed for the parser (the transaction user answers it 400); the second is whole.
      expect(parseSipMessage(messages(out)[0]!).ok).toBe(false);
      expect(parseSipMessage(messages(out)[1]!).ok).toBe(true);
      expect(d.failed).toBe(false);
    }
  });

  it('still fails on a bad request whose end cannot be known: no readable Content-Length, or a bad start line', () => {
    for (const bad of ['OPTIONS sip:a@b SIP/2.0\r\nno colon here\r\n\r\n', 'OPTIONS sip:a@b SIP/2.0\r\nno colon\r\nContent-Length: x\r\n\r\n', 'NOT A START LINE\r\nno colon\r\nContent-Length: 0\r\n\r\n']) {
      const d = new SipStreamDeframer();
      const out = d.push(enc(bad + options));
      expect(out.map((i) => i.kind), bad).toEqual(['error']);
      expect(d.failed).toBe(true);
    }
  });

  it('fails when headers never end or a message would exceed the size limit', () => {
    const d = new SipStreamDeframer();
    let out: DeframedItem[] = [];
    for (let i = 0; i < 70 && out.length === 0; i++) out = d.push(enc(`X-Filler: ${'a'.repeat(1000)}\r\n`));
    expect(out).toEqual([{ kind: 'error', error: expect.objectContaining({ reason: 'headers exceed the message size limit' }) }]);

    const huge = new SipStreamDeframer();
    const r = huge.push(enc('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 999999\r\n\r\n'));
    expect(r).toEqual([{ kind: 'error', error: expect.objectContaining({ reason: expect.stringContaining('exceeds 65536') }) }]);
  });
});
