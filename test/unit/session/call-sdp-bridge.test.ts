import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { lyncIce2Profile, rfc8445Profile } from '../../../main/compat';
import { makeLocalCandidate, remoteInputOf, type LocalCandidateInput } from '../../../main/ice/candidate-factory';
import { FoundationRegistry } from '../../../main/ice/foundation';
import { parseSdp } from '../../../main/sdp/parse';
import { parseMultipart } from '../../../main/sip/multipart';
import {
  buildLocalDescription,
  defaultCandidate,
  offeredCodecList,
  readRemoteDescription,
  remoteCandidatesOf,
  toDraft6Candidates,
  type LocalDescriptionInput,
} from '../../../main/session/sdp-bridge';

// Our candidates into SDP in both Lync dialects and the peer's SDP back into what the ICE agent
// takes (PROTOCOLS.md §2): a round trip loses nothing the agent needs.

const profile = lyncIce2Profile;
function candidates(p = profile) {
  const f = new FoundationRegistry();
  const mk = (i: LocalCandidateInput) => makeLocalCandidate(p, f, i);
  const host = mk({ type: 'host', component: 1, transport: 'udp', address: { ip: '10.1.0.11', port: 50000 } });
  const srflx = mk({ type: 'srflx', component: 1, transport: 'udp', address: { ip: '198.51.100.1', port: 40000 }, base: host.address, server: { address: { ip: '203.0.113.10', port: 3478 }, protocol: 'udp' } });
  const relay = mk({ type: 'relay', component: 1, transport: 'udp', address: { ip: '203.0.113.10', port: 49152 }, related: srflx.address, server: { address: { ip: '203.0.113.10', port: 3478 }, protocol: 'udp' } });
  const relayTcp = mk({ type: 'relay', component: 1, transport: 'udp', address: { ip: '203.0.113.10', port: 49153 }, related: { ip: '198.51.100.1', port: 40001 }, server: { address: { ip: '203.0.113.10', port: 443 }, protocol: 'tcp' }, index: 1 });
  const passive = mk({ type: 'host', component: 1, transport: 'tcp', tcpType: 'passive', address: { ip: '10.1.0.11', port: 50001 } });
  const active = mk({ type: 'host', component: 1, transport: 'tcp', tcpType: 'active', address: { ip: '10.1.0.11', port: 9 } });
  return { host, srflx, relay, relayTcp, passive, active, all: [host, srflx, relay, relayTcp, passive, active] };
}

const input = (over: Partial<LocalDescriptionInput> = {}): LocalDescriptionInput => ({
  profile,
  dialect: 'v19',
  ufrag: 'abcd',
  pwd: 'abcdefghijklmnopqrstuv',
  candidates: candidates().all,
  sessionId: '1234',
  sessionVersion: 1,
  codecs: offeredCodecList('PCMU'),
  ptimeMs: 20,
  random: new SeededRandom(5),
  ...over,
});

