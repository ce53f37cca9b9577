import { describe, expect, it } from 'vitest';
import { parseSipMessage } from '../../../main/sip/parse';
import { getHeader, getHeaders, type SipMessage } from '../../../main/sip/message';
import { serializeSipMessage } from '../../../main/sip/serialize';
import { loadSipFixture } from '../../fixtures/sip/load';

function parsed(text: string | Uint8Array): SipMessage {
  const r = parseSipMessage(text);
  if (!r.ok) throw new Error(`unexpected parse error: ${JSON.stringify(r.error)}`);
  return r.value;
}

function parseError(text: string | Uint8Array): { offset: number; reason: string } {
  const r = parseSipMessage(text);
  if (r.ok) throw new Error('expected a parse error');
  expect(r.error.code).toBe('SIP_PARSE');
  return r.error;
}

const base = [
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1',
  'From: <sip:a@example.test>;tag=1',
  'To: <sip:b@example.test>',
  'Call-ID: c1',
];

function request(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

describe('parseSipMessage: start lines', () => {
  it('reads a request line', () => {
    const m = parsed(request(['OPTIONS sip:b@example.test SIP/2.0', ...base, 'CSeq: 1 OPTIONS']));
    expect(m).toMatchObject({ kind: 'request', method: 'OPTIONS', uri: 'sip:b@example.test', body: '' });
  });

  it('reads a status line, empty reason phrase included', () => {
    const m = parsed(request(['SIP/2.0 183 Session Progress', ...base, 'CSeq: 1 INVITE']));
    expect(m).toMatchObject({ kind: 'response', status: 183, reason: 'Session Progress' });
    expect(parsed(request(['SIP/2.0 200', ...base, 'CSeq: 1 INVITE']))).toMatchObject({ status: 200, reason: '' });
  });

  it('skips CRLFs before the start line (RFC 3261 §7.5)', () => {
    const m = parsed(`\r\n\r\n${request(['OPTIONS sip:b@example.test SIP/2.0', ...base, 'CSeq: 1 OPTIONS'])}`);
    expect(m.kind).toBe('request');
  });

  it('names the byte where a start line goes wrong', () => {
    expect(parseError(request(['OPTIONS sip:b@example.test SIP/3.0', ...base, 'CSeq: 1 OPTIONS']))).toMatchObject({
      offset: 27,
      reason: expect.stringContaining('unsupported version'),
    });
    expect(parseError(request(['SIP/2.0 99 Odd', ...base, 'CSeq: 1 OPTIONS'])).offset).toBe(8);
    expect(parseError(request(['SIP/2.0 700 Odd', ...base, 'CSeq: 1 OPTIONS'])).reason).toMatch(/out of range/);
    expect(parseError(request(['OPT@ONS sip:b SIP/2.0', ...base, 'CSeq: 1 OPTIONS']))).toMatchObject({ offset: 0 });
    expect(parseError(request(['OPTIONS nocolon SIP/2.0', ...base, 'CSeq: 1 OPTIONS']))).toMatchObject({ offset: 8 });
    expect(parseError(request(['OPTIONS', ...base, 'CSeq: 1 OPTIONS'])).reason).toMatch(/METHOD URI/);
  });
});

describe('parseSipMessage: headers', () => {
  it('maps compact forms, unfolds continuation lines and splits comma lists', () => {
    const m = parsed(loadSipFixture('options-compact.sip'));
    expect(getHeaders(m, 'Via')).toEqual([
      'SIP/2.0/TCP 10.0.0.5:50601;branch=z9hG4bK776asdhds;rport',
      'SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKnashds8;received=192.0.2.1',
    ]);
    expect(getHeader(m, 'to')).toBe('"Bob, the Builder" <sip:bob@example.test>');
    expect(getHeader(m, 'i')).toBe('a84b4c76e66710@pc33.example.test');
    expect(getHeaders(m, 'Contact')).toEqual([
      '<sip:alice@10.0.0.5:50601;transport=tcp>;expires=60',
      '"Second" <sip:alice@[2001:db8::5]:5060>;q=0.5',
    ]);
    expect(getHeaders(m, 'Supported')).toEqual(['timer', '100rel']);
    expect(getHeaders(m, 'Allow')).toHaveLength(5);
    // Not a list header: the comma inside stays.
    expect(getHeaders(m, 'WWW-Authenticate')).toEqual(['Digest realm="x", nonce="a,b"']);
    expect(m.headers.map((h) => h.name)).toContain('Call-ID');
  });

  it('keeps repeated headers in order and unknown names as spelled', () => {
    const m = parsed(loadSipFixture('lync-invite-multipart.sip'));
    expect(getHeaders(m, 'Supported')).toEqual(['ms-dialog-route-set-update', 'timer', 'histinfo', 'ms-early-media', '100rel']);
    expect(getHeader(m, 'ms-keep-alive')).toBe('UAC;hop-hop=yes');
    expect(m.headers.find((h) => h.name.toLowerCase() === 'ms-conversation-id')?.name).toBe('Ms-Conversation-ID');
    expect(getHeaders(m, 'Via')).toHaveLength(2);
    expect(m.body.startsWith('------=_NextPart_000_0042_01D5A1B2.C3D4E5F6\r\n')).toBe(true);
  });

  it('unfolds a folded WWW-Authenticate into one value', () => {
    const m = parsed(loadSipFixture('register-401.sip'));
    expect(getHeaders(m, 'WWW-Authenticate')[0]).toBe(
      'Digest realm="example.test", nonce="5f2b8c1e0a7d4e3b", opaque="6e1a", algorithm=SHA-256, qop="auth"',
    );
  });

  it('decodes UTF-8 in header values and bodies', () => {
    const m = parsed(request(['MESSAGE sip:b@example.test SIP/2.0', ...base.slice(0, 1), 'From: "Zoë Ünal" <sip:z@example.test>;tag=9', base[2]!, base[3]!, 'CSeq: 2 MESSAGE'], 'héllo'));
    expect(getHeader(m, 'From')).toBe('"Zoë Ünal" <sip:z@example.test>;tag=9');
    expect(m.body).toBe('héllo');
  });

  it('accepts bare LF line ends', () => {
    const m = parsed(request(['OPTIONS sip:b@example.test SIP/2.0', ...base, 'CSeq: 1 OPTIONS']).replace(/\r\n/g, '\n'));
    expect(getHeader(m, 'CSeq')).toBe('1 OPTIONS');
  });

  it('reports malformed header lines at their offset', () => {
    const text = request(['OPTIONS sip:b@example.test SIP/2.0', ...base, 'this line has no colon', 'CSeq: 1 OPTIONS']);
    expect(parseError(text)).toMatchObject({ offset: text.indexOf('this line'), reason: expect.stringContaining('without ":"') });
    const bad = request(['OPTIONS sip:b@example.test SIP/2.0', ...base, 'Bad Name: x', 'CSeq: 1 OPTIONS']);
    expect(parseError(bad)).toMatchObject({ offset: bad.indexOf('Bad Name'), reason: expect.stringContaining('bad header name') });
    const cont = 'OPTIONS sip:b@example.test SIP/2.0\r\n folded-first\r\n\r\n';
    expect(parseError(cont)).toMatchObject({ offset: 36, reason: expect.stringContaining('continuation') });
  });

  it('requires the headers every transaction needs', () => {
    const text = request(['OPTIONS sip:b@example.test SIP/2.0', ...base]);
    expect(parseError(text)).toMatchObject({ reason: 'missing CSeq header', offset: text.indexOf('\r\n\r\n') + 2 });
    const badVia = request(['OPTIONS sip:b@example.test SIP/2.0', 'Via: SIP/2.0/UDP', ...base.slice(1), 'CSeq: 1 OPTIONS']);
    expect(parseError(badVia).offset).toBe(badVia.indexOf('SIP/2.0/UDP'));
    const mismatch = request(['OPTIONS sip:b@example.test SIP/2.0', ...base, 'CSeq: 1 INVITE']);
    expect(parseError(mismatch)).toMatchObject({ offset: mismatch.indexOf('1 INVITE'), reason: expect.stringContaining('differs') });
    const twoCallIds = request(['OPTIONS sip:b@example.test SIP/2.0', ...base, 'Call-ID: c2', 'CSeq: 1 OPTIONS']);
    expect(parseError(twoCallIds)).toMatchObject({ offset: twoCallIds.indexOf('Call-ID: c2'), reason: expect.stringContaining('more than one') });
    expect(parseError(request(['OPTIONS sip:b@example.test SIP/2.0', ...base, 'CSeq: 2147483648 OPTIONS'])).reason).toMatch(/2\^31/);
  });

  it('enforces the header count and line length limits', () => {
    const many = Array.from({ length: 300 }, (_, i) => `X-H${i}: v`);
    const text = request(['OPTIONS sip:b@example.test SIP/2.0', ...base, 'CSeq: 1 OPTIONS', ...many]);
    expect(parseError(text)).toMatchObject({ reason: 'more than 256 headers', offset: text.indexOf('X-H251:') });
    const long = request(['OPTIONS sip:b@example.test SIP/2.0', ...base, `X-Long: ${'a'.repeat(9000)}`, 'CSeq: 1 OPTIONS']);
    expect(parseError(long)).toMatchObject({ offset: long.indexOf('X-Long'), reason: expect.stringContaining('line longer') });
    const split = 'OPTIONS sip:b@example.test SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\nX: 1\r\n' + ' more text\r\n'.repeat(1000) + '\r\n';
    expect(parseError(split).reason).toMatch(/after unfolding/);
  });
});

describe('parseSipMessage: Content-Length and size', () => {
  const head = ['MESSAGE sip:b@example.test SIP/2.0', ...base, 'CSeq: 1 MESSAGE'];

  it('cuts a datagram at Content-Length and ignores the excess (RFC 3261 §18.3)', () => {
    const text = `${head.join('\r\n')}\r\nContent-Length: 5\r\n\r\nhello world`;
    expect(parsed(text).body).toBe('hello');
  });

  it('takes the rest of a datagram when Content-Length is absent', () => {
    expect(parsed(`${head.join('\r\n')}\r\n\r\nall of it`).body).toBe('all of it');
  });

  it('counts Content-Length in bytes, not characters', () => {
    const text = `${head.join('\r\n')}\r\nl: 6\r\n\r\nhéllo`;
    expect(parsed(text).body).toBe('héllo');
  });

  it('rejects short bodies and bad lengths at the right offset', () => {
    const short = `${head.join('\r\n')}\r\nContent-Length: 50\r\n\r\nhello`;
    expect(parseError(short)).toMatchObject({ offset: short.indexOf('hello'), reason: 'Content-Length 50 but only 5 body bytes' });
    const neg = `${head.join('\r\n')}\r\nContent-Length: -1\r\n\r\n`;
    expect(parseError(neg).offset).toBe(neg.indexOf('-1'));
    const two = `${head.join('\r\n')}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`;
    expect(parseError(two).reason).toBe('conflicting Content-Length headers');
  });

  it('refuses messages over the size limit and unterminated headers', () => {
    const big = new Uint8Array(70 * 1024).fill(0x41);
    expect(parseError(big)).toMatchObject({ offset: 65536 });
    const open = 'OPTIONS sip:b@example.test SIP/2.0\r\nVia: x';
    expect(parseError(open)).toMatchObject({ offset: open.length, reason: expect.stringContaining('empty line') });
    expect(parseError('\r\n\r\n').reason).toBe('empty message');
  });
});

describe('serializeSipMessage', () => {
  it('round-trips the fixtures (parse → write → parse is stable)', () => {
    for (const name of ['options-compact.sip', 'register-401.sip', 'lync-invite-multipart.sip']) {
      const first = parsed(loadSipFixture(name));
      const text = serializeSipMessage(first);
      expect(parsed(text)).toEqual(first);
      expect(serializeSipMessage(parsed(text))).toBe(text);
    }
  });

  it('writes long names and a correct Content-Length in place', () => {
    const m = parsed(loadSipFixture('options-compact.sip'));
    const text = serializeSipMessage({ ...m, body: 'ünïcode' });
    expect(text).toContain('\r\nVia: SIP/2.0/TCP 10.0.0.5:50601;branch=z9hG4bK776asdhds;rport\r\n');
    expect(text).toContain('\r\nContent-Length: 9\r\n');
    expect(text.endsWith('\r\n\r\nünïcode')).toBe(true);
  });
});
