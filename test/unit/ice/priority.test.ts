import { describe, expect, it } from 'vitest';
import { lyncIce2Profile, rfc8445Profile } from '../../../main/compat';
import {
  candidatePriority,
  computePriority,
  localPreferenceOf,
  pairPriority,
  pairPriorityFor,
  prflxPriority,
  typePreferenceOf,
} from '../../../main/ice';
import { localFactory } from './helpers';

// Worked values, by hand (2^24 = 16777216, 2^8 = 256, 2^32 = 4294967296):
//   host  126·16777216 = 2113929216; 65535·256 = 16776960; + (256−1) → 2130706431 (0x7EFFFFFF)
//   prflx 110·16777216 = 1845493760; + 16776960 + 255               → 1862270975
//   srflx 100·16777216 = 1677721600; + 16776960 + 255               → 1694498815
//   relay   0                      ;   16776960 + 255               →   16777215
describe('candidate priority (RFC 8445 §5.1.2.1)', () => {
  it('matches the worked values for each RFC type at local preference 65535', () => {
    expect(computePriority(126, 65535, 1)).toBe(2130706431);
    expect(computePriority(126, 65535, 2)).toBe(2130706430);
    expect(computePriority(110, 65535, 1)).toBe(1862270975);
    expect(computePriority(100, 65535, 1)).toBe(1694498815);
    expect(computePriority(0, 65535, 1)).toBe(16777215);
    expect(computePriority(0, 0, 256)).toBe(0);
  });

  it('stays within 2^31 − 1 and rejects out-of-range inputs', () => {
    expect(computePriority(126, 65535, 1)).toBe(2 ** 31 - 2 ** 24 - 1);
    expect(() => computePriority(127, 0, 1)).toThrow(/type preference/);
    expect(() => computePriority(1, 65536, 1)).toThrow(/local preference/);
    expect(() => computePriority(1, 1, 0)).toThrow(/component/);
    expect(() => computePriority(1, 1, 257)).toThrow(/component/);
    expect(() => computePriority(1.5, 1, 1)).toThrow();
  });

  it('takes the type and local preference back out of a priority', () => {
    expect(typePreferenceOf(1694498815)).toBe(100);
    expect(localPreferenceOf(1694498815)).toBe(65535);
    expect(localPreferenceOf(computePriority(7, 12345, 2))).toBe(12345);
  });

  it('uses the profile: RFC 8445 host/srflx/relay, single address', () => {
    const k = { transport: 'udp', family: 4 } as const;
    expect(candidatePriority(rfc8445Profile, { ...k, type: 'host' }, 1)).toBe(2130706431);
    expect(candidatePriority(rfc8445Profile, { ...k, type: 'srflx' }, 1)).toBe(1694498815);
    expect(candidatePriority(rfc8445Profile, { ...k, type: 'relay', relayProtocol: 'udp' }, 1)).toBe(16777215);
  });

  // RFC 6544 §4.2: local pref = 2^13·direction + other. Host active: 6·8192 + 8191 = 57343,
  // 57343·256 = 14679808, 2113929216 + 14679808 + 255 = 2128609279. Passive: 4·8192 + 8191 = 40959,
  // 40959·256 = 10485504 → 2124414975. S-O: 2·8192 + 8191 = 24575 → 2113929216 + 6291200 + 255 = 2120220671.
  it('ranks host TCP candidates per RFC 6544 §4.2 (active > passive > so)', () => {
    const k = { type: 'host', transport: 'tcp', family: 4 } as const;
    expect(candidatePriority(rfc8445Profile, { ...k, tcpType: 'active' }, 1)).toBe(2128609279);
    expect(candidatePriority(rfc8445Profile, { ...k, tcpType: 'passive' }, 1)).toBe(2124414975);
    expect(candidatePriority(rfc8445Profile, { ...k, tcpType: 'so' }, 1)).toBe(2120220671);
  });

  it('ranks server-reflexive TCP candidates so > active > passive (RFC 6544 §4.2)', () => {
    const k = { type: 'srflx', transport: 'tcp', family: 4 } as const;
    const so = candidatePriority(rfc8445Profile, { ...k, tcpType: 'so' }, 1);
    const active = candidatePriority(rfc8445Profile, { ...k, tcpType: 'active' }, 1);
    const passive = candidatePriority(rfc8445Profile, { ...k, tcpType: 'passive' }, 1);
    expect(so).toBeGreaterThan(active);
    expect(active).toBeGreaterThan(passive);
  });

  it('gives distinct local preferences per address rank and per relay protocol', () => {
    const host = { type: 'host', transport: 'udp', family: 4 } as const;
    expect(rfc8445Profile.localPreference(host, 0)).toBe(65535);
    expect(rfc8445Profile.localPreference(host, 1)).toBe(65532);
    const relay = { type: 'relay', transport: 'udp', family: 4 } as const;
    const overUdp = rfc8445Profile.localPreference({ ...relay, relayProtocol: 'udp' }, 0);
    const overTcp = rfc8445Profile.localPreference({ ...relay, relayProtocol: 'tcp' }, 0);
    const overTls = rfc8445Profile.localPreference({ ...relay, relayProtocol: 'tls' }, 0);
    expect([overUdp, overTcp, overTls]).toEqual([65535, 65534, 65533]);
  });

  it('computes the PRIORITY of a check: prflx type, the local candidate’s local preference', () => {
    const f = localFactory(rfc8445Profile);
    expect(prflxPriority(rfc8445Profile, f.host('10.0.0.2', 5000))).toBe(1862270975);
    expect(prflxPriority(rfc8445Profile, f.host('10.0.0.2', 5001, 2))).toBe(1862270974);
    // a relay's local preference (65535 over UDP) carries over; the type becomes 110
    expect(prflxPriority(rfc8445Profile, f.relay('203.0.113.5', 50000))).toBe(1862270975);
    // Lync: an IPv6 host becomes an IPv6 prflx, which the profile ranks 0
    const lf = localFactory(lyncIce2Profile);
    expect(typePreferenceOf(prflxPriority(lyncIce2Profile, lf.host('2001:db8::2', 5000)))).toBe(0);
  });
});