describe('sdp-bridge', () => {
  it('v19: every candidate comes back as the agent signalled it, with ufrag/pwd and the codec', () => {
    const c = candidates();
    const body = buildLocalDescription(input());
    expect(body.contentType).toBe('application/sdp');
    // Lync spelling of TCP candidates (lync-ice2 profile): TCP-PASS / TCP-ACT.
    expect(body.body).toMatch(/^a=candidate:\S+ 1 TCP-PASS \d+ 10\.1\.0\.11 50001 typ host\r$/m);
    expect(body.body).toMatch(/^a=candidate:\S+ 1 TCP-ACT \d+ 10\.1\.0\.11 9 typ host\r$/m);
    // The default address is the UDP relay (RFC 8445 §5.1.4).
    expect(body.body).toMatch(/^m=audio 49152 RTP\/AVP 0 8 101\r$/m);
    expect(body.body).toMatch(/^c=IN IP4 203\.0\.113\.10\r$/m);
    const r = readRemoteDescription(body);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ multipart: false, dialect: 'rfc5245', codec: 'PCMU', payloadType: 0, ptimeMs: 20, ice: { ufrag: 'abcd', pwd: 'abcdefghijklmnopqrstuv' } });
    expect(r.value.ice.candidates).toEqual(c.all.map(remoteInputOf));
  });

  it('RFC 6544 spelling with the RFC 8445 profile', () => {
    const body = buildLocalDescription(input({ profile: rfc8445Profile, candidates: candidates(rfc8445Profile).all }));
    expect(body.body).toMatch(/^a=candidate:\S+ 1 TCP \d+ 10\.1\.0\.11 50001 typ host tcptype passive\r$/m);
    const r = readRemoteDescription(body);
    expect(r.ok && r.value.ice.candidates.filter((x) => x.transport === 'tcp').map((x) => x.tcpType)).toEqual(['passive', 'active']);
  });

  it('multipart: the draft-6 fallback part first with per-candidate credentials, the v19 part last; the reader takes v19', () => {
    const body = buildLocalDescription(input({ dialect: 'multipart-draft6' }));
    expect(body.contentType).toMatch(/^multipart\/alternative;boundary="----=_NextPart_[0-9a-f]{24}"$/);
    const mp = parseMultipart(body.body, body.contentType);
    expect(mp.ok).toBe(true);
    if (!mp.ok) return;
    expect(mp.value.parts).toHaveLength(2);
    const [draft6, v19] = mp.value.parts;
    expect(draft6!.headers.find((h) => h.name === 'Content-Disposition')?.value).toBe('session; handling=optional; ms-proxy-2007fallback');
    const d6 = parseSdp(draft6!.body);
    expect(d6.ok).toBe(true);
    const d6c = d6.ok ? d6.value.media[0]!.attributes.filter((a) => a.kind === 'candidate') : [];
    // The active TCP candidate has no address to connect to: draft 6 leaves it out.
    expect(d6c).toHaveLength(5);
    expect(draft6!.body).toMatch(/^a=candidate:[A-Za-z0-9+/]{43} 1 [A-Za-z0-9+/]{22} UDP 0\.830 10\.1\.0\.11 50000\r$/m);
    expect(draft6!.body).not.toMatch(/ice-ufrag/);
    expect(v19!.body).toMatch(/^a=ice-ufrag:abcd\r$/m);
    const r = readRemoteDescription(body);
    expect(r.ok && r.value.multipart).toBe(true);
    expect(r.ok && r.value.ice.candidates).toHaveLength(6);
  });

  it('the final offer: only the chosen candidate and a=remote-candidates, read back', () => {
    const c = candidates();
    const peer = { remote: { ...c.relay, component: 1, address: { ip: '203.0.113.10', port: 50123 } } };
    const body = buildLocalDescription(input({ candidates: [c.host], remoteCandidates: remoteCandidatesOf([peer]), sessionVersion: 2 }));
    expect(body.body.match(/^a=candidate:/gm)).toHaveLength(1);
    expect(body.body).toMatch(/^a=remote-candidates:1 203\.0\.113\.10 50123\r$/m);
    expect(body.body).toMatch(/^o=- 1234 2 IN IP4 10\.1\.0\.11\r$/m);
    const r = readRemoteDescription(body);
    expect(r.ok && r.value.remoteCandidates).toEqual([{ component: 1, ip: '203.0.113.10', port: 50123 }]);
  });

  it('a codec offered first is the one the answerer picks', () => {
    const body = buildLocalDescription(input({ codecs: offeredCodecList('PCMA') }));
    const r = readRemoteDescription(body);
    expect(r.ok && [r.value.codec, r.value.payloadType]).toEqual(['PCMA', 8]);
  });

  it('refuses what it cannot use, with a code and a reason, never a throw', () => {
    const draft6Only = `v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=candidate:${'A'.repeat(43)} 1 ${'B'.repeat(22)} UDP 0.830 10.0.0.1 5000\r\n`;
    expect(readRemoteDescription({ body: draft6Only, contentType: 'application/sdp' })).toMatchObject({ ok: false, error: { code: 'SDP_NEGOTIATION_FAILED', reason: expect.stringContaining('draft-6') } });
    expect(readRemoteDescription({ body: 'garbage', contentType: 'application/sdp' })).toMatchObject({ ok: false, error: { code: 'SDP_PARSE' } });
    expect(readRemoteDescription({ body: '<x/>', contentType: 'text/xml' })).toMatchObject({ ok: false, error: { code: 'SDP_NEGOTIATION_FAILED' } });
    const g729 = buildLocalDescription(input({ codecs: [{ payloadType: 18, encoding: 'G729', clockRate: 8000 }] }));
    expect(readRemoteDescription(g729)).toMatchObject({ ok: false, error: { code: 'SDP_NEGOTIATION_FAILED', reason: 'no audio codec in common' } });
    const noIce = buildLocalDescription(input({ ufrag: '', pwd: '' }));
    expect(readRemoteDescription(noIce)).toMatchObject({ ok: false, error: { reason: expect.stringContaining('ice-ufrag') } });
    expect(readRemoteDescription({ body: '--x\r\n\r\n--x--', contentType: 'multipart/alternative;boundary=x' })).toMatchObject({ ok: false });
  });

  it('survives 3000 mutated bodies without throwing', () => {
    const random = new SeededRandom(42);
    const bodies = [buildLocalDescription(input()), buildLocalDescription(input({ dialect: 'multipart-draft6' }))];
    for (let i = 0; i < 3000; i++) {
      const b = bodies[i % 2]!;
      const chars = [...b.body];
      for (let k = 0; k < 1 + random.int(8); k++) chars[random.int(chars.length)] = String.fromCharCode(random.int(128));
      expect(() => readRemoteDescription({ body: chars.join(''), contentType: b.contentType })).not.toThrow();
    }
  });

  it('default candidate: relay UDP, then srflx, then host; draft-6 credentials shared by one base', () => {
    const c = candidates();
    expect(defaultCandidate(c.all)).toBe(c.relay);
    expect(defaultCandidate([c.host, c.srflx])).toBe(c.srflx);
    expect(defaultCandidate([c.active, c.host])).toBe(c.host);
    const d6 = toDraft6Candidates([c.host, { ...c.host, component: 2, address: { ip: '10.1.0.11', port: 50002 } }], new SeededRandom(1));
    expect(d6[0]!.username).toBe(d6[1]!.username);
    expect(d6.map((x) => x.priority)).toEqual([0.83, 0.83]);
  });
});
