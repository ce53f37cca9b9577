import { describe, expect, it } from 'vitest';
import { badRequestFor } from '../../../main/sip/bad-request';
import { parseSipMessage } from '../../../main/sip/parse';
import { getHeader, getHeaders } from '../../../main/sip/message';

const good = [
  'INVITE sip:b@example.test SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1;rport',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK0',
  'From: <sip:a@example.test>;tag=1',
  'To: <sip:b@example.test>',
  'Call-ID: c1',
  'CSeq: 1 INVITE',
];

function answer(lines: string[]): string | undefined {
  const text = `${lines.join('\r\n')}\r\n\r\n`;
  const r = parseSipMessage(text);
  if (r.ok) throw new Error('the sample must be malformed');
  return badRequestFor(text, r.error, { toTag: 'bad1' });
}

describe('badRequestFor', () => {
  it('answers a malformed request whose start line and Via parse (RFC 3261 §8.2)', () => {
    const text = answer([...good, 'Content-Length: nope']);
    expect(text).toBeDefined();
    const r = parseSipMessage(text!);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ kind: 'response', status: 400, reason: 'Bad Request' });
    expect(getHeaders(r.value, 'Via')).toEqual([
      'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1;rport',
      'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK0',
    ]);
    expect(getHeader(r.value, 'To')).toBe('<sip:b@example.test>;tag=bad1');
    expect(getHeader(r.value, 'CSeq')).toBe('1 INVITE');
    expect(getHeader(r.value, 'Warning')).toMatch(/^399 mediapath "bad Content-Length "?'?nope'? at byte \d+"$/);
  });

  it('still answers when a header line is broken, from the lines it can read', () => {
    const text = answer([...good.slice(0, 4), 'garbage line', ...good.slice(4)]);
    expect(text).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(text).toContain('\r\nCall-ID: c1\r\n');
  });

  it('keeps an existing To tag and gives retransmissions the same tag', () => {
    const tagged = answer([...good.slice(0, 4), 'To: <sip:b@example.test>;tag=xyz', 'Call-ID: c1', 'CSeq: 1 INVITE', 'Content-Length: x']);
    expect(tagged).toContain('To: <sip:b@example.test>;tag=xyz\r\n');
    const text = `${[...good, 'Content-Length: x'].join('\r\n')}\r\n\r\n`;
    const r = parseSipMessage(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(badRequestFor(text, r.error)).toBe(badRequestFor(text, r.error));
  });

  it('drops what cannot be answered', () => {
    expect(answer(['SIP/2.0 200 OK', ...good.slice(1), 'Content-Length: x'])).toBeUndefined(); // a response
    expect(answer(['ACK sip:b@example.test SIP/2.0', ...good.slice(1, 6), 'CSeq: 1 ACK', 'Content-Length: x'])).toBeUndefined();
    expect(answer(['INVITE sip:b SIP/9.9', ...good.slice(1)])).toBeUndefined(); // start line
    expect(answer([good[0]!, 'Via: nonsense', ...good.slice(3)])).toBeUndefined(); // top Via unusable
    expect(answer([...good.slice(0, 5), 'CSeq: 1 INVITE'])).toBeUndefined(); // no Call-ID
  });
});
