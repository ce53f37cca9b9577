import { describe, expect, it } from 'vitest';
import { parseUsers } from '../../../main/headless/commands/lab-sip';
import { maskPassword, parseRegistrarUri } from '../../../main/headless/commands/register';

// The argument readers of `mediapath register` and `mediapath lab sip`: what they accept, and
// that a bad value is a CLI_USAGE error naming the flag.

describe('mediapath register arguments', () => {
  it('reads the registrar URI: address or host, port, transport (sips: is TLS)', () => {
    expect(parseRegistrarUri('sip:127.0.0.1:5070;transport=udp')).toEqual({ transport: 'udp', registrar: { address: '127.0.0.1', port: 5070 } });
    expect(parseRegistrarUri('sip:127.0.0.1;transport=TCP')).toEqual({ transport: 'tcp', registrar: { address: '127.0.0.1' } });
    expect(parseRegistrarUri('sip:pool.lab.test:5061;transport=tls')).toEqual({ transport: 'tls', registrar: { host: 'pool.lab.test', port: 5061 } });
    expect(parseRegistrarUri('sips:pool.lab.test')).toEqual({ transport: 'tls', registrar: { host: 'pool.lab.test' } });
    expect(parseRegistrarUri('sip:[::1]:5060')).toEqual({ transport: 'udp', registrar: { address: '::1', port: 5060 } });
  });

  it.each([
    ['127.0.0.1:5060', /--registrar must be sip:HOST:PORT/],
    ['sip:127.0.0.1;transport=sctp', /transport=sctp is not udp, tcp or tls/],
    ['sips:127.0.0.1;transport=udp', /sips: URI needs transport=tls/],
  ])('refuses %s', (text, message) => {
    expect(() => parseRegistrarUri(text)).toThrow(expect.objectContaining({ code: 'CLI_USAGE', message: expect.stringMatching(message) }));
  });

  it('masks a password completely and fingerprints it', () => {
    const m = maskPassword('c2VjcmV0LXBhc3N3b3JkLWhtYWM=');
    expect(m.passwordMasked).toBe('********');
    expect(m.passwordFingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(m)).not.toContain('c2VjcmV0');
    expect(maskPassword('a').passwordMasked).toBe(maskPassword('a much longer one').passwordMasked);
  });
});

describe('mediapath lab sip --users', () => {
  it('reads user:password pairs; a password may hold colons', () => {
    expect(parseUsers('alice:pw,bob:a:b')).toEqual({ alice: 'pw', bob: 'a:b' });
  });

  it.each([
    ['', /at least one/],
    ['alice', /alice has no password/],
    ['alice:pw,alice:x', /alice appears twice/],
    ['al ice:pw', /not a SIP user name/],
  ])('refuses "%s"', (text, message) => {
    expect(() => parseUsers(text)).toThrow(expect.objectContaining({ code: 'CLI_USAGE', message: expect.stringMatching(message) }));
  });
});
