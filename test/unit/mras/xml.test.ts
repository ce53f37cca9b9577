import { describe, expect, it } from 'vitest';
import { redactText } from '../../../main/common/redact';
import {
  buildMrasRequest,
  buildMrasResponse,
  credentialsRequestFor,
  grantFromResponse,
  parseMrasRequest,
  parseMrasResponse,
  readMrasGrant,
} from '../../../main/mras/xml';
import type { MrasResponse } from '../../../main/mras/types';
import { loadMrasFixture } from '../../fixtures/mras/load';

const request = credentialsRequestFor({
  requestId: '1193044377',
  identity: 'sip:alice@example.test',
  mrasUri: 'sip:fe01.example.test@example.test;gruu;opaque=srvr:MRAS:Wq3cH0kZ1UeG8dJx2mYbTQAA',
  location: 'internet',
});

describe('MRAS request ([MS-AVEDGEA] 2.2.2)', () => {
  it('is written with the mrasp namespace, version 2.0 and an 8-hour duration', () => {
    expect(buildMrasRequest(request)).toBe(
      '<request requestID="1193044377" from="sip:alice@example.test" version="2.0" ' +
        'to="sip:fe01.example.test@example.test;gruu;opaque=srvr:MRAS:Wq3cH0kZ1UeG8dJx2mYbTQAA" ' +
        'xmlns="http://schemas.microsoft.com/2006/09/sip/mrasp">' +
        '<credentialsRequest credentialsRequestID="1193044377"><identity>sip:alice@example.test</identity>' +
        '<location>internet</location><duration>480</duration></credentialsRequest></request>',
    );
  });

  it('is read back by the server side, escaping included', () => {
    const odd = { ...request, from: 'sip:a&b@example.test', route: 'loadbalanced' };
    expect(parseMrasRequest(buildMrasRequest(odd))).toEqual({ ok: true, value: odd });
  });

  it('refuses requests the service cannot serve', () => {
    expect(parseMrasRequest('<request requestID="1" version="2.0"/>')).toMatchObject({ ok: false, error: { code: 'MRAS_PARSE', reason: expect.stringContaining('requestID, from, to') } });
    const noCreds = '<request requestID="1" from="a" to="b" version="2.0"></request>';
    expect(parseMrasRequest(noCreds)).toMatchObject({ ok: false, error: { reason: expect.stringContaining('got 0') } });
    const badLocation = buildMrasRequest(request).replace('internet', 'mars');
    expect(parseMrasRequest(badLocation)).toMatchObject({ ok: false, error: { reason: expect.stringContaining('mars') } });
  });
});

