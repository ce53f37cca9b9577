import { describe, expect, it } from 'vitest';
import {
  PROFILE_NAMES,
  lyncIce2Profile,
  lyncIceV6Profile,
  profileByName,
  rfc8445Profile,
  type CandidateKind,
  type CompatProfile,
} from '../../../main/compat';
import { candidatePriority } from '../../../main/ice/priority';
import { Attr } from '../../../main/stun';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('profileByName', () => {
  it('returns one profile per dialect, named as asked', () => {
    for (const name of PROFILE_NAMES) expect(profileByName(name).name).toBe(name);
    expect(PROFILE_NAMES).toEqual(['rfc8445', 'lync-ice2', 'lync-ice-v6']);
  });
});

describe('rfc8445 profile', () => {
  it('has the RFC 8445 §5.1.2.2 type preferences', () => {
    const k = (type: CandidateKind['type']): CandidateKind => ({ type, transport: 'udp', family: 4 });
    expect(['host', 'prflx', 'srflx', 'relay'].map((t) => rfc8445Profile.typePreference(k(t as CandidateKind['type'])))).toEqual([126, 110, 100, 0]);
  });

  it('spells USERNAME remote:local and recognises requests addressed to us', () => {
    const d = rfc8445Profile.check;
    expect(dec.decode(d.requestUsername('LOCL', 'REMT', 1))).toBe('REMT:LOCL');
    expect(d.usernameIsOurs(enc.encode('LOCL:REMT'), 'LOCL', 1)).toBe(true);
    expect(d.usernameIsOurs(enc.encode('LOCLX:REMT'), 'LOCL', 1)).toBe(false);
    expect(d.usernameIsOurs(enc.encode('REMT:LOCL'), 'LOCL', 1)).toBe(false);
    expect(d.remoteUfragOf(enc.encode('LOCL:REMT'))).toBe('REMT');
    expect(rfc8445Profile.checkAttributes({ role: 'controlling', component: 1, localFoundation: 'x', nominate: false })).toEqual([]);
  });
});

/** One candidate of each kind PROTOCOLS.md §5 lists, in the order Lync ranks them. */
const LYNC_ORDER: readonly [string, CandidateKind][] = [
  ['host UDP', { type: 'host', transport: 'udp', family: 4 }],
  ['srflx UDP', { type: 'srflx', transport: 'udp', family: 4, relayProtocol: 'udp' }],
  ['srflx TCP', { type: 'srflx', transport: 'tcp', tcpType: 'active', family: 4, relayProtocol: 'tcp' }],
  ['relay UDP', { type: 'relay', transport: 'udp', family: 4, relayProtocol: 'udp' }],
  ['relay TCP-ACT', { type: 'relay', transport: 'tcp', tcpType: 'active', family: 4, relayProtocol: 'tcp' }],
  ['relay TCP-PASS', { type: 'relay', transport: 'tcp', tcpType: 'passive', family: 4, relayProtocol: 'tcp' }],
  ['IPv6 host', { type: 'host', transport: 'udp', family: 6 }],
];

function sortByPriority(profile: CompatProfile, kinds: readonly [string, CandidateKind][]): string[] {
  return kinds
    .map(([name, kind]) => ({ name, p: candidatePriority(profile, kind, 1, 0) }))
    .sort((a, b) => b.p - a.p)
    .map((x) => x.name);
}

