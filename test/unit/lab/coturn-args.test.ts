import { describe, expect, it } from 'vitest';
import { coturnArgs, redactCoturnArgs, type CoturnCommand } from '../../../main/lab/coturn';
import { bindingRequest, isBindingSuccessFor } from '../../../main/lab/stun-ping';

const base: CoturnCommand = {
  ip: '127.0.0.2',
  port: 40000,
  relayIp: '127.0.0.2',
  relayPorts: { min: 20000, max: 20199 },
  realm: 'lab.test',
  auth: { kind: 'long-term', users: [{ name: 'alice', password: 'alicepw' }, { name: 'bob', password: 'bobpw' }] },
  dir: '/tmp/x',
};

describe('coturnArgs', () => {
  it('never reads /etc/turnserver.conf and keeps every file in the temp dir', () => {
    const a = coturnArgs(base);
    expect(a[0]).toBe('-n');
    expect(a).toEqual(expect.arrayContaining(['--userdb=/tmp/x/turndb.sqlite', '--pidfile=/tmp/x/turnserver.pid', '--log-file=stdout', '--simple-log', '--no-cli']));
  });

  it('lets loopback peers through and listens on the given address and ports', () => {
    const a = coturnArgs(base);
    expect(a).toEqual(expect.arrayContaining(['--allow-loopback-peers', '--listening-ip=127.0.0.2', '--relay-ip=127.0.0.2', '--listening-port=40000', '--min-port=20000', '--max-port=20199', '--realm=lab.test']));
  });

  it('long-term: one --user per user and no secret', () => {
    const a = coturnArgs(base);
    expect(a).toEqual(expect.arrayContaining(['--lt-cred-mech', '--user=alice:alicepw', '--user=bob:bobpw']));
    expect(a.some((x) => x.includes('auth-secret'))).toBe(false);
  });

  it('shared secret: REST-API mode and no static users (coturn cannot mix them)', () => {
    const a = coturnArgs({ ...base, auth: { kind: 'shared-secret', secret: 's3' } });
    expect(a).toEqual(expect.arrayContaining(['--use-auth-secret', '--static-auth-secret=s3']));
    expect(a.some((x) => x.startsWith('--user=') || x === '--lt-cred-mech')).toBe(false);
  });

  it('TLS replaces --no-tls with the listener and the pair; DTLS stays off', () => {
    expect(coturnArgs(base)).toContain('--no-tls');
    const a = coturnArgs({ ...base, tls: { port: 40001, certPath: '/c.pem', keyPath: '/k.pem' } });
    expect(a).not.toContain('--no-tls');
    expect(a).toEqual(expect.arrayContaining(['--tls-listening-port=40001', '--cert=/c.pem', '--pkey=/k.pem', '--no-dtls']));
  });

  it('passes lifetime knobs, verbosity and extra args', () => {
    const a = coturnArgs({ ...base, lifetimes: { maxAllocateSec: 30, channelSec: 20, permissionSec: 10, staleNonceSec: 5 }, verbose: true, extraArgs: ['--no-tcp-relay'] });
    expect(a).toEqual(expect.arrayContaining(['--max-allocate-lifetime=30', '--channel-lifetime=20', '--permission-lifetime=10', '--stale-nonce=5', '-v']));
    expect(a[a.length - 1]).toBe('--no-tcp-relay');
  });

  it('redacts passwords and the secret', () => {
    expect(redactCoturnArgs(coturnArgs(base)).join(' ')).not.toMatch(/alicepw|bobpw/);
    expect(redactCoturnArgs(coturnArgs(base))).toContain('--user=alice:***');
    expect(redactCoturnArgs(['--static-auth-secret=s3'])).toEqual(['--static-auth-secret=***']);
  });
});

describe('stun-ping messages', () => {
  const tid = new Uint8Array(12).fill(7);
  it('builds a 20-byte Binding request with the magic cookie', () => {
    const b = bindingRequest(tid);
    expect(Array.from(b.subarray(0, 8))).toEqual([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]);
    expect(b.subarray(8)).toEqual(tid);
  });

  it('accepts only a success response to the same transaction', () => {
    const res = bindingRequest(tid);
    res[1] = 0x01;
    res[0] = 0x01;
    expect(isBindingSuccessFor(res, tid)).toBe(true);
    expect(isBindingSuccessFor(res, new Uint8Array(12))).toBe(false);
    expect(isBindingSuccessFor(res.subarray(0, 19), tid)).toBe(false);
    expect(isBindingSuccessFor(bindingRequest(tid), tid)).toBe(false);
  });
});
