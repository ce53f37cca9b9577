import { describe, expect, it } from 'vitest';
import * as sdpTransform from 'sdp-transform';
import { parseSdp } from '../../../main/sdp/parse';
import { writeSdp } from '../../../main/sdp/write';
import { detectIceDialect, iceCredentials } from '../../../main/sdp/alternatives';
import { mediaCandidates } from '../../../main/sdp/offer-answer';
import { attributeOf, attributesOf, type SessionDescription } from '../../../main/sdp/types';
import { loadSdpFixture } from '../../fixtures/sdp/load';

function parsed(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`unexpected SDP error ${JSON.stringify(r.error)}`);
  return r.value;
}

const FIXTURES = [
  'lync2013-draft6.sdp',
  'lync2013-v19.sdp',
  'sfb2016-offer-relay-tcp.sdp',
  'sfb2016-tcp-only.sdp',
  'sfb2016-reinvite.sdp',
  'lync-draft6-reinvite.sdp',
  'rfc8445-phone.sdp',
  'plain-phone.sdp',
];

describe('SDP fixtures', () => {
  it.each(FIXTURES)('%s round-trips: write(parse(x)) is x up to spelling', (name) => {
    const text = loadSdpFixture(name);
    const d = parsed(text);
    const tcpSyntax = /TCP-(ACT|PASS)/.test(text) ? 'lync' : 'rfc6544';
    const written = writeSdp(d, { tcpSyntax });
    // Lync ends candidate lines with a space; standard phones write transports in lower case.
    expect(written).toBe(text.replace(/ +\r\n/g, '\r\n').replace(/ (udp|tcp) /g, (t) => t.toUpperCase()));
    expect(parsed(written)).toEqual(d);
  });

  it('reads the Lync draft-6 part: per-candidate credentials and fractional priorities', () => {
    const d = parsed(loadSdpFixture('lync2013-draft6.sdp'));
    expect(detectIceDialect(d)).toBe('draft6');
    const cs = mediaCandidates(d.media[0]!);
    expect(cs).toHaveLength(5);
    expect(cs[0]).toEqual({
      dialect: 'draft6',
      username: 'q0ZyZ2x1c3RlcnMtYXJlLWZ1bi10by13cml0ZS1ieS1oYW5k',
      component: 1,
      password: 'cGFzc3dvcmQtcGVyLWNhbmQ',
      transport: 'udp',
      priority: 0.83,
      ip: '10.20.30.77',
      port: 22450,
    });
    expect(cs[4]).toMatchObject({ transport: 'tcp', priority: 0.19 });
    expect(iceCredentials(d, d.media[0]!)).toBeUndefined();
    expect(d.bandwidths).toEqual([{ type: 'CT', value: 99980 }]);
  });

  it('reads the Lync v19 part: TCP-ACT/TCP-PASS as RFC 6544 tcptype, real ports kept, IPv6 line', () => {
    const d = parsed(loadSdpFixture('lync2013-v19.sdp'));
    const m = d.media[0]!;
    expect(detectIceDialect(d)).toBe('rfc5245');
    expect(iceCredentials(d, m)).toEqual({ ufrag: 'Xr7e', pwd: 'h3Dq0pLk1Zs9WmNc6YvB2tRe' });
    const cs = mediaCandidates(m);
    expect(cs).toHaveLength(12);
    expect(cs[2]).toEqual({
      dialect: 'rfc5245',
      foundation: '2',
      component: 1,
      transport: 'udp',
      priority: 1694498815,
      ip: '198.51.100.20',
      port: 41002,
      type: 'srflx',
      relAddr: '10.20.30.77',
      relPort: 22460,
      extensions: [],
    });
    expect(cs[6]).toMatchObject({ transport: 'tcp', tcpType: 'passive', port: 54104, type: 'relay' });
    expect(cs[8]).toMatchObject({ transport: 'tcp', tcpType: 'active', port: 54105 });
    const v6 = attributesOf(m, 'candidate').filter((a) => a.name === 'x-candidate-ipv6');
    expect(v6.map((a) => a.candidate.ip)).toEqual(['2001:db8:10::77', '2001:db8:10::77']);
    expect(attributeOf(m, 'x-ssrc-range')).toEqual({ kind: 'x-ssrc-range', first: 2864101234, last: 2864101234 });
    expect(attributeOf(m, 'label')?.value).toBe('main-audio');
    // Lines we do not model stay, in place, verbatim.
    expect(m.attributes[1]).toEqual({ kind: 'other', name: 'rtcp-fb', value: '* x-message app send:dsh recv:dsh' });
    expect(m.attributes[2]).toEqual({ kind: 'other', name: 'rtcp-rsize' });
  });

  it('reads SfB session-level x-mediabw, SRTP and an explicit RTCP port', () => {
    const d = parsed(loadSdpFixture('sfb2016-offer-relay-tcp.sdp'));
    expect(attributeOf(d, 'x-mediabw')).toEqual({ kind: 'x-mediabw', label: 'main-audio', params: [['send', '200'], ['recv', '200']] });
    const m = d.media[0]!;
    expect(m.protocol).toBe('RTP/SAVP');
    expect(attributeOf(m, 'rtcp')).toEqual({ kind: 'rtcp', port: 41005 });
    expect(attributesOf(m, 'other').map((a) => a.name)).toContain('crypto');
    expect(mediaCandidates(m).filter((c) => c.dialect === 'rfc5245' && c.type === 'relay')).toHaveLength(6);
  });

  it('reads the final re-INVITEs of both dialects', () => {
    const v19 = parsed(loadSdpFixture('sfb2016-reinvite.sdp')).media[0]!;
    expect(attributeOf(v19, 'remote-candidates')?.candidates).toEqual([
      { component: 1, ip: '203.0.113.77', port: 50432 },
      { component: 2, ip: '203.0.113.77', port: 50433 },
    ]);
    const d6 = parsed(loadSdpFixture('lync-draft6-reinvite.sdp')).media[0]!;
    expect(attributeOf(d6, 'remote-candidate')?.username).toBe('cmVtb3RlLXVzZXJuYW1lLWZyb20tdGhlLTE4My1hbnN3ZXI');
  });

  it('reads a standard RFC 8445 phone: tcptype, generation, rtcp-mux, rtcp with address', () => {
    const d = parsed(loadSdpFixture('rfc8445-phone.sdp'));
    const m = d.media[0]!;
    const cs = mediaCandidates(m);
    expect(cs[3]).toMatchObject({ transport: 'tcp', tcpType: 'active', port: 9, extensions: [['generation', '0']] });
    expect(attributeOf(m, 'rtcp')).toEqual({ kind: 'rtcp', port: 50000, address: { netType: 'IN', addrType: 'IP4', address: '192.0.2.55' } });
    expect(attributeOf(m, 'rtcp-mux')).toBeDefined();
    expect(attributeOf(m, 'direction')?.direction).toBe('sendrecv');
    expect(attributeOf(d, 'other')).toEqual({ kind: 'other', name: 'ice-options', value: 'ice2' });
    expect(d.origin.sessionId).toBe('4611731400430051336');
  });

  it('sees no ICE in a plain phone', () => {
    expect(detectIceDialect(parsed(loadSdpFixture('plain-phone.sdp')))).toBe('none');
  });
});

