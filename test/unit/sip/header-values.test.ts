import { describe, expect, it } from 'vitest';
import { formatNameAddr, formatVia, parseCSeq, parseNameAddr, parseVia } from '../../../main/sip/header-values';
import { formatSipUri, parseSipUri } from '../../../main/sip/uri';
import { parseParams } from '../../../main/sip/params';

describe('Via', () => {
  it('reads transport, sent-by and the RFC 3581 parameters', () => {
    const r = parseVia('SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1;rport=49152;received=198.51.100.7');
    expect(r).toMatchObject({
      ok: true,
      value: { transport: 'UDP', host: '192.0.2.10', port: 5060, branch: 'z9hG4bK-1', rport: 49152, received: '198.51.100.7' },
    });
    expect(parseVia('SIP / 2.0 / tls [2001:db8::1]:5061;rport;branch=z9hG4bKx')).toMatchObject({
      ok: true,
      value: { transport: 'TLS', host: '2001:db8::1', port: 5061, rport: true },
    });
  });

  it('keeps quoted Lync parameters verbatim', () => {
    const r = parseVia('SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bKab;ms-internal-info="a;b=c";branched=FALSE');
    expect(r.ok && r.value.params['ms-internal-info']).toBe('"a;b=c"');
    expect(r.ok && r.value.params['branched']).toBe('FALSE');
  });

  it('rejects broken Vias with an offset', () => {
    expect(parseVia('SIP/2.0/UDP')).toMatchObject({ ok: false, error: { offset: 0 } });
    expect(parseVia('SIP/2.0/UDP host:99999;branch=x')).toMatchObject({ ok: false, error: { offset: 17 } });
    expect(parseVia('SIP/2.0/UDP host;rport=abc')).toMatchObject({ ok: false, error: { reason: 'bad rport "abc"' } });
    expect(parseVia('SIP/2.0/UDP host;bad name=1')).toMatchObject({ ok: false, error: { offset: 17 } });
    expect(parseVia('SIP/2.0/UDP host;x="open')).toMatchObject({ ok: false, error: { offset: 19 } });
  });

  it('formats with the magic-cookie branch and rport request', () => {
    expect(formatVia({ transport: 'udp', host: '::1', port: 5060, branch: 'z9hG4bKabc', rport: true })).toBe(
      'SIP/2.0/UDP [::1]:5060;branch=z9hG4bKabc;rport',
    );
  });
});

describe('name-addr', () => {
  it('reads display names, quoted or not, with and without space before "<"', () => {
    expect(parseNameAddr('"test2"<sip:test2@lync.loc>;tag=c5a4;epid=d2ff')).toMatchObject({
      ok: true,
      value: { displayName: 'test2', uri: 'sip:test2@lync.loc', params: { tag: 'c5a4', epid: 'd2ff' } },
    });
    expect(parseNameAddr('Alice Smith <sip:alice@example.test>')).toMatchObject({ ok: true, value: { displayName: 'Alice Smith' } });
    expect(parseNameAddr('"Bob \\"B\\", Jr" <sip:bob@example.test>')).toMatchObject({ ok: true, value: { displayName: 'Bob "B", Jr' } });
  });

  it('gives addr-spec parameters to the header, URI parameters inside <> to the URI', () => {
    expect(parseNameAddr('sip:alice@example.test;tag=88')).toMatchObject({
      ok: true,
      value: { uri: 'sip:alice@example.test', params: { tag: '88' }, bracketed: false },
    });
    expect(parseNameAddr('<sip:proxy.example.test;lr>')).toMatchObject({ ok: true, value: { uri: 'sip:proxy.example.test;lr' } });
  });

  it('rejects broken name-addrs', () => {
    expect(parseNameAddr('"open <sip:a@b>')).toMatchObject({ ok: false, error: { reason: 'unterminated display name' } });
    expect(parseNameAddr('<sip:a@b')).toMatchObject({ ok: false, error: { offset: 0 } });
    expect(parseNameAddr('<sip:a@b> junk')).toMatchObject({ ok: false, error: { offset: 9 } });
    expect(parseNameAddr('no-scheme')).toMatchObject({ ok: false });
  });

  it('formats, quoting display names that need it', () => {
    expect(formatNameAddr({ displayName: 'Bob, Jr', uri: 'sip:b@x', params: { tag: 't' } })).toBe('"Bob, Jr" <sip:b@x>;tag=t');
    expect(formatNameAddr({ uri: 'sip:b@x' })).toBe('<sip:b@x>');
  });
});

