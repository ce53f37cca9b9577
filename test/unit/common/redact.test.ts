import { describe, expect, it } from 'vitest';
import { REDACTED, redactObject, redactText } from '../../../main/common/redact';
import { formatAddress, parseHostPort, sameAddress } from '../../../main/common/address';

describe('redaction', () => {
  it('hides digest responses, MRAS passwords, ICE passwords and secrets in raw text', () => {
    const sip = 'Authorization: Digest username="alice", realm="lab.test", nonce="abc", uri="sip:lab.test", response="6629fae49393a05397450978507c4ef1", qop=auth';
    expect(redactText(sip)).not.toContain('6629fae4');
    expect(redactText(sip)).toContain('username="alice"');
    expect(redactText('<credentials><username>u</username><password>p4ss</password></credentials>')).toBe(`<credentials><username>u</username><password>${REDACTED}</password></credentials>`);
    expect(redactText('a=ice-pwd:asd88fgpdd777uzjYhagZg')).toBe(`a=ice-pwd:${REDACTED}`);
    expect(redactText('turnserver --static-auth-secret=hunter2 -n')).not.toContain('hunter2');
  });

  it('hides secret-named keys at any depth', () => {
    const o = redactObject({ user: 'a', password: 'p', nested: { credential: { x: 1 }, list: [{ secret: 's', ok: 1 }] } });
    expect(o).toEqual({ user: 'a', password: REDACTED, nested: { credential: REDACTED, list: [{ secret: REDACTED, ok: 1 }] } });
  });
});

describe('addresses', () => {
  it('formats, parses and compares', () => {
    expect(formatAddress({ ip: '::1', port: 5 })).toBe('[::1]:5');
    expect(parseHostPort('[::1]:3478')).toEqual({ host: '::1', port: 3478 });
    expect(parseHostPort('turn.example:443')).toEqual({ host: 'turn.example', port: 443 });
    expect(parseHostPort('x:0')).toBeUndefined();
    expect(parseHostPort('x:70000')).toBeUndefined();
    expect(parseHostPort('nope')).toBeUndefined();
    expect(sameAddress({ ip: '::ffff:10.0.0.1', port: 1 }, { ip: '10.0.0.1', port: 1 })).toBe(true);
  });
});

describe('logger', () => {
  it('never prints passwords, secrets or credentials', async () => {
    const { makeRootLogger } = await import('../../../main/common/logger');
    const lines: string[] = [];
    const log = makeRootLogger('debug', { write: (s: string) => void lines.push(s) });
    log.child({ module: 'turn' }).info({ username: 'alice', password: 'alicepw', server: { secret: 'S3', credential: 'c' } }, 'allocating');
    const text = lines.join('');
    expect(text).toContain('alice');
    expect(text).not.toContain('alicepw');
    expect(text).not.toContain('S3');
    expect(text).toContain(REDACTED);
  });
});
