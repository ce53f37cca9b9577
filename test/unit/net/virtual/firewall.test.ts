import { describe, expect, it } from 'vitest';
import type { FakeClock } from '../../../../main/common/clock';
import type { MediapathError } from '../../../../main/common/errors';
import { firewallPresets, type FirewallConfig, type VirtualNetworkEvents } from '../../../../main/net/virtual';
import { ask, closeAndCheck, makeNetwork, reflector } from './support';

const SERVER = '203.0.113.10';

async function corp(firewall: FirewallConfig) {
  const { clock, net } = makeNetwork();
  const srv = net.addHost('srv', { ip: SERVER });
  await reflector(srv, 3478);
  for (const port of [443, 80, 5061]) {
    const l = await srv.listenTcp({ ip: '0.0.0.0', port });
    l.onConnection((s) => s.onData((b) => s.write(b)));
  }
  net.addLan('corp', { cidr: '10.0.0.0/24' });
  const router = net.addNat('fw', { inside: 'corp', ip: '198.51.100.1', firewall });
  const pc = net.addHost('pc', { lan: 'corp' });
  const drops: VirtualNetworkEvents['firewall.drop'][] = [];
  net.events.on('firewall.drop', (d) => drops.push(d));
  return { clock, net, srv, pc, router, drops };
}

async function tcpOk(clock: FakeClock, connect: Promise<unknown>): Promise<boolean | string> {
  const r = connect.then(
    () => true,
    (e: MediapathError) => e.message,
  );
  clock.advance(10_000);
  return r;
}

describe('firewall', () => {
  it('drop all UDP: STUN gets nothing, TCP 443 still works', async () => {
    const { clock, net, pc, router, drops } = await corp(firewallPresets.dropUdp());
    const s = await pc.bindUdp({ ip: '0.0.0.0' });
    expect(await ask(clock, s, { ip: SERVER, port: 3478 })).toEqual([]);
    expect(await tcpOk(clock, pc.connectTcp({ ip: SERVER, port: 443 }))).toBe(true);
    expect(net.truth.drops()).toMatchObject([{ proto: 'udp', dropReason: 'firewall', droppedWhere: 'fw' }]);
    expect(router.firewall!.stats).toMatchObject({ droppedOut: 1, droppedIn: 0 });
    expect(drops).toMatchObject([{ router: 'fw', direction: 'out', rule: 0, note: 'drop all UDP', packet: { proto: 'udp', dst: { ip: SERVER, port: 3478 } } }]);
    // Nothing reached the NAT: no mapping was made for the dropped datagram.
    expect(router.nat!.stats.mappingsCreated).toBe(1);
    await closeAndCheck(clock, net);
  });

  it('only TCP 443 and 80 out: other ports time out, UDP is dropped, replies come back', async () => {
    const { clock, net, pc, router } = await corp(firewallPresets.onlyTcp([443, 80]));
    expect(await tcpOk(clock, pc.connectTcp({ ip: SERVER, port: 443 }))).toBe(true);
    expect(await tcpOk(clock, pc.connectTcp({ ip: SERVER, port: 80 }))).toBe(true);
    expect(await tcpOk(clock, pc.connectTcp({ ip: SERVER, port: 5061 }, { timeoutMs: 2000 }))).toMatch(/no answer within 2000 ms/);
    const s = await pc.bindUdp({ ip: '0.0.0.0' });
    expect(await ask(clock, s, { ip: SERVER, port: 3478 })).toEqual([]);
    // The SYN to 5061, the RST sent on giving up, and the datagram.
    expect(router.firewall!.stats.droppedOut).toBe(3);
    expect(router.firewall!.stats.established).toBeGreaterThan(0);
    await closeAndCheck(clock, net);
  });

  it('is stateful: unsolicited inbound is dropped, replies to inside traffic pass', async () => {
    const { clock, net } = makeNetwork();
    net.addLan('dmz', { cidr: '198.51.100.0/28' });
    const border = net.addRouter('border', { inside: 'dmz', firewall: { defaultIn: 'drop' } });
    const inside = net.addHost('inside', { lan: 'dmz' });
    const outside = net.addHost('outside', { ip: '203.0.113.99' });
    await reflector(outside, 3478);
    const si = await inside.bindUdp({ ip: '0.0.0.0', port: 4000 });
    const so = await outside.bindUdp({ ip: '0.0.0.0' });
    expect(await ask(clock, so, { ip: inside.address, port: 4000 })).toEqual([]);
    expect(await ask(clock, si, { ip: '203.0.113.99', port: 3478 })).toEqual([`${inside.address}:4000`]);
    expect(border.firewall!.stats).toMatchObject({ droppedIn: 1, established: 1 });
    await closeAndCheck(clock, net);
  });

  it('matches addresses and port ranges; reconfiguring flushes flows', async () => {
    const { clock, net, pc, router } = await corp({ rules: [{ action: 'drop', direction: 'out', dst: '203.0.113.0/28', dstPort: [3000, 3999] }] });
    const s = await pc.bindUdp({ ip: '0.0.0.0' });
    expect(await ask(clock, s, { ip: SERVER, port: 3478 })).toEqual([]);
    router.setFirewall(undefined);
    const mapped = await ask(clock, s, { ip: SERVER, port: 3478 });
    expect(mapped).toHaveLength(1);
    // Stateful: an inbound-only rule does not stop replies to a flow the inside started…
    router.setFirewall({ rules: [{ action: 'drop', direction: 'in', src: SERVER }] });
    expect(await ask(clock, s, { ip: SERVER, port: 3478 })).toHaveLength(1);
    // …a rule for both directions stops the flow from starting.
    router.setFirewall({ rules: [{ action: 'drop', dst: SERVER }] });
    expect(await ask(clock, s, { ip: SERVER, port: 3478 })).toEqual([]);
    expect(router.firewall!.stats.droppedOut).toBe(1);
    expect(() => router.setFirewall({ rules: [{ action: 'drop', src: '10.0.0.0/40' }] })).toThrow(/CIDR/);
    await closeAndCheck(clock, net);
  });
});