describe('CSeq', () => {
  it('reads number and method and bounds the number', () => {
    expect(parseCSeq('63104 OPTIONS')).toEqual({ ok: true, value: { seq: 63104, method: 'OPTIONS' } });
    expect(parseCSeq('x INVITE').ok).toBe(false);
    expect(parseCSeq('2147483648 INVITE').ok).toBe(false);
  });
});

describe('SIP URI', () => {
  it('reads every part (RFC 3261 §19.1.1)', () => {
    expect(parseSipUri('sips:alice:secret@[2001:db8::1]:5061;transport=tls;lr?Subject=hi&Priority=urgent')).toMatchObject({
      ok: true,
      value: {
        scheme: 'sips',
        user: 'alice',
        password: 'secret',
        host: '2001:db8::1',
        port: 5061,
        params: { transport: 'tls', lr: null },
        headers: { Subject: 'hi', Priority: 'urgent' },
      },
    });
  });

  it('reads a Lync GRUU with opaque and flag parameters', () => {
    const r = parseSipUri('sip:edge.example.test@example.test;gruu;opaque=srvr:MRAS:k9JWef');
    expect(r).toMatchObject({ ok: true, value: { user: 'edge.example.test', host: 'example.test', params: { gruu: null, opaque: 'srvr:MRAS:k9JWef' } } });
    if (r.ok) expect(formatSipUri(r.value)).toBe('sip:edge.example.test@example.test;gruu;opaque=srvr:MRAS:k9JWef');
  });

  it('lets the user part carry ";" (user-unreserved)', () => {
    expect(parseSipUri('sip:+1555;phone-context=x@gw.example.test')).toMatchObject({ ok: true, value: { user: '+1555;phone-context=x' } });
  });

  it('rejects what is not a SIP URI, with an offset', () => {
    expect(parseSipUri('tel:+1555')).toMatchObject({ ok: false, error: { offset: 0 } });
    expect(parseSipUri('sip:a@bad_host')).toMatchObject({ ok: false, error: { offset: 6 } });
    expect(parseSipUri('sip:a@host:0')).toMatchObject({ ok: false, error: { offset: 11 } });
    expect(parseSipUri('sip:@host').ok).toBe(false);
    expect(parseSipUri('sip:[::1').ok).toBe(false);
  });
});

describe('parameters', () => {
  it('lower-cases names, keeps values as written, and has no prototype to pollute', () => {
    const r = parseParams('Tag=AbC;__proto__=x;lr;;q="a;b"');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value['tag']).toBe('AbC');
    expect(r.value['lr']).toBeNull();
    expect(r.value['q']).toBe('"a;b"');
    expect(Object.getPrototypeOf(r.value)).toBeNull();
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});

describe('Contact', () => {
  it('accepts the wildcard of an un-REGISTER and ordinary name-addrs', async () => {
    const { parseContact } = await import('../../../main/sip/header-values');
    expect(parseContact(' * ')).toEqual({ ok: true, value: '*' });
    expect(parseContact('<sip:alice@192.0.2.10:5060;transport=udp>;expires=3600')).toMatchObject({
      ok: true,
      value: { uri: 'sip:alice@192.0.2.10:5060;transport=udp', params: { expires: '3600' } },
    });
  });
});