describe('candidate spelling on output', () => {
  it('writes Lync TCP candidates as RFC 6544 and back, keeping the real port', () => {
    const d = parsed(loadSdpFixture('sfb2016-tcp-only.sdp'));
    const rfc = writeSdp(d, { tcpSyntax: 'rfc6544' });
    expect(rfc).toContain('a=candidate:5 1 TCP 174063615 203.0.113.50 52300 typ relay raddr 192.168.1.44 rport 50022 tcptype active\r\n');
    expect(rfc).toContain('a=candidate:6 1 TCP 173015039 203.0.113.50 52301 typ relay raddr 192.168.1.44 rport 50023 tcptype passive\r\n');
    expect(parsed(rfc)).toEqual(d);
    const lync = writeSdp(parsed(loadSdpFixture('rfc8445-phone.sdp')), { tcpSyntax: 'lync' });
    expect(lync).toContain('a=candidate:4 1 TCP-ACT 2118123519 192.0.2.55 9 typ host generation 0\r\n');
    expect(lync).toContain('a=candidate:1 1 UDP 2130706431');
  });

  it('is read by sdp-transform the same way (interop cross-check)', () => {
    const ours = parsed(loadSdpFixture('lync2013-v19.sdp'));
    const theirs = sdpTransform.parse(writeSdp(ours, { tcpSyntax: 'rfc6544' }));
    const cands = theirs.media[0]!.candidates!;
    const mine = mediaCandidates(ours.media[0]!).filter((c) => c.dialect === 'rfc5245');
    // sdp-transform does not know a=x-candidate-ipv6 (a Lync line): it sees the other ten.
    expect(cands).toHaveLength(10);
    cands.forEach((c, i) => {
      const m = mine[i]!;
      expect(m.dialect === 'rfc5245' && [String(c.foundation), c.component, c.transport.toLowerCase(), c.priority, c.ip, c.port, c.type, c.raddr, c.rport, c.tcptype]).toEqual(
        m.dialect === 'rfc5245' && [m.foundation, m.component, m.transport, m.priority, m.ip, m.port, m.type, m.relAddr, m.relPort, m.tcpType],
      );
    });
    expect(theirs.media[0]!.iceUfrag).toBe('Xr7e');
  });
});

