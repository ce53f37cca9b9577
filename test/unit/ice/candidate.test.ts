import { describe, expect, it } from 'vitest';
import { lyncIce2Profile, rfc8445Profile } from '../../../main/compat';
import {
  FoundationRegistry,
  candidateKind,
  describeCandidate,
  isIPv6,
  isLinkLocalIPv6,
  makeLocalCandidate,
  rankLocalAddresses,
  sameCandidate,
  sameTransportAddress,
  toCandidateView,
} from '../../../main/ice';
import { addr, localFactory, remote } from './helpers';

describe('candidates', () => {
  const f = localFactory(rfc8445Profile);

  it('describes itself in one line', () => {
    expect(describeCandidate(f.host('10.0.0.2', 5000))).toBe('host udp 10.0.0.2:5000');
    expect(describeCandidate(f.host('2001:db8::2', 5000, 1, { tcpType: 'passive' }))).toBe('host tcp-passive [2001:db8::2]:5000');
    expect(describeCandidate(f.relay('203.0.113.5', 50000))).toBe('relay udp 203.0.113.5:50000 via udp');
  });

  it('fills base, related, foundation, priority and a readable id', () => {
    const h = f.host('10.0.0.2', 5000);
    expect(h).toMatchObject({ id: 'L1/udp/host/10.0.0.2:5000', base: addr('10.0.0.2', 5000), priority: 2130706431 });
    expect(h.related).toBeUndefined();
    const s = f.srflx('198.51.100.2', 6000, h.address);
    expect(s).toMatchObject({ base: h.address, related: h.address, priority: 1694498815 });
    expect(s.foundation).not.toBe(h.foundation);
    const r = f.relay('203.0.113.5', 50000);
    expect(r.base).toEqual(r.address);
    expect(r.related).toEqual(addr('198.51.100.9', 40000));
    expect(candidateKind(r)).toEqual({ type: 'relay', transport: 'udp', tcpType: undefined, family: 4, relayProtocol: 'udp' });
  });

  it('refuses a srflx without base and a TCP candidate without tcptype', () => {
    const reg = new FoundationRegistry();
    expect(() => makeLocalCandidate(rfc8445Profile, reg, { type: 'srflx', component: 1, transport: 'udp', address: addr('1.2.3.4', 5) })).toThrow(/base/);
    expect(() => makeLocalCandidate(rfc8445Profile, reg, { type: 'host', component: 1, transport: 'tcp', address: addr('1.2.3.4', 5) })).toThrow(/tcptype/);
  });

  it('gets its priority from the profile it was built with', () => {
    const lync = localFactory(lyncIce2Profile);
    expect(lync.relay('203.0.113.5', 50000).priority).toBe(10 * 2 ** 24 + 65535 * 256 + 255);
  });

  it('has a plain view for events with address and port', () => {
    const v = toCandidateView(f.relay('203.0.113.5', 50000, 2));
    expect(v).toEqual({
      id: 'L2/udp/relay/203.0.113.5:50000',
      type: 'relay',
      transport: 'udp',
      address: '203.0.113.5',
      port: 50000,
      family: 4,
      priority: 16777214,
      foundation: v.foundation,
      component: 2,
      relatedAddress: '198.51.100.9',
      relatedPort: 40000,
      relayProtocol: 'udp',
      server: '192.0.2.1:3478',
    });
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });

  it('compares transport addresses; TCP active candidates by IP only', () => {
    const a = f.host('10.0.0.2', 5000);
    expect(sameTransportAddress(a, { component: 1, transport: 'udp', address: addr('::ffff:10.0.0.2', 5000) })).toBe(true);
    expect(sameTransportAddress(a, { component: 2, transport: 'udp', address: addr('10.0.0.2', 5000) })).toBe(false);
    expect(sameTransportAddress(a, { component: 1, transport: 'tcp', address: addr('10.0.0.2', 5000) })).toBe(false);
    const act = remote('host', '10.0.0.9', 9, 1, { tcpType: 'active' });
    expect(sameTransportAddress(act, { component: 1, transport: 'tcp', tcpType: 'active', address: addr('10.0.0.9', 51234) })).toBe(true);
    // a passive candidate on the same IP is not the active one, whatever the port
    const pas = remote('host', '10.0.0.9', 6000, 1, { tcpType: 'passive' });
    expect(sameTransportAddress(pas, { component: 1, transport: 'tcp', tcpType: 'active', address: addr('10.0.0.9', 51234) })).toBe(false);
    expect(sameTransportAddress(act, { component: 1, transport: 'tcp', tcpType: 'passive', address: addr('10.0.0.9', 6000) })).toBe(false);
    expect(sameTransportAddress(pas, { component: 1, transport: 'tcp', tcpType: 'passive', address: addr('10.0.0.9', 6000) })).toBe(true);
    expect(sameCandidate(a, f.host('10.0.0.2', 5000))).toBe(true);
    expect(sameCandidate(a, f.host('10.0.0.2', 5002))).toBe(false);
  });

  it('knows IPv6 and link-local IPv6', () => {
    expect(isIPv6(f.host('2001:db8::1', 1))).toBe(true);
    expect(isIPv6(f.host('10.0.0.1', 1))).toBe(false);
    expect(isLinkLocalIPv6('fe80::1')).toBe(true);
    expect(isLinkLocalIPv6('FEBF::1')).toBe(true);
    expect(isLinkLocalIPv6('fec0::1')).toBe(false);
    expect(isLinkLocalIPv6('2001:db8::1')).toBe(false);
    expect(isLinkLocalIPv6('10.0.0.1')).toBe(false);
  });
});

describe('local address order (RFC 8421 §4)', () => {
  it('interleaves the families, IPv6 first, keeping interface order', () => {
    const ranked = rankLocalAddresses([
      { ip: '10.0.0.2', interfaceName: 'eth0' },
      { ip: '2001:db8::2', interfaceName: 'eth0' },
      { ip: '192.168.1.5', interfaceName: 'wlan0' },
      { ip: '2001:db8:1::5', interfaceName: 'wlan0' },
      { ip: '172.16.0.9', interfaceName: 'tun0' },
    ]);
    expect(ranked.map((a) => `${a.rank}:${a.ip}`)).toEqual(['0:2001:db8::2', '1:10.0.0.2', '2:2001:db8:1::5', '3:192.168.1.5', '4:172.16.0.9']);
  });

  it('gives a single address rank 0 (local preference 65535)', () => {
    const [only] = rankLocalAddresses([{ ip: '10.0.0.2' }]);
    expect(only).toMatchObject({ rank: 0, family: 4 });
    expect(rfc8445Profile.localPreference({ type: 'host', transport: 'udp', family: 4 }, only!.rank)).toBe(65535);
  });
});
