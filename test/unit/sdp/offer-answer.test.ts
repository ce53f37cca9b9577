import { describe, expect, it } from 'vitest';
import {
  answerDirection,
  buildAudioSdp,
  negotiateAudio,
  nextSessionVersion,
  offeredCodecs,
  PCMA,
  PCMU,
  TELEPHONE_EVENT,
} from '../../../main/sdp/offer-answer';
import { parseSdp } from '../../../main/sdp/parse';
import { writeSdp } from '../../../main/sdp/write';
import type { Draft6Candidate, RfcCandidate, SessionDescription } from '../../../main/sdp/types';
import { loadSdpFixture } from '../../fixtures/sdp/load';

function parsed(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

const host: RfcCandidate = { dialect: 'rfc5245', foundation: '1', component: 1, transport: 'udp', priority: 2130706431, ip: '192.0.2.10', port: 5000, type: 'host', extensions: [] };
const relayTcp: RfcCandidate = { ...host, foundation: '4', transport: 'tcp', tcpType: 'passive', priority: 173015039, ip: '203.0.113.50', port: 52301, type: 'relay', relAddr: '198.51.100.30', relPort: 50023 };
const v6: RfcCandidate = { ...host, foundation: '6', priority: 33554431, ip: '2001:db8::10', port: 5010 };

describe('buildAudioSdp', () => {
  it('writes a v19 offer in Lync order, IPv6 as x-candidate-ipv6 when asked', () => {
    const d = buildAudioSdp({
      sessionId: '0',
      address: '192.0.2.10',
      port: 5000,
      bandwidthCT: 99980,
      label: 'main-audio',
      ssrcRange: { first: 7, last: 7 },
      ptime: 20,
      rtcpPort: 5001,
      ice: { ufrag: 'Ab3d', pwd: 'x9cml/YzichV2+XlhiMu8g', candidates: [host, relayTcp, v6], ipv6Attribute: 'x-candidate-ipv6' },
    });
    expect(writeSdp(d, { tcpSyntax: 'lync' })).toBe(
      [
        'v=0',
        'o=- 0 0 IN IP4 192.0.2.10',
        's=session',
        'c=IN IP4 192.0.2.10',
        'b=CT:99980',
        't=0 0',
        'm=audio 5000 RTP/AVP 0 8 101',
        'a=x-ssrc-range:7-7',
        'a=label:main-audio',
        'a=ice-ufrag:Ab3d',
        'a=ice-pwd:x9cml/YzichV2+XlhiMu8g',
        'a=candidate:1 1 UDP 2130706431 192.0.2.10 5000 typ host',
        'a=candidate:4 1 TCP-PASS 173015039 203.0.113.50 52301 typ relay raddr 198.51.100.30 rport 50023',
        'a=x-candidate-ipv6:6 1 UDP 33554431 2001:db8::10 5010 typ host',
        'a=rtcp:5001',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        '',
      ].join('\r\n'),
    );
    expect(parsed(writeSdp(d))).toEqual(d);
  });

  it('writes a draft-6 re-INVITE with the chosen remote candidate', () => {
    const c: Draft6Candidate = { dialect: 'draft6', username: 'dXNlcm5hbWUtb2YtMzItYnl0ZXMtYmFzZTY0LWVuY29kZWQ', component: 1, password: 'cGFzc3dvcmQtMTYtYnl0ZQ', transport: 'udp', priority: 0.84, ip: '192.0.2.10', port: 5000 };
    const text = writeSdp(buildAudioSdp({ sessionId: '0', sessionVersion: '1', address: '192.0.2.10', port: 5000, ice: { candidates: [c], remoteCandidate: 'cmVtb3Rl' } }));
    expect(text).toContain('a=candidate:dXNlcm5hbWUtb2YtMzItYnl0ZXMtYmFzZTY0LWVuY29kZWQ 1 cGFzc3dvcmQtMTYtYnl0ZQ UDP 0.840 192.0.2.10 5000\r\na=remote-candidate:cmVtb3Rl\r\n');
    expect(text).not.toContain('ice-ufrag');
  });

  it('bumps the session version for a re-offer (RFC 3264 §8), beyond 2^53 too', () => {
    const d = buildAudioSdp({ sessionId: '1', sessionVersion: '9007199254740993', address: '192.0.2.10', port: 5000 });
    expect(nextSessionVersion(d).origin.sessionVersion).toBe('9007199254740994');
  });
});

describe('negotiateAudio', () => {
  it('answers a Lync offer with PCMU, PCMA and DTMF, in the offer order', () => {
    const r = negotiateAudio(parsed(loadSdpFixture('sfb2016-offer-relay-tcp.sdp')));
    expect(r).toEqual({
      ok: true,
      value: {
        mediaIndex: 0,
        codecs: [PCMU, PCMA, TELEPHONE_EVENT],
        direction: 'sendrecv',
        remote: { address: '198.51.100.30', port: 41004, rtcpPort: 41005, rtcpMux: false },
      },
    });
  });

  it('resolves static payload types without rtpmap and keeps the offer payload numbers', () => {
    const d = parsed(loadSdpFixture('plain-phone.sdp'));
    expect(offeredCodecs(d.media[0]!).map((c) => c.encoding)).toEqual(['PCMA', 'PCMU', 'telephone-event']);
    const r = negotiateAudio(d, [PCMU, { ...TELEPHONE_EVENT, payloadType: 96 }]);
    expect(r.ok && r.value.codecs).toEqual([PCMU, { ...TELEPHONE_EVENT, fmtp: '0-16' }]);
  });

  it('uses rtcp-mux for RTCP when offered and no a=rtcp says otherwise', () => {
    const d = parsed(loadSdpFixture('rfc8445-phone.sdp'));
    expect(negotiateAudio(d)).toMatchObject({ ok: true, value: { remote: { rtcpPort: 50000, rtcpMux: true } } });
  });

  it('refuses offers it cannot answer', () => {
    const only = (fmt: string): string => ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', fmt].join('\r\n');
    expect(negotiateAudio(parsed(only('m=audio 5000 RTP/AVP 18')))).toMatchObject({ ok: false, error: { code: 'SDP_NEGOTIATION_FAILED', reason: 'no audio codec in common' } });
    expect(negotiateAudio(parsed(`${only('m=audio 5000 RTP/AVP 101')}\r\na=rtpmap:101 telephone-event/8000`))).toMatchObject({ ok: false });
    expect(negotiateAudio(parsed(only('m=audio 0 RTP/AVP 0')))).toMatchObject({ ok: false, error: { reason: 'no active audio stream in the offer' } });
    expect(negotiateAudio(parsed(only('m=audio 5000 UDP/TLS/RTP/SAVPF 0')))).toMatchObject({ ok: false, error: { reason: expect.stringContaining('unsupported transport') } });
  });

  it('answers directions per RFC 3264 §6.1', () => {
    expect(answerDirection('sendonly', 'sendrecv')).toBe('recvonly');
    expect(answerDirection('recvonly', 'sendrecv')).toBe('sendonly');
    expect(answerDirection('inactive', 'sendrecv')).toBe('inactive');
    expect(answerDirection('sendrecv', 'recvonly')).toBe('recvonly');
    expect(answerDirection('sendonly', 'sendonly')).toBe('inactive');
  });
});
