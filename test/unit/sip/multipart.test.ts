import { describe, expect, it } from 'vitest';
import {
  buildMultipart,
  makeBoundary,
  parseContentDisposition,
  parseMultipart,
  partHeader,
  partMediaType,
} from '../../../main/sip/multipart';
import { parseSipMessage } from '../../../main/sip/parse';
import { getHeader } from '../../../main/sip/message';
import { SeededRandom } from '../../../main/common/random';
import { loadSipFixture } from '../../fixtures/sip/load';

describe('multipart bodies', () => {
  it('reads the Lync multipart/alternative INVITE: draft-6 part first, v19 part last', () => {
    const m = parseSipMessage(loadSipFixture('lync-invite-multipart.sip'));
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    const mp = parseMultipart(m.value.body, getHeader(m.value, 'Content-Type')!);
    expect(mp.ok).toBe(true);
    if (!mp.ok) return;
    expect(mp.value.subtype).toBe('alternative');
    expect(mp.value.boundary).toBe('----=_NextPart_000_0042_01D5A1B2.C3D4E5F6');
    expect(mp.value.parts).toHaveLength(2);
    const [first, last] = mp.value.parts;
    expect(partMediaType(first!)).toBe('application/sdp');
    expect(partHeader(first!, 'content-transfer-encoding')).toBe('7bit');
    const cd = parseContentDisposition(partHeader(first!, 'Content-Disposition')!);
    expect(cd).toMatchObject({ ok: true, value: { type: 'session', params: { handling: 'optional', 'ms-proxy-2007fallback': null } } });
    expect(first!.body.startsWith('v=0\r\no=- 0 0 IN IP4 10.20.30.77\r\n')).toBe(true);
    expect(first!.body.endsWith('a=ptime:20\r\n')).toBe(true);
    expect(last!.body).toContain('a=ice-ufrag:Xr7e');
    expect(partHeader(last!, 'Content-Disposition')).toBe('session; handling=optional');
  });

  it('builds what it parses, byte for byte', () => {
    const boundary = makeBoundary(new SeededRandom(7));
    expect(boundary).toMatch(/^----=_NextPart_[0-9a-f]{24}$/);
    const built = buildMultipart(
      [
        { contentType: 'application/sdp', contentDisposition: 'session; handling=optional; ms-proxy-2007fallback', headers: [['content-transfer-encoding', '7bit']], body: 'v=0\r\na\r\n' },
        { contentType: 'application/sdp', contentDisposition: 'session; handling=optional', body: 'v=0\r\nb\r\n' },
      ],
      { subtype: 'alternative', boundary },
    );
    expect(built.contentType).toBe(`multipart/alternative;boundary="${boundary}"`);
    expect(built.body).toBe(
      `--${boundary}\r\nContent-Type: application/sdp\r\nContent-Transfer-Encoding: 7bit\r\n` +
        `Content-Disposition: session; handling=optional; ms-proxy-2007fallback\r\n\r\nv=0\r\na\r\n\r\n` +
        `--${boundary}\r\nContent-Type: application/sdp\r\nContent-Disposition: session; handling=optional\r\n\r\nv=0\r\nb\r\n\r\n` +
        `--${boundary}--\r\n`,
    );
    const back = parseMultipart(built.body, built.contentType);
    expect(back.ok && back.value.parts.map((p) => p.body)).toEqual(['v=0\r\na\r\n', 'v=0\r\nb\r\n']);
  });

  it('reads multipart/mixed with a preamble, an unquoted boundary and a part without headers', () => {
    const body = 'preamble to ignore\r\n--xyz\r\n\r\nplain text\r\n--xyz\r\nContent-Type: application/pidf+xml\r\n\r\n<x/>\r\n--xyz--\r\nepilogue';
    const r = parseMultipart(body, 'multipart/mixed; boundary=xyz');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.subtype).toBe('mixed');
    expect(r.value.parts.map(partMediaType)).toEqual(['text/plain', 'application/pidf+xml']);
    expect(r.value.parts[0]!.body).toBe('plain text');
  });

  it('reports broken bodies with offsets', () => {
    expect(parseMultipart('x', 'application/sdp')).toMatchObject({ ok: false, error: { reason: 'not multipart: application/sdp' } });
    expect(parseMultipart('x', 'multipart/mixed')).toMatchObject({ ok: false, error: { reason: 'missing or bad boundary parameter' } });
    expect(parseMultipart('no delimiter', 'multipart/mixed;boundary=b')).toMatchObject({ ok: false, error: { reason: 'no boundary delimiter in body' } });
    const open = '--b\r\nContent-Type: text/plain\r\n\r\nnever closed';
    expect(parseMultipart(open, 'multipart/mixed;boundary=b')).toMatchObject({ ok: false, error: { offset: 5, reason: 'multipart part without a closing boundary' } });
    const badHeader = '--b\r\nnot a header\r\n\r\nx\r\n--b--';
    expect(parseMultipart(badHeader, 'multipart/mixed;boundary=b')).toMatchObject({ ok: false, error: { offset: 5 } });
    const many = `${'--b\r\n\r\nx\r\n'.repeat(9)}--b--`;
    expect(parseMultipart(many, 'multipart/mixed;boundary=b')).toMatchObject({ ok: false, error: { reason: 'more than 8 parts' } });
  });

  it('refuses to build with a body that contains the boundary', () => {
    expect(() => buildMultipart([{ contentType: 'text/plain', body: '--b' }], { subtype: 'mixed', boundary: 'b' })).toThrow(/boundary/);
  });
});