describe('pair priority (RFC 8445 §6.1.2.3)', () => {
  it('is 2^32·min + 2·max + (G>D) on small worked values', () => {
    expect(pairPriority(1, 2)).toBe(4294967296n + 4n);
    expect(pairPriority(2, 1)).toBe(4294967296n + 4n + 1n);
    expect(pairPriority(5, 5)).toBe(5n * 4294967296n + 10n);
  });

  it('is exact beyond 2^53: G = D = 2^31 − 1 gives 2^63 − 2', () => {
    // 2^32·(2^31−1) + 2·(2^31−1) = 2^63 − 2^32 + 2^32 − 2
    expect(pairPriority(2 ** 31 - 1, 2 ** 31 - 1)).toBe(9223372036854775806n);
    expect(pairPriority(2 ** 31 - 1, 2 ** 31 - 1) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('host(G)/srflx(D) worked value', () => {
    // min = 1694498815 = 101·2^24 − 1, max = 2130706431, G > D:
    // 2^32·min = 101·2^56 − 2^32 = 7277816997830721536 − 4294967296 = 7277816993535754240
    // 2·max = 4261412862, plus 1 because G > D
    expect(pairPriority(2130706431, 1694498815)).toBe(7277816993535754240n + 4261412862n + 1n);
    expect(pairPriority(1694498815, 2130706431)).toBe(7277816993535754240n + 4261412862n);
  });

  it('depends on which side controls', () => {
    expect(pairPriorityFor('controlling', 10, 20)).toBe(pairPriority(10, 20));
    expect(pairPriorityFor('controlled', 10, 20)).toBe(pairPriority(20, 10));
    expect(pairPriorityFor('controlled', 10, 20) - pairPriorityFor('controlling', 10, 20)).toBe(1n);
  });
});
