import { describe, expect, it } from 'vitest';
import { MrasCredentialCache, relayKey, type MrasCredentialGrant } from '../../../main/mras/cache';
import type { MediaRelay } from '../../../main/mras/types';

const edgeA: MediaRelay = { location: 'internet', hostName: 'av.a.test', udpPort: 3478, tcpPort: 443 };
const edgeAIntranet: MediaRelay = { location: 'intranet', hostName: 'AV.A.test', udpPort: 3478, tcpPort: 443 };
const edgeB: MediaRelay = { location: 'internet', directIPAddress: '192.0.2.9', udpPort: 3478 };

function grant(username: string, relays: MediaRelay[], issuedAt: number, lifetime: number): MrasCredentialGrant {
  return {
    requestId: username,
    username,
    password: 'pw',
    relays,
    durationMinutes: lifetime / 60_000,
    issuedAt,
    renewAt: issuedAt + 0.8 * lifetime,
    expiresAt: issuedAt + lifetime,
    expiresAtWall: 1e12 + issuedAt + lifetime,
  };
}

describe('MRAS credential cache', () => {
  it('names a relay by host (any case) and ports, not by location label', () => {
    expect(relayKey(edgeA)).toBe(relayKey(edgeAIntranet));
    expect(relayKey(edgeA)).not.toBe(relayKey({ ...edgeA, tcpPort: 4443 }));
    expect(relayKey(edgeB)).toBe('192.0.2.9|udp=3478|tcp=-');
  });

  it('answers per relay, and only with live grants', () => {
    let now = 0;
    const cache = new MrasCredentialCache(() => now);
    const g = grant('g1', [edgeA], 0, 1000);
    cache.put(g);
    expect(cache.forRelay(edgeAIntranet)).toBe(g);
    expect(cache.forRelay(edgeB)).toBeUndefined();
    expect(cache.latest()).toBe(g);
    now = 400;
    expect(cache.timeLeftMs()).toBe(600);
    now = 1000;
    expect(cache.forRelay(edgeA)).toBeUndefined();
    expect(cache.latest()).toBeUndefined();
    expect(cache.timeLeftMs()).toBe(0);
    expect(cache.evictExpired()).toBe(1);
    expect(cache.size).toBe(0);
  });

  it('keeps grants from different Edges apart (credentials are minted per Edge certificate)', () => {
    let now = 0;
    const cache = new MrasCredentialCache(() => now);
    const a = grant('a', [edgeA], 0, 1000);
    const b = grant('b', [edgeB], 10, 5000);
    cache.put(a);
    cache.put(b);
    expect(cache.forRelay(edgeA)).toBe(a);
    expect(cache.forRelay(edgeB)).toBe(b);
    expect(cache.latest()).toBe(b);
    now = 2000;
    expect(cache.forRelay(edgeA)).toBeUndefined();
    expect(cache.forRelay(edgeB)).toBe(b);
    cache.invalidate(edgeB);
    expect(cache.forRelay(edgeB)).toBeUndefined();
    expect(cache.latest()).toBeUndefined();
    cache.put(a);
    cache.invalidate();
    expect(cache.size).toBe(0);
  });

  it('a newer grant for the same relay replaces the older one', () => {
    const cache = new MrasCredentialCache(() => 0);
    cache.put(grant('old', [edgeA, edgeB], 0, 1000));
    const fresh = grant('new', [edgeA], 5, 1000);
    cache.put(fresh);
    expect(cache.forRelay(edgeA)).toBe(fresh);
    expect(cache.forRelay(edgeB)!.username).toBe('old');
    expect(cache.size).toBe(2);
  });

  it('stays bounded', () => {
    const cache = new MrasCredentialCache(() => 0);
    for (let i = 0; i < 300; i++) cache.put(grant(`g${i}`, [{ directIPAddress: `10.0.${i >> 8}.${i & 255}`, udpPort: 3478 }], i, 1000));
    expect(cache.size).toBe(256);
    expect(cache.forRelay({ directIPAddress: '10.0.0.0', udpPort: 3478 })).toBeUndefined();
    expect(cache.forRelay({ directIPAddress: '10.0.1.43', udpPort: 3478 })!.username).toBe('g299');
  });
});