describe('SDP errors name the line', () => {
  const good = loadSdpFixture('plain-phone.sdp').split('\r\n');
  function errorFor(lines: string[]): { line: number; reason: string } {
    const r = parseSdp(lines.join('\r\n'));
    if (r.ok) throw new Error('expected an SDP error');
    expect(r.error.code).toBe('SDP_PARSE');
    return r.error;
  }
  const at = (i: number, line: string): string[] => good.map((l, k) => (k === i ? line : l));

  it('reports structural errors', () => {
    expect(errorFor(['o=- 0 0 IN IP4 1.2.3.4'])).toMatchObject({ line: 1, reason: expect.stringContaining('v=0') });
    expect(errorFor(at(1, 'o=- x 0 IN IP4 1.2.3.4'))).toMatchObject({ line: 2 });
    expect(errorFor(at(4, 'garbage'))).toMatchObject({ line: 5, reason: expect.stringContaining('<letter>=') });
    expect(errorFor(at(4, 'x=unknown'))).toMatchObject({ line: 5, reason: 'unknown line type "x="' });
    expect(errorFor([...good.slice(0, 6), 's=again', ...good.slice(6)])).toMatchObject({ line: 7, reason: '"s=" is not allowed inside a media section' });
    expect(errorFor(good.filter((l) => !l.startsWith('t=')))).toMatchObject({ line: 5, reason: 'missing t= line' });
    expect(errorFor(at(5, 'm=audio 70000 RTP/AVP 0'))).toMatchObject({ line: 6, reason: 'bad media port "70000"' });
    expect(errorFor(at(3, 'c=IN IP4'))).toMatchObject({ line: 4 });
    expect(errorFor(at(3, 'b=AS:lots'))).toMatchObject({ line: 4 });
  });

  it('reports broken modelled attributes', () => {
    const cand = (v: string): { line: number; reason: string } => errorFor([...good.slice(0, 6), `a=candidate:${v}`, ...good.slice(6)]);
    expect(cand('1 1 UDP 2130706431 192.0.2.1 5000 typ nonsense')).toMatchObject({ line: 7, reason: 'unknown candidate type "nonsense"' });
    expect(cand('1 1 SCTP 1 192.0.2.1 5000 typ host')).toMatchObject({ reason: 'unsupported transport "SCTP"' });
    expect(cand('1 1 UDP 1 192.0.2.1 5000 typ host generation')).toMatchObject({ reason: 'extension "generation" has no value' });
    expect(cand('1 1 UDP 1 192.0.2.1 5000 typ srflx raddr 1.2.3.4 generation 0')).toMatchObject({ reason: 'raddr and rport must come together' });
    expect(cand('1 1 UDP 1 192.0.2.1 5000 typ host tcptype active')).toMatchObject({ reason: 'tcptype on a UDP candidate' });
    expect(cand('1 1 UDP 99999999999 192.0.2.1 5000 typ host')).toMatchObject({ reason: expect.stringContaining('bad priority') });
    expect(cand('abc 1 pwd UDP 83 192.0.2.1 5000')).toMatchObject({ reason: 'bad draft-6 priority "83" (want 0.xxx)' });
    expect(cand('only three tokens')).toMatchObject({ reason: expect.stringContaining('neither') });
    const attr = (a: string): { line: number; reason: string } => errorFor([...good.slice(0, 6), a, ...good.slice(6)]);
    expect(attr('a=rtpmap:0 PCMU')).toMatchObject({ line: 7 });
    expect(attr('a=remote-candidates:1 1.2.3.4')).toMatchObject({ line: 7 });
    expect(attr('a=x-ssrc-range:5-4')).toMatchObject({ line: 7 });
    expect(attr('a=ptime:soon')).toMatchObject({ line: 7 });
    expect(attr('a=ice-ufrag:bad ufrag')).toMatchObject({ line: 7 });
    expect(attr('a=x-mediabw:main-audio send')).toMatchObject({ line: 7 });
    expect(attr('a=bad name:1')).toMatchObject({ line: 7 });
  });

  it('enforces size limits', () => {
    expect(parseSdp('v=0\r\n' + 'a=x\r\n'.repeat(20000))).toMatchObject({ ok: false, error: { line: 1 } });
    const many = ['v=0', 'o=- 0 0 IN IP4 1.2.3.4', 's=-', 't=0 0', 'm=audio 1 RTP/AVP 0', ...Array.from({ length: 130 }, (_, i) => `a=candidate:${i} 1 UDP 1 1.2.3.4 ${i + 1} typ host`)];
    expect(parseSdp(many.join('\r\n'))).toMatchObject({ ok: false, error: { line: 134, reason: expect.stringContaining('more than 128 candidates') } });
    expect(parseSdp(`v=0\r\na=${'x'.repeat(5000)}`)).toMatchObject({ ok: false, error: { line: 2 } });
  });
});

describe('secrets in SDP stay out of logs', () => {
  it('redacts ice-pwd, draft-6 candidate passwords and SDES keys', async () => {
    const { redactText } = await import('../../../main/common/redact');
    const shown = redactText(loadSdpFixture('lync2013-draft6.sdp') + loadSdpFixture('sfb2016-offer-relay-tcp.sdp'));
    expect(shown).not.toContain('cGFzc3dvcmQtcGVyLWNhbmQ');
    expect(shown).not.toContain('bWFkZS11cC1rZXktZm9yLWEtZml4dHVyZS0wMQ');
    expect(shown).not.toContain('Zb3LkQ0sV7xN2mPa8RtY6uEw');
    expect(shown).toContain('a=candidate:q0ZyZ2x1c3RlcnMtYXJlLWZ1bi10by13cml0ZS1ieS1oYW5k 1 «redacted» UDP 0.830 10.20.30.77 22450');
    expect(shown).toContain('a=candidate:1 1 UDP 2130706431 192.168.1.44 50010 typ host');
  });
});
