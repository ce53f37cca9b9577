import { describe, expect, it } from 'vitest';
import { FoundationRegistry, foundationKey, type FoundationInput } from '../../../main/ice';

const host = (baseIp: string, transport: 'udp' | 'tcp' = 'udp'): FoundationInput => ({ type: 'host', baseIp, transport });

describe('foundations (RFC 8445 §5.1.1.3)', () => {
  it('same type, base IP and transport → same foundation, whatever the port or component', () => {
    const r = new FoundationRegistry();
    // ports and components are not inputs at all: RTP and RTCP host candidates share one
    expect(r.foundationFor(host('10.0.0.2'))).toBe(r.foundationFor(host('10.0.0.2')));
    expect(r.size).toBe(1);
  });

  it('differs by type, base IP, transport', () => {
    const r = new FoundationRegistry();
    const f = new Set([
      r.foundationFor(host('10.0.0.2')),
      r.foundationFor(host('10.0.0.3')),
      r.foundationFor(host('10.0.0.2', 'tcp')),
      r.foundationFor({ type: 'prflx', baseIp: '10.0.0.2', transport: 'udp' }),
      r.foundationFor({ type: 'srflx', baseIp: '10.0.0.2', transport: 'udp', serverIp: '192.0.2.1', serverProtocol: 'udp' }),
    ]);
    expect(f.size).toBe(5);
  });

  it('reflexive and relayed candidates differ by server IP and by the protocol to the server, not by server port', () => {
    const r = new FoundationRegistry();
    const srflx = (serverIp: string, serverProtocol: 'udp' | 'tcp' = 'udp'): FoundationInput => ({ type: 'srflx', baseIp: '10.0.0.2', transport: 'udp', serverIp, serverProtocol });
    expect(r.foundationFor(srflx('192.0.2.1'))).toBe(r.foundationFor(srflx('192.0.2.1')));
    expect(r.foundationFor(srflx('192.0.2.1'))).not.toBe(r.foundationFor(srflx('192.0.2.2')));
    const relay = (serverProtocol: 'udp' | 'tcp' | 'tls'): FoundationInput => ({ type: 'relay', baseIp: '203.0.113.5', transport: 'udp', serverIp: '192.0.2.1', serverProtocol });
    expect(new Set([r.foundationFor(relay('udp')), r.foundationFor(relay('tcp')), r.foundationFor(relay('tls'))]).size).toBe(3);
  });

  it('normalises IPv4-mapped IPv6 and case', () => {
    expect(foundationKey(host('::ffff:10.0.0.2'))).toBe(foundationKey(host('10.0.0.2')));
    expect(foundationKey(host('2001:DB8::1'))).toBe(foundationKey(host('2001:db8::1')));
  });

  it('is a short ice-char string, stable across runs and gathering orders', () => {
    const inputs = [host('10.0.0.2'), host('10.0.0.3'), host('10.0.0.2', 'tcp'), { type: 'relay', baseIp: '203.0.113.5', transport: 'udp', serverIp: '192.0.2.1' } as const];
    const a = new FoundationRegistry();
    const b = new FoundationRegistry();
    const fa = inputs.map((i) => a.foundationFor(i));
    const fb = [...inputs].reverse().map((i) => b.foundationFor(i)).reverse();
    expect(fa).toEqual(fb);
    for (const f of fa) expect(f).toMatch(/^[A-Za-z0-9+/]{1,32}$/);
  });

  it('never gives two keys one foundation, even when their CRC-32 collides', () => {
    // Found offline: these two keys have the same CRC-32 (2237597578).
    const r = new FoundationRegistry();
    const x = r.foundationFor(host('10.1.137.2'));
    const y = r.foundationFor(host('10.4.38.110'));
    expect(x).toBe((2237597578).toString(36));
    expect(y).not.toBe(x);
    expect(y.startsWith(x)).toBe(true);
    expect(r.foundationFor(host('10.4.38.110'))).toBe(y);
  });
});
