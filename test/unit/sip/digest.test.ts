import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import {
  digestResponse,
  formatDigestChallenge,
  parseAuthParams,
  parseDigestAuthorization,
  parseDigestChallenge,
  userhash,
  verifyDigestAuthorization,
} from '../../../main/sip/digest';
import { DigestSession } from '../../../main/sip/digest-session';
import { parseSipMessage } from '../../../main/sip/parse';
import { getHeaders } from '../../../main/sip/message';
import { loadSipFixture } from '../../fixtures/sip/load';

// RFC 7616 §3.9.1: the same request answered with SHA-256 and with MD5.
const rfc7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  method: 'GET',
  uri: '/dir/index.html',
  qop: 'auth' as const,
  nc: 1,
};

describe('digest response vectors', () => {
  it('RFC 7616 §3.9.1 SHA-256', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('RFC 7616 §3.9.1 MD5', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 2617 §3.5 MD5 with qop=auth', () => {
    expect(
      digestResponse({
        algorithm: 'MD5',
        username: 'Mufasa',
        password: 'Circle Of Life',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        method: 'GET',
        uri: '/dir/index.html',
        qop: 'auth',
        cnonce: '0a4f113b',
        nc: 1,
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('RFC 7616 §3.9.2 userhash with SHA-512-256', () => {
    expect(userhash('SHA-512-256', 'J\u00e4s\u00f8n Doe', 'api@example.org')).toBe(
      '793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b',
    );
  });
});

describe('challenge and credentials parsing', () => {
  it('reads the RFC 7616 challenge, folded over lines in a SIP message', () => {
    const c = parseDigestChallenge(
      `Digest realm="${rfc7616.realm}", qop="auth, auth-int", algorithm=SHA-256, nonce="${rfc7616.nonce}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
    );
    expect(c).toEqual({
      ok: true,
      value: {
        realm: rfc7616.realm,
        nonce: rfc7616.nonce,
        opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
        algorithm: 'SHA-256',
        qop: ['auth', 'auth-int'],
        stale: false,
        userhash: false,
      },
    });
    const m = parseSipMessage(loadSipFixture('register-401.sip'));
    expect(m.ok && getHeaders(m.value, 'WWW-Authenticate').map((v) => parseDigestChallenge(v).ok)).toEqual([true, true]);
  });

  it('defaults to MD5, reads stale, and handles escapes', () => {
    expect(parseDigestChallenge('Digest realm="a\\"b", nonce=xyz, stale=TRUE')).toMatchObject({
      ok: true,
      value: { realm: 'a"b', nonce: 'xyz', algorithm: 'MD5', qop: [], stale: true },
    });
  });

  it('refuses other schemes and algorithms as unsupported, broken syntax as a parse error', () => {
    expect(parseDigestChallenge('NTLM realm="SIP Communications Service", targetname="fe.example.test", version=4')).toMatchObject({
      ok: false,
      error: { code: 'SIP_AUTH_UNSUPPORTED' },
    });
    expect(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-1')).toMatchObject({ ok: false, error: { code: 'SIP_AUTH_UNSUPPORTED' } });
    expect(parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-conf"')).toMatchObject({ ok: false, error: { code: 'SIP_AUTH_UNSUPPORTED' } });
    expect(parseDigestChallenge('Digest realm="open, nonce=x')).toMatchObject({ ok: false, error: { code: 'SIP_PARSE', offset: 13 } });
    expect(parseDigestChallenge('Digest realm')).toMatchObject({ ok: false, error: { code: 'SIP_PARSE', offset: 7 } });
    expect(parseDigestChallenge('Digest nonce="n"')).toMatchObject({ ok: false, error: { code: 'SIP_PARSE', reason: expect.stringContaining('realm') } });
    expect(parseAuthParams('')).toMatchObject({ ok: false });
  });

  it('writes a challenge our parser reads back', () => {
    const text = formatDigestChallenge({ realm: 'lab', nonce: 'n1', opaque: 'o', algorithm: 'SHA-256', qop: ['auth'], stale: true });
    expect(text).toBe('Digest realm="lab", nonce="n1", opaque="o", algorithm=SHA-256, qop="auth", stale=TRUE');
    expect(parseDigestChallenge(text)).toMatchObject({ ok: true, value: { stale: true, algorithm: 'SHA-256' } });
  });

  it('rejects credentials that are missing fields or carry a bad nc', () => {
    const base = 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="00"';
    expect(parseDigestAuthorization(base).ok).toBe(true);
    expect(parseDigestAuthorization('Digest username="u"')).toMatchObject({ ok: false, error: { reason: expect.stringContaining('realm') } });
    expect(parseDigestAuthorization(`${base}, qop=auth, cnonce="c", nc=1`)).toMatchObject({ ok: false, error: { reason: 'bad nc "1"' } });
    expect(parseDigestAuthorization(`${base}, qop=auth`)).toMatchObject({ ok: false, error: { reason: 'qop without nc and cnonce' } });
  });
});

describe('DigestSession', () => {
  const creds = { username: 'alice', password: 's3cret' };
  const challenge = 'Digest realm="example.test", nonce="n-1", opaque="op", algorithm=SHA-256, qop="auth"';

  it('answers a 401, then reuses the nonce with nc incremented', () => {
    const s = new DigestSession(creds, new SeededRandom(1));
    expect(s.authorize('REGISTER', 'sip:example.test')).toEqual([]);
    expect(s.onChallenge(401, [challenge])).toEqual({ ok: true, value: 'retry' });
    const [first] = s.authorize('REGISTER', 'sip:example.test');
    const [second] = s.authorize('REGISTER', 'sip:example.test');
    expect(first!.name).toBe('Authorization');
    const a1 = parseDigestAuthorization(first!.value);
    const a2 = parseDigestAuthorization(second!.value);
    expect(a1).toMatchObject({ ok: true, value: { username: 'alice', nc: 1, qop: 'auth', opaque: 'op', algorithm: 'SHA-256', uri: 'sip:example.test' } });
    expect(a2).toMatchObject({ ok: true, value: { nc: 2 } });
    expect(first!.value).toContain('nc=00000001');
    if (!a1.ok || !a2.ok) return;
    expect(a1.value.cnonce).toMatch(/^[0-9a-f]{32}$/);
    expect(a1.value.cnonce).not.toBe(a2.value.cnonce);
    // What the registrar checks: right password passes, wrong password fails.
    const expectAlice = { method: 'REGISTER', realm: 'example.test', username: 'alice', password: 's3cret', requestUri: 'sip:example.test' };
    expect(verifyDigestAuthorization(a2.value, expectAlice)).toEqual({ ok: true, value: true });
    expect(verifyDigestAuthorization(a2.value, { ...expectAlice, password: 'nope' })).toMatchObject({ ok: false, error: { code: 'SIP_AUTH_FAILED' } });
    expect(verifyDigestAuthorization(a2.value, { ...expectAlice, requestUri: 'sip:other' })).toMatchObject({ ok: false });
    expect(verifyDigestAuthorization(a2.value, { ...expectAlice, method: 'INVITE' })).toMatchObject({ ok: false });
  });

  it('answers 407 with Proxy-Authorization and prefers the topmost supported challenge', () => {
    const s = new DigestSession(creds, new SeededRandom(2));
    s.onChallenge(407, ['Digest realm="p", nonce="x", algorithm=UNKNOWN, qop="auth"', 'Digest realm="p", nonce="y", algorithm=MD5', 'Digest realm="p", nonce="z", algorithm=SHA-256']);
    const [h] = s.authorize('INVITE', 'sip:bob@example.test');
    expect(h!.name).toBe('Proxy-Authorization');
    // No qop offered: the RFC 2069 form, without cnonce and nc.
    expect(parseDigestAuthorization(h!.value)).toMatchObject({ ok: true, value: { nonce: 'y', algorithm: 'MD5' } });
    expect(h!.value).not.toContain('nc=');
  });

  it('tells a refused password from a stale nonce', () => {
    const s = new DigestSession(creds, new SeededRandom(3));
    s.onChallenge(401, [challenge]);
    s.authorize('REGISTER', 'sip:example.test');
    // Re-challenged after a first use: stale=true is a retry, otherwise the password is wrong.
    expect(s.onChallenge(401, [challenge.replace('n-1', 'n-2') + ', stale=true'])).toEqual({ ok: true, value: 'retry' });
    s.authorize('REGISTER', 'sip:example.test');
    expect(s.onChallenge(401, [challenge.replace('n-1', 'n-3')])).toMatchObject({
      ok: false,
      error: { code: 'SIP_AUTH_FAILED', realm: 'example.test' },
    });
  });

  it('retries once when a reused nonce is refused', () => {
    const s = new DigestSession(creds, new SeededRandom(4));
    s.onChallenge(401, [challenge]);
    s.authorize('REGISTER', 'sip:example.test');
    s.authorize('REGISTER', 'sip:example.test'); // refresh with nc=2, server expired the nonce
    expect(s.onChallenge(401, [challenge.replace('n-1', 'n-9')]).ok).toBe(true);
  });

  it('reports NTLM-only servers as unsupported', () => {
    const s = new DigestSession(creds, new SeededRandom(5));
    expect(s.onChallenge(401, ['NTLM realm="SIP Communications Service", version=4', 'Kerberos realm="SIP Communications Service"'])).toMatchObject({
      ok: false,
      error: { code: 'SIP_AUTH_UNSUPPORTED' },
    });
  });

  it('sends H(username:realm) when the challenge asks for userhash', () => {
    const s = new DigestSession(creds, new SeededRandom(6));
    s.onChallenge(401, ['Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth", userhash=true']);
    const [h] = s.authorize('REGISTER', 'sip:r');
    expect(parseDigestAuthorization(h!.value)).toMatchObject({ ok: true, value: { username: userhash('SHA-256', 'alice', 'r'), userhash: true } });
  });
});
