import { describe, expect, it } from 'vitest';
import type { TransportAddress } from '../../../main/common/address';
import { FakeClock } from '../../../main/common/clock';
import { SeededRandom } from '../../../main/common/random';
import type { DatagramSocket } from '../../../main/net/types';
import { VirtualNetwork, type NatBehavior, type VirtualHost } from '../../../main/net/virtual';
import { addressAttribute, Attr, attrs, decodeStun, encodeStun, Method, StunClient } from '../../../main/stun';

// The engine's own STUN client, unchanged, on the virtual network: what a gathering step sees.

async function bindingServer(host: VirtualHost, port = 3478): Promise<DatagramSocket> {
  const s = await host.bindUdp({ ip: host.address, port });
  s.onMessage((bytes, from) => {
    const m = decodeStun(bytes);
    if (!m.ok || m.value.cls !== 'request' || m.value.method !== Method.Binding) return;
    s.send(encodeStun({ method: Method.Binding, cls: 'success', transactionId: m.value.transactionId, attributes: [attrs.xorMappedAddress(from)] }), from);
  });
  return s;
}

async function stunSide(clock: FakeClock, host: VirtualHost, seed: number) {
  const sock = await host.bindUdp({ ip: '0.0.0.0' });
  const client = new StunClient({ clock, reliable: false, random: new SeededRandom(seed), send: (b, to) => sock.send(b, to) });
  sock.onMessage((bytes, from) => {
    const m = decodeStun(bytes);
    if (m.ok) client.handle(m.value, from);
  });
  const reflexive = async (server: TransportAddress): Promise<TransportAddress | undefined> => {
    const p = client.request(Method.Binding, [], server);
    clock.advance(40_000);
    return addressAttribute((await p).message, Attr.XOR_MAPPED_ADDRESS);
  };
  return { sock, client, reflexive };
}

function world(mapping: NatBehavior, seed = 1) {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: seed });
  const s1 = net.addHost('stun1', { ip: '203.0.113.10' });
  const s2 = net.addHost('stun2', { ip: '203.0.113.20' });
  net.addLan('home', { cidr: '192.168.1.0/24' });
  const nat = net.addNat('nat', { inside: 'home', ip: '198.51.100.1', nat: { mapping, filtering: 'address-and-port-dependent' } });
  const a = net.addHost('alice', { lan: 'home' });
  return { clock, net, s1, s2, nat, a };
}

describe('STUN client on the virtual network', () => {
  for (const [mapping, same] of [
    ['endpoint-independent', true],
    ['address-and-port-dependent', false],
  ] as const) {
    it(`server-reflexive addresses behind a ${mapping}-mapping NAT`, async () => {
      const { clock, net, s1, s2, a } = world(mapping);
      await bindingServer(s1);
      await bindingServer(s2);
      const side = await stunSide(clock, a, 7);
      const r1 = await side.reflexive({ ip: s1.address, port: 3478 });
      const r2 = await side.reflexive({ ip: s2.address, port: 3478 });
      expect(r1?.ip).toBe('198.51.100.1');
      expect(r1?.port === r2?.port).toBe(same);
      side.client.close();
      await net.close();
      expect(clock.pendingTimers()).toBe(0);
    });
  }

  it('retransmits through a lossy uplink; every send and every loss is in the ground truth', async () => {
    const { clock, net, s1, nat, a } = world('endpoint-independent', 21);
    nat.wanLink.impair({ loss: 0.4, delayMs: 30 });
    await bindingServer(s1);
    const side = await stunSide(clock, a, 3);
    const server = { ip: s1.address, port: 3478 };
    let answered = 0;
    for (let i = 0; i < 20; i++) {
      const p = side.client.request(Method.Binding, [], server).then(
        () => answered++,
        () => undefined,
      );
      clock.advance(40_000);
      await p;
    }
    const requests = net.truth.records({ src: { ip: a.address, port: side.sock.local.port } });
    const responses = net.truth.records({ src: server });
    // What the client sent is exactly what the network carried.
    expect(requests).toHaveLength(side.client.stats.sends);
    expect(side.client.stats.retransmissions).toBeGreaterThan(0);
    // Each request that arrived got a response; each lost one is a truth drop on the uplink.
    expect(responses).toHaveLength(requests.filter((r) => r.fate === 'delivered').length);
    for (const r of [...requests, ...responses].filter((x) => x.fate === 'dropped')) expect(r).toMatchObject({ dropReason: 'loss', droppedWhere: 'nat/wan' });
    expect(answered + side.client.stats.timeouts).toBe(20);
    expect(answered).toBeGreaterThan(15);
    side.client.close();
    await net.close();
    expect(clock.pendingTimers()).toBe(0);
  });
});
