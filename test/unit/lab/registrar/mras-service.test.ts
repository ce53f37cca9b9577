import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { answerMrasService, defaultMrasUri, relaysFor, sameServiceUri, type MrasServiceContext } from '../../../../main/lab/registrar/mras-service';
import { answerProvisioning } from '../../../../main/lab/registrar/provisioning';
import { DEFAULT_REGISTRAR_KNOBS, type LabMrasConfig } from '../../../../main/lab/registrar/types';
import { parseServerConfiguration } from '../../../../main/mras/provisioning-xml';
import { MRAS_CONTENT_TYPE, type MediaRelay } from '../../../../main/mras/types';
import { buildMrasRequest, credentialsRequestFor, parseMrasResponse, readMrasGrant } from '../../../../main/mras/xml';
import { buildProvisioningRequest } from '../../../../main/mras/provisioning-xml';
import { getHeader, sipRequest, type SipRequest } from '../../../../main/sip/message';

const MRAS_URI = defaultMrasUri('lab.test');
const external: MediaRelay = { location: 'internet', hostName: 'av.lab.test', udpPort: 3478, tcpPort: 443 };
const internal: MediaRelay = { location: 'intranet', directIPAddress: '10.0.0.5', udpPort: 3478, tcpPort: 443 };
const cfg: LabMrasConfig = { enabled: true, relays: [external, internal], turnSecret: 's3cret' };
const WALL = Date.UTC(2026, 0, 1);

function ctx(over: Partial<MrasServiceContext> = {}): MrasServiceContext {
  return {
    mrasUri: MRAS_URI,
    wallNow: WALL,
    knobs: DEFAULT_REGISTRAR_KNOBS,
    knownIdentity: (id) => (id === 'sip:alice@lab.test' ? 'alice' : undefined),
    ...over,
  };
}

function service(body: string, contentType = MRAS_CONTENT_TYPE, method = 'SERVICE'): SipRequest {
  return sipRequest(method, MRAS_URI, [
    ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1'],
    ['From', '<sip:alice@lab.test>;tag=1'],
    ['To', `<${MRAS_URI}>`],
    ['Call-ID', 'c1'],
    ['CSeq', `1 ${method}`],
    ['Content-Type', contentType],
  ], body);
}

const ask = (location: 'internet' | 'intranet' = 'internet', durationMinutes = 480, identity = 'sip:alice@lab.test', to = MRAS_URI) =>
  buildMrasRequest(credentialsRequestFor({ requestId: '77', identity, mrasUri: to, location, durationMinutes }));