describe('MRAS response ([MS-AVEDGEA] 2.2.3)', () => {
  it('gives credentials and every relay, by name or by address', () => {
    const g = readMrasGrant(loadMrasFixture('mras-response-ok.xml'), '1193044377');
    expect(g).toEqual({
      ok: true,
      value: {
        credentials: {
          username: 'AgAAJBvTMgkB2l8lP1r0kmHnXoQK3v6aZ0XbJ1gAAAAAz5Vv5bP9dD0=',
          password: 'ZmFrZS1wYXNzd29yZC1mb3ItYS1maXh0dXJl',
          durationMinutes: 480,
        },
        relays: [
          { location: 'internet', hostName: 'av.example.test', udpPort: 3478, tcpPort: 443 },
          { location: 'intranet', directIPAddress: '10.0.0.50', udpPort: 3478, tcpPort: 443 },
        ],
      },
    });
  });

  it('ignores namespace prefixes, element case and surrounding white space', () => {
    expect(readMrasGrant(loadMrasFixture('mras-response-prefixed.xml'))).toEqual({
      ok: true,
      value: {
        credentials: { username: 'user&name', password: 'cGFzcw==', durationMinutes: 60 },
        relays: [{ location: 'internet', hostName: 'relay.example.test', udpPort: 3478 }],
      },
    });
  });

  it('turns refusals into MRAS_FAILED with the reason phrase', () => {
    expect(readMrasGrant(loadMrasFixture('mras-response-malformed.xml'))).toEqual({
      ok: false,
      error: { code: 'MRAS_FAILED', reason: 'MRAS refused: Request Malformed', reasonPhrase: 'Request Malformed' },
    });
    const noRelay = buildMrasResponse({
      requestId: '5',
      reasonPhrase: 'OK',
      credentialsResponses: [{ credentialsRequestId: '5', credentials: { username: 'u', password: 'p', durationMinutes: 480 }, mediaRelays: [] }],
    });
    expect(readMrasGrant(noRelay)).toMatchObject({ ok: false, error: { code: 'MRAS_FAILED', reason: expect.stringContaining('media relay') } });
    const noCreds = buildMrasResponse({ requestId: '5', reasonPhrase: 'OK', credentialsResponses: [{ credentialsRequestId: '5', mediaRelays: [{ hostName: 'h' }] }] });
    expect(readMrasGrant(noCreds)).toMatchObject({ ok: false, error: { code: 'MRAS_FAILED', reason: expect.stringContaining('without credentials') } });
    expect(readMrasGrant(loadMrasFixture('mras-response-ok.xml'), '999')).toMatchObject({ ok: false, error: { code: 'MRAS_FAILED' } });
  });

  it('reports unreadable documents as MRAS_PARSE, with the XML line when there is one', () => {
    expect(parseMrasResponse('<response reasonPhrase="OK">\n<credentialsResponse>\n</response>')).toMatchObject({
      ok: false,
      error: { code: 'MRAS_PARSE', line: 3 },
    });
    expect(parseMrasResponse('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><response reasonPhrase="OK"/>')).toMatchObject({
      ok: false,
      error: { reason: 'DTDs are not accepted' },
    });
    expect(parseMrasResponse('<request/>')).toMatchObject({ ok: false, error: { reason: 'root element is not <response>' } });
    expect(parseMrasResponse('<response/>')).toMatchObject({ ok: false, error: { reason: 'response without reasonPhrase' } });
    const relay = (inner: string): string =>
      `<response reasonPhrase="OK"><credentialsResponse><mediaRelayList><mediaRelay>${inner}</mediaRelay></mediaRelayList></credentialsResponse></response>`;
    expect(parseMrasResponse(relay('<udpPort>3478</udpPort>'))).toMatchObject({ ok: false, error: { reason: 'mediaRelay 1 has neither hostName nor directIPAddress' } });
    expect(parseMrasResponse(relay('<hostName>h</hostName><tcpPort>70000</tcpPort>'))).toMatchObject({ ok: false, error: { reason: 'tcpPort "70000" is not a port' } });
    expect(parseMrasResponse('x'.repeat(70_000))).toMatchObject({ ok: false, error: { code: 'MRAS_PARSE' } });
    expect(parseMrasResponse('<a>'.repeat(5000))).toMatchObject({ ok: false, error: { reason: 'more than 4000 tags' } });
  });

  it('builds what the lab MRAS service sends, and the client reads it back exactly', () => {
    const resp: MrasResponse = {
      requestId: '1193044377',
      version: '2.0',
      serverVersion: '2.0',
      to: 'sip:alice@example.test',
      from: 'sip:lab@example.test',
      reasonPhrase: 'OK',
      credentialsResponses: [
        {
          credentialsRequestId: '1193044377',
          credentials: { username: '1700000000:alice', password: 'b64/HMAC+==', durationMinutes: 480, realm: 'lab' },
          mediaRelays: [{ location: 'internet', directIPAddress: '127.0.0.1', udpPort: 3478, tcpPort: 3478 }],
        },
      ],
    };
    expect(parseMrasResponse(buildMrasResponse(resp))).toEqual({ ok: true, value: resp });
    expect(grantFromResponse(resp, '1193044377').ok).toBe(true);
  });

  it('never shows the password once redacted, prefixed or not', () => {
    for (const name of ['mras-response-ok.xml', 'mras-response-prefixed.xml']) {
      const shown = redactText(loadMrasFixture(name));
      expect(shown).not.toMatch(/ZmFrZS1wYXNzd29yZC1mb3ItYS1maXh0dXJl|cGFzcw==/);
      expect(shown).toContain('«redacted»');
    }
  });
});
