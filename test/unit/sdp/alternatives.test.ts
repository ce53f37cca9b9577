import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { detectIceDialect, dualDialectParts, FALLBACK_DISPOSITION, pickSdpPart } from '../../../main/sdp/alternatives';
import { parseSdp } from '../../../main/sdp/parse';
import { buildMultipart, makeBoundary, parseMultipart } from '../../../main/sip/multipart';
import { parseSipMessage } from '../../../main/sip/parse';
import { getHeader } from '../../../main/sip/message';
import { loadSdpFixture } from '../../fixtures/sdp/load';
import { loadSipFixture } from '../../fixtures/sip/load';

describe('the two-dialect INVITE body ([MS-SIPRE] 3.15.4.1)', () => {
  const draft6 = loadSdpFixture('lync2013-draft6.sdp');
  const v19 = loadSdpFixture('lync2013-v19.sdp');

  it('builds draft-6 first with ms-proxy-2007fallback, v19 last, and reads back', () => {
    const parts = dualDialectParts(draft6, v19);
    expect(parts.map((p) => p.contentDisposition)).toEqual([FALLBACK_DISPOSITION, 'session; handling=optional']);
    const { contentType, body } = buildMultipart(parts, { subtype: 'alternative', boundary: makeBoundary(new SeededRandom(3)) });
    const mp = parseMultipart(body, contentType);
    expect(mp.ok).toBe(true);
    if (!mp.ok) return;
    expect(mp.value.parts.map((p) => p.body)).toEqual([draft6, v19]);
    const v19Pick = pickSdpPart(mp.value.parts);
    expect(v19Pick).toMatchObject({ index: 1, fallback: false });
    const d6Pick = pickSdpPart(mp.value.parts, 'draft6');
    expect(d6Pick).toMatchObject({ index: 0, fallback: true });
    const dialects = [v19Pick, d6Pick].map((p) => {
      const d = parseSdp(p!.part.body);
      return d.ok ? detectIceDialect(d.value) : 'error';
    });
    expect(dialects).toEqual(['rfc5245', 'draft6']);
  });

  it('answers the Lync INVITE fixture from its last part', () => {
    const m = parseSipMessage(loadSipFixture('lync-invite-multipart.sip'));
    if (!m.ok) throw new Error('fixture');
    const mp = parseMultipart(m.value.body, getHeader(m.value, 'Content-Type')!);
    if (!mp.ok) throw new Error('fixture');
    const pick = pickSdpPart(mp.value.parts);
    expect(pick?.index).toBe(1);
    const d = parseSdp(pick!.part.body);
    expect(d.ok && detectIceDialect(d.value)).toBe('rfc5245');
    const fallback = parseSdp(pickSdpPart(mp.value.parts, 'draft6')!.part.body);
    expect(fallback.ok && detectIceDialect(fallback.value)).toBe('draft6');
  });

  it('takes the only SDP part there is, and nothing from a body without SDP', () => {
    const single = [{ headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: 'v=0' }];
    expect(pickSdpPart(single, 'draft6')).toMatchObject({ index: 0, fallback: false });
    expect(pickSdpPart([{ headers: [], body: 'text' }])).toBeUndefined();
  });
});
