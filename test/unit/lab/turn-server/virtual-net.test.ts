import { describe, expect, it } from 'vitest';
import type { TransportAddress } from '../../../../main/common/address';
import { FakeClock } from '../../../../main/common/clock';
import type { MediapathError } from '../../../../main/common/errors';
import { startLabTurnServer, type LabTurnServer } from '../../../../main/lab/turn-server';
import { VirtualNetwork, firewallPresets, type VirtualHost } from '../../../../main/net/virtual';
import { TurnAllocation, longTermCredentials, type TurnTransportKind } from '../../../../main/turn';

// The same server, on the virtual network: two sites behind NATs (one symmetric, with UDP
// blocked), the server on the internet, time entirely on a FakeClock.

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Advances fake time in small steps, letting promises run between steps, until `p` settles. */
async function drive<T>(clock: FakeClock, p: Promise<T>, limitMs = 60_000, stepMs = 5): Promise<T> {
  let settled = false;
  const watched = p.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  for (let t = 0; !settled && t <= limitMs; t += stepMs) {
    clock.advance(stepMs);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
  return p;
}

async function world() {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: 3 });
  const turnHost = net.addHost('turn', { ip: '203.0.113.3' });
  net.addLan('home', { cidr: '192.168.1.0/24' });
  net.addNat('nat-home', { inside: 'home', ip: '198.51.100.1', nat: 'port-restricted-cone' });
  const alice = net.addHost('alice', { lan: 'home', ip: '192.168.1.10' });
  net.addLan('office', { cidr: '10.0.0.0/24' });
  net.addNat('nat-office', { inside: 'office', ip: '198.51.100.2', nat: 'symmetric', firewall: firewallPresets.dropUdp() });
  const bob = net.addHost('bob', { lan: 'office', ip: '10.0.0.10' });
  const server = await startLabTurnServer({
    net: turnHost,
    clock,
    listen: { ip: turnHost.address, udpPort: 3478, tcpPort: 3478 },
    relayIp: turnHost.address,
    realm: 'lab.test',
    auth: { kind: 'long-term', users: { alice: 'alicepw', bob: 'bobpw' } },
  });
  return { clock, net, turnHost, alice, bob, server };
}

function allocate(clock: FakeClock, host: VirtualHost, server: LabTurnServer, transport: TurnTransportKind, user: 'alice' | 'bob'): Promise<TurnAllocation> {
  const address: TransportAddress = transport === 'udp' ? server.udp! : server.tcp!;
  return drive(
    clock,
    TurnAllocation.allocate({
      net: host,
      clock,
      server: { address, transport },
      credentials: longTermCredentials(user, `${user}pw`),
      localIp: host.address,
      retransmit: { rtoMs: 100, rc: 4, rm: 8, reliableTimeoutMs: 2000 },
    }),
  );
}

function collect(sock: TurnAllocation): Array<{ text: string; from: TransportAddress }> {
  const got: Array<{ text: string; from: TransportAddress }> = [];
  sock.onMessage((b, from) => got.push({ text: dec(b), from }));
  return got;
}

describe('lab TURN server on the virtual network', () => {
  it('serves a NATed UDP client and a TCP-only client behind a symmetric NAT; data flows both ways', async () => {
    const { clock, net, alice, bob, server } = await world();

    const a = await allocate(clock, alice, server, 'udp', 'alice');
    expect(a.local.ip).toBe('203.0.113.3');
    expect(a.reflexive?.ip).toBe('198.51.100.1');

    // UDP is dropped at bob's site: the allocation over UDP times out, over TCP it works.
    const e = (await allocate(clock, bob, server, 'udp', 'bob').catch((x: unknown) => x)) as MediapathError;
    expect(e.code).toBe('TURN_TIMEOUT');
    const b = await allocate(clock, bob, server, 'tcp', 'bob');
    expect(b.reflexive?.ip).toBe('198.51.100.2');
    expect(server.core.allocations().map((v) => v.transport).sort()).toEqual(['tcp', 'udp']);

    const gotA = collect(a);
    const gotB = collect(b);
    await drive(clock, Promise.all([a.createPermission([b.local]), b.createPermission([a.local])]));
    a.send(enc('hello bob'), b.local);
    b.send(enc('hello alice'), a.local);
    clock.advance(200);
    expect(gotB).toEqual([{ text: 'hello bob', from: a.local }]);
    expect(gotA).toEqual([{ text: 'hello alice', from: b.local }]);

    await drive(clock, Promise.all([a.bindChannel(b.local), b.bindChannel(a.local)]));
    for (const n of [1, 3, 6, 160]) {
      a.send(enc('a'.repeat(n)), b.local);
      b.send(enc('b'.repeat(n)), a.local);
    }
    clock.advance(200);
    expect(gotB.slice(1).map((m) => m.text.length)).toEqual([1, 3, 6, 160]);
    expect(gotA.slice(1).map((m) => m.text.length)).toEqual([1, 3, 6, 160]);
    expect(a.counters.sentChannelData).toBe(4);
    expect(b.counters.receivedChannelData).toBe(4);

    await drive(clock, Promise.all([a.close(), b.close()]));
    clock.advance(100);
    expect(server.core.allocations()).toHaveLength(0);
    await server.stop();
    expect(server.openSockets()).toBe(0);
    await net.close();
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('expires an abandoned allocation on the server’s schedule and frees its relay', async () => {
    const { clock, net, alice, server } = await world();
    const a = await allocate(clock, alice, server, 'udp', 'alice');
    const deleted: string[] = [];
    server.onEvent((e) => e.type === 'allocation-deleted' && deleted.push(e.reason));
    // The client goes away and its deallocation is lost on the way.
    server.setKnobs({ dropAll: true });
    await drive(clock, a.close(50));
    server.setKnobs({ dropAll: false });
    expect(server.core.allocations()).toHaveLength(1);
    clock.advance(600_000);
    expect(deleted).toEqual(['expired']);
    expect(server.openSockets()).toBe(2);
    await server.stop();
    await net.close();
    expect(clock.pendingTimers()).toBe(0);
  });
});