describe('lab MRAS service', () => {
  it('mints REST-style TURN credentials from the shared secret, 480 minutes, with the relays for the location', () => {
    const a = answerMrasService(service(ask()), cfg, ctx());
    expect(a.status).toBe(200);
    expect(a.headers).toContainEqual(['Content-Type', MRAS_CONTENT_TYPE]);
    const g = readMrasGrant(a.body, '77');
    expect(g.ok).toBe(true);
    if (!g.ok) return;
    const expiry = WALL / 1000 + 480 * 60;
    expect(g.value.credentials.username).toBe(`${expiry}:alice`);
    // What coturn computes with --static-auth-secret: base64 HMAC-SHA1(secret, username).
    expect(g.value.credentials.password).toBe(createHmac('sha1', 's3cret').update(`${expiry}:alice`).digest('base64'));
    expect(g.value.credentials.durationMinutes).toBe(480);
    expect(g.value.relays).toEqual([external]);
    expect(a.outcome).toMatchObject({ kind: 'issued', identity: 'sip:alice@lab.test', location: 'internet', username: `${expiry}:alice`, expiresAtUnix: expiry, durationMinutes: 480 });
    const intranet = readMrasGrant(answerMrasService(service(ask('intranet')), cfg, ctx()).body);
    expect(intranet.ok && intranet.value.relays).toEqual([internal]);
  });

  it('grants no more than its configured duration, and what a client asks when shorter', () => {
    const short = readMrasGrant(answerMrasService(service(ask('internet', 60)), cfg, ctx()).body);
    expect(short.ok && short.value.credentials.durationMinutes).toBe(60);
    const capped = readMrasGrant(answerMrasService(service(ask('internet', 900)), { ...cfg, durationMinutes: 240, realm: 'lab.test' }, ctx()).body);
    expect(capped.ok && capped.value.credentials).toMatchObject({ durationMinutes: 240, realm: 'lab.test' });
  });

  it('echoes requestID, to and from in the response', () => {
    const r = parseMrasResponse(answerMrasService(service(ask()), cfg, ctx()).body);
    expect(r.ok && r.value).toMatchObject({ requestId: '77', to: MRAS_URI, from: 'sip:alice@lab.test', reasonPhrase: 'OK', serverVersion: '2.0' });
  });

  it('refuses a wrong Content-Type with 415 and Accept, and other methods with 405 (no XML)', () => {
    const ct = answerMrasService(service(ask(), 'application/xml'), cfg, ctx());
    expect(ct).toMatchObject({ status: 415, body: '', outcome: { kind: 'refused', reason: expect.stringContaining('UnsupportedContentType') } });
    expect(ct.headers).toContainEqual(['Accept', MRAS_CONTENT_TYPE]);
    const m = answerMrasService(service(ask(), MRAS_CONTENT_TYPE, 'INFO'), cfg, ctx());
    expect(m).toMatchObject({ status: 405, body: '', outcome: { kind: 'refused' } });
    expect(m.headers).toContainEqual(['Allow', 'SERVICE']);
    // Parameters on the media type do not matter.
    expect(answerMrasService(service(ask(), `${MRAS_CONTENT_TYPE}; charset=utf-8`), cfg, ctx()).status).toBe(200);
  });

  it('says Request Malformed for unreadable XML, a foreign `to` or an unknown identity', () => {
    for (const body of ['<nope', ask('internet', 480, 'sip:alice@lab.test', 'sip:elsewhere@x.test'), ask('internet', 480, 'sip:mallory@lab.test')]) {
      const a = answerMrasService(service(body), cfg, ctx());
      expect(a.status).toBe(200);
      expect(readMrasGrant(a.body)).toMatchObject({ ok: false, error: { code: 'MRAS_FAILED', reasonPhrase: 'Request Malformed' } });
    }
  });

  it('answers the mrasError knob with that reasonPhrase and no credentials', () => {
    const a = answerMrasService(service(ask()), cfg, ctx({ knobs: { ...DEFAULT_REGISTRAR_KNOBS, mrasError: 'Internal Server Error' } }));
    expect(readMrasGrant(a.body, '77')).toMatchObject({ ok: false, error: { code: 'MRAS_FAILED', reasonPhrase: 'Internal Server Error' } });
    expect(a.body).not.toContain('<password>');
  });

  it('matches its URI by user, host, port and opaque', () => {
    expect(sameServiceUri(MRAS_URI, 'sip:mras@LAB.test;opaque=srvr:MRAS:lab;gruu')).toBe(true);
    expect(sameServiceUri(MRAS_URI, 'sip:mras@lab.test;gruu;opaque=srvr:MRAS:other')).toBe(false);
    expect(sameServiceUri(MRAS_URI, 'sip:alice@lab.test')).toBe(false);
  });

  it('falls back to every relay when none is labelled for the location', () => {
    expect(relaysFor([external], 'intranet')).toEqual([external]);
    expect(relaysFor([{ hostName: 'x' }, internal], 'internet')).toEqual([{ hostName: 'x' }]);
  });
});

describe('lab provisioning answer', () => {
  const subscribe = (event = 'vnd-microsoft-provisioning-v2') =>
    sipRequest('SUBSCRIBE', 'sip:alice@lab.test', [
      ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK2'],
      ['From', '<sip:alice@lab.test>;tag=1'],
      ['To', '<sip:alice@lab.test>'],
      ['Call-ID', 'c2'],
      ['CSeq', '1 SUBSCRIBE'],
      ['Event', event],
      ['Expires', '0'],
    ], buildProvisioningRequest());

  it('carries mrasUri, qosUri and the audio port range in ServerConfiguration', () => {
    const a = answerProvisioning(subscribe(), { mrasUri: MRAS_URI, qosUri: 'sip:qos@lab.test', minAudioPort: 50000, maxAudioPort: 50019 }, '<sip:192.0.2.9:5060;transport=udp>');
    expect(a.status).toBe(200);
    expect(a.headers).toContainEqual(['Content-Type', 'application/vnd-microsoft-roaming-provisioning-v2+xml']);
    expect(a.headers).toContainEqual(['Expires', '0']);
    const sc = parseServerConfiguration(a.body);
    expect(sc.ok && sc.value).toMatchObject({ mrasUri: MRAS_URI, qosUri: 'sip:qos@lab.test', ucMinAudioPort: 50000, ucMaxAudioPort: 50019 });
  });

  it('leaves mrasUri out when there is none (no Edge)', () => {
    const sc = parseServerConfiguration(answerProvisioning(subscribe(), {}, '<sip:x>').body);
    expect(sc.ok && sc.value.mrasUri).toBeUndefined();
  });

  it('refuses other event packages with 489 and Allow-Events', () => {
    const a = answerProvisioning(subscribe('presence'), {}, '<sip:x>');
    expect(a.status).toBe(489);
    expect(a.headers).toContainEqual(['Allow-Events', 'vnd-microsoft-provisioning-v2']);
    expect(getHeader(subscribe('Vnd-Microsoft-Provisioning-V2;id=1'), 'Event')).toBeDefined();
    expect(answerProvisioning(subscribe('Vnd-Microsoft-Provisioning-V2;id=1'), {}, '<sip:x>').status).toBe(200);
  });
});
