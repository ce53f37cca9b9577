import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { NodeNet } from '../../../main/net/node/node-net';
import { rfc8445Profile, lyncIce2Profile } from '../../../main/compat';
import { FoundationRegistry } from '../../../main/ice/foundation';
import { gatherCandidates, type GatherEvent } from '../../../main/ice/gather/gatherer';
import { longTermCredentials } from '../../../main/turn';
import { startLongTermCoturn, stopAllCoturn, type LabCoturn } from '../../support/coturn-harness';

// Gathering on real loopback sockets against a real coturn: host, (no) srflx, relay over UDP and TCP.
let coturn: LabCoturn;
const clock = new RealClock();
const net = new NodeNet();

beforeAll(async () => {
  coturn = await startLongTermCoturn({ ip: '127.0.0.1' });
});

afterAll(async () => {
  await stopAllCoturn();
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

describe('gathering against coturn', () => {
  it('gathers host and relay (UDP then TCP) candidates with events and a summary', async () => {
    const events: GatherEvent[] = [];
    const r = await gatherCandidates({
      net,
      clock,
      profile: lyncIce2Profile,
      foundations: new FoundationRegistry(),
      components: [1],
      interfaces: { allowLoopback: true, include: ['127.0.0.0/8'], families: [4] },
      relays: [{ address: coturn.udp, transports: ['udp', 'tcp'], credentials: longTermCredentials('alice', 'alicepw') }],
      onEvent: (e) => events.push(e),
    });
    try {
      const kinds = r.candidates.map((c) => `${c.type}/${c.transport}/${c.server?.protocol ?? '-'}`);
      expect(kinds).toContain('host/udp/-');
      expect(kinds).toContain('relay/udp/udp');
      expect(kinds).toContain('relay/udp/tcp');
      // On loopback the reflexive address equals the base: not a candidate (RFC 8445 §5.1.3).
      expect(kinds.filter((k) => k.startsWith('srflx'))).toEqual([]);
      expect(r.steps.filter((s) => s.kind === 'relay').map((s) => `${s.protocol}:${s.state}`)).toEqual(['udp:gathered', 'tcp:gathered']);
      expect(r.steps.find((s) => s.kind === 'srflx')?.state).toBe('gathered');
      // Lync order: host UDP above relay UDP above relay over TCP.
      const prio = (t: string): number => r.candidates.find((c) => `${c.type}/${c.transport}/${c.server?.protocol ?? '-'}` === t)!.priority;
      expect(prio('host/udp/-')).toBeGreaterThan(prio('relay/udp/udp'));
      expect(prio('relay/udp/udp')).toBeGreaterThan(prio('relay/udp/tcp'));
      expect(events.filter((e) => e.type === 'candidate.gathered')).toHaveLength(r.candidates.length);
      expect(events.at(-1)?.type).toBe('gather.done');
      expect(r.bases.size).toBe(r.candidates.length);
    } finally {
      await Promise.all([...r.bases.values()].map((b) => b.close()));
    }
  });

  it('a dead relay fails with its reason and does not hold up the rest', async () => {
    const silent = await net.bindUdp({ ip: '127.0.0.1' });
    const r = await gatherCandidates({
      net,
      clock,
      profile: rfc8445Profile,
      foundations: new FoundationRegistry(),
      components: [1, 2],
      interfaces: { allowLoopback: true, include: ['127.0.0.0/8'], families: [4] },
      relays: [
        { address: silent.local, transports: ['udp'], credentials: longTermCredentials('alice', 'alicepw') },
        { address: coturn.udp, transports: ['udp'], credentials: longTermCredentials('alice', 'alicepw') },
      ],
      retransmit: { rtoMs: 20, rc: 3, rm: 4 },
    });
    try {
      const relaySteps = r.steps.filter((s) => s.kind === 'relay');
      expect(relaySteps.filter((s) => s.state === 'failed')).toHaveLength(2); // both components
      expect(relaySteps.find((s) => s.state === 'failed')?.error?.code).toBe('TURN_TIMEOUT');
      expect(r.candidates.filter((c) => c.type === 'relay').map((c) => c.component).sort()).toEqual([1, 2]);
      expect(r.candidates.filter((c) => c.type === 'host').map((c) => c.component).sort()).toEqual([1, 2]);
    } finally {
      await Promise.all([...r.bases.values()].map((b) => b.close()));
      await silent.close();
    }
  });
  it('with interfaces chosen, the relay allocations leave from the chosen address (UDP and TCP)', async () => {
    // Two addresses on lo, as a multi-homed host has two NICs; the user keeps only the second.
    // The sockets are real; only the interface list is widened (loopback answers on all 127/8).
    const twoNics: NodeNet = Object.assign(Object.create(net) as NodeNet, {
      interfaces: () => [
        { name: 'lo', address: '127.0.0.1', family: 4 as const, internal: true, cidr: '127.0.0.1/8' },
        { name: 'lo:1', address: '127.0.0.2', family: 4 as const, internal: true, cidr: '127.0.0.2/8' },
      ],
    });
    const r = await gatherCandidates({
      net: twoNics,
      clock,
      profile: lyncIce2Profile,
      foundations: new FoundationRegistry(),
      components: [1],
      interfaces: { allowLoopback: true, include: ['127.0.0.2/32'], families: [4] },
      relays: [{ address: coturn.udp, transports: ['udp', 'tcp'], credentials: longTermCredentials('alice', 'alicepw') }],
    });
    try {
      expect(r.candidates.filter((c) => c.type === 'host').map((c) => c.address.ip)).toEqual(['127.0.0.2']);
      const relays = r.candidates.filter((c) => c.type === 'relay');
      expect(relays).toHaveLength(2);
      // The related address of a relay candidate is the server's view of our source (RFC 8656 §7.3 XOR-MAPPED-ADDRESS).
      expect(relays.map((c) => c.related?.ip)).toEqual(['127.0.0.2', '127.0.0.2']);
    } finally {
      await Promise.all([...r.bases.values()].map((b) => b.close()));
    }
  });
});