describe('lync-ice2 profile', () => {
  it('orders host UDP > srflx UDP > srflx TCP > relay UDP > relay TCP-ACT > relay TCP-PASS > IPv6', () => {
    const shuffled = [...LYNC_ORDER].reverse();
    shuffled.push(shuffled.shift()!);
    expect(sortByPriority(lyncIce2Profile, shuffled)).toEqual(LYNC_ORDER.map(([n]) => n));
  });

  it('keeps that order for RTCP candidates and every priority distinct', () => {
    const prios = LYNC_ORDER.map(([, k]) => candidatePriority(lyncIce2Profile, k, 2, 0));
    expect([...prios].sort((a, b) => b - a)).toEqual(prios);
    expect(new Set(prios).size).toBe(prios.length);
  });

  it('uses relay type preference 10 and IPv6 host 1, TCP local preference below UDP', () => {
    expect(lyncIce2Profile.typePreference({ type: 'relay', transport: 'udp', family: 4 })).toBe(10);
    expect(lyncIce2Profile.typePreference({ type: 'host', transport: 'udp', family: 6 })).toBe(1);
    expect(lyncIce2Profile.typePreference({ type: 'host', transport: 'udp', family: 4 })).toBe(126);
    // host UDP as Lync lines carry it: 126, 65535, component 1
    expect(candidatePriority(lyncIce2Profile, { type: 'host', transport: 'udp', family: 4 }, 1)).toBe(2130706431);
    // [MS-ICE2]: TCP local pref = 2^12·6 + 2^9·direction + other
    expect(lyncIce2Profile.localPreference({ type: 'relay', transport: 'tcp', tcpType: 'active', family: 4 }, 0)).toBe(6 * 4096 + 5 * 512 + 511);
    expect(lyncIce2Profile.localPreference({ type: 'relay', transport: 'tcp', tcpType: 'passive', family: 4 }, 0)).toBe(6 * 4096 + 2 * 512 + 511);
  });

  it('ranks IPv6 differently under RFC 8445: the IPv6 host sits with the hosts, above srflx', () => {
    const order = sortByPriority(rfc8445Profile, LYNC_ORDER);
    expect(order[0]).toBe('host UDP');
    expect(order.indexOf('IPv6 host')).toBeLessThan(order.indexOf('srflx UDP'));
  });

  it('adds CANDIDATE-IDENTIFIER (foundation, zero-padded) and IMPLEMENTATION-VERSION 2 to checks', () => {
    const a = lyncIce2Profile.checkAttributes({ role: 'controlling', component: 1, localFoundation: 'abcde', nominate: false });
    expect(a.map((x) => x.type)).toEqual([Attr.MS_CANDIDATE_IDENTIFIER, Attr.MS_IMPLEMENTATION_VERSION]);
    expect(a[0]).toMatchObject({ kind: 'bytes', value: new Uint8Array([0x61, 0x62, 0x63, 0x64, 0x65, 0, 0, 0]) });
    expect(a[1]).toMatchObject({ kind: 'bytes', value: new Uint8Array([0, 0, 0, 2]) });
    expect(lyncIce2Profile.responseAttributes({ component: 1 }).map((x) => x.type)).toEqual([Attr.MS_IMPLEMENTATION_VERSION]);
  });

  it('tells the SDP layer to write TCP-ACT/TCP-PASS and x-candidate-ipv6', () => {
    expect(lyncIce2Profile.sdp).toEqual({ candidateSyntax: 'rfc5245', tcpSyntax: 'lync', ipv6Attribute: 'x-candidate-ipv6' });
    expect(rfc8445Profile.sdp.tcpSyntax).toBe('rfc6544');
  });
});

describe('lync-ice-v6 profile (partial)', () => {
  const user = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64').replace(/=+$/, '');
  const peer = Buffer.from('fedcba9876543210fedcba9876543210').toString('base64').replace(/=+$/, '');

  it('builds the draft-6 USERNAME from decoded per-candidate usernames and components', () => {
    const u = lyncIceV6Profile.check.requestUsername(user, peer, 1);
    expect(dec.decode(u)).toBe('fedcba9876543210fedcba9876543210:1:0123456789abcdef0123456789abcdef:1');
    expect(lyncIceV6Profile.check.usernameIsOurs(u, peer, 1)).toBe(true);
    expect(lyncIceV6Profile.check.usernameIsOurs(u, peer, 2)).toBe(false);
    expect(lyncIceV6Profile.check.usernameIsOurs(u, user, 1)).toBe(false);
  });

  it('keys integrity with the decoded password and carries no PRIORITY, role or USE-CANDIDATE', () => {
    const pwd = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]).toString('base64');
    expect([...lyncIceV6Profile.check.integrityKey(pwd)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(lyncIceV6Profile.check).toMatchObject({ priorityAttribute: false, roleAttributes: false, useCandidateAttribute: false });
    expect(lyncIceV6Profile.nominations).toEqual(['implicit']);
    expect(lyncIceV6Profile.limitations.length).toBeGreaterThan(0);
  });
});
