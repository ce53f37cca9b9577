import { describe, expect, it } from 'vitest';
import type { TransportAddress } from '../../../../main/common/address';
import type { NatBehavior, NatConfig, NatEvent } from '../../../../main/net/virtual';
import { ask, closeAndCheck, enc, inbox, makeNetwork, reflector } from './support';

const S1 = '203.0.113.10';
const S2 = '203.0.113.20';
const PUBLIC = '198.51.100.1';

async function site(nat: NatConfig, seed = 1) {
  const { clock, net } = makeNetwork(seed);
  const s1 = net.addHost('s1', { ip: S1 });
  const s2 = net.addHost('s2', { ip: S2 });
  const servers = [await reflector(s1, 3478), await reflector(s1, 3479), await reflector(s2, 3478)];
  net.addLan('home', { cidr: '192.168.1.0/24' });
  const router = net.addNat('nat', { inside: 'home', ip: PUBLIC, nat });
  const a = net.addHost('a', { lan: 'home', ip: '192.168.1.10' });
  const b = net.addHost('b', { lan: 'home', ip: '192.168.1.11' });
  return { clock, net, s1, s2, servers, router, a, b };
}

const parse = (t: string): TransportAddress => {
  const [ip, port] = t.split(':');
  return { ip: ip!, port: Number(port) };
};

describe('NAT mapping behaviour (RFC 4787 §4.1)', () => {
  const cases: [NatBehavior, boolean, boolean][] = [
    // behaviour, same mapping for another port of the same server, same mapping for another server
    ['endpoint-independent', true, true],
    ['address-dependent', true, false],
    ['address-and-port-dependent', false, false],
  ];
  for (const [mapping, samePort, sameServer] of cases) {
    it(`${mapping}: reuses the mapping per its rule`, async () => {
      const { clock, net, a } = await site({ mapping, filtering: 'endpoint-independent' });
      const sock = await a.bindUdp({ ip: '0.0.0.0', port: 40000 });
      const m1 = (await ask(clock, sock, { ip: S1, port: 3478 }))[0]!;
      const m2 = (await ask(clock, sock, { ip: S1, port: 3479 }))[0]!;
      const m3 = (await ask(clock, sock, { ip: S2, port: 3478 }))[0]!;
      expect(parse(m1).ip).toBe(PUBLIC);
      expect(m1 === m2).toBe(samePort);
      expect(m1 === m3).toBe(sameServer);
      // Port preservation: the first mapping keeps the internal port.
      expect(parse(m1).port).toBe(40000);
      expect(net.router('nat').nat!.stats.mappingsCreated).toBe(1 + (samePort ? 0 : 1) + (sameServer ? 0 : 1));
      await closeAndCheck(clock, net);
    });
  }
});

describe('NAT filtering behaviour (RFC 4787 §5)', () => {
  const cases: [NatBehavior, boolean, boolean][] = [
    // behaviour, admits the same server from another port, admits another server
    ['endpoint-independent', true, true],
    ['address-dependent', true, false],
    ['address-and-port-dependent', false, false],
  ];
  for (const [filtering, otherPort, otherServer] of cases) {
    it(`${filtering}: admits unsolicited inbound per its rule`, async () => {
      const { clock, net, a, servers } = await site({ mapping: 'endpoint-independent', filtering });
      const sock = await a.bindUdp({ ip: '0.0.0.0' });
      const got = inbox(sock);
      const mapped = parse((await ask(clock, sock, { ip: S1, port: 3478 }))[0]!);
      got.length = 0;
      servers[1]!.send(enc('from s1:3479'), mapped);
      servers[2]!.send(enc('from s2:3478'), mapped);
      servers[0]!.send(enc('from s1:3478'), mapped);
      clock.advance(10);
      expect(got.map((g) => g.text).sort()).toEqual(['from s1:3478', ...(otherPort ? ['from s1:3479'] : []), ...(otherServer ? ['from s2:3478'] : [])].sort());
      const filtered = net.truth.drops({ reason: 'nat-filter' });
      expect(filtered.length).toBe((otherPort ? 0 : 1) + (otherServer ? 0 : 1));
      expect(net.router('nat').nat!.stats.filtered).toBe(filtered.length);
      await closeAndCheck(clock, net);
    });
  }

  it('drops inbound to a port with no mapping, and says so', async () => {
    const { clock, net, servers } = await site({ mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
    const events: NatEvent[] = [];
    net.events.on('nat', (e) => events.push(e));
    servers[0]!.send(enc('probe'), { ip: PUBLIC, port: 50000 });
    clock.advance(10);
    const [d] = net.truth.drops();
    expect(d).toMatchObject({ dropReason: 'nat-no-mapping', droppedWhere: 'nat' });
    expect(events).toMatchObject([{ type: 'filtered', reason: 'nat-no-mapping', nat: 'nat' }]);
    await closeAndCheck(clock, net);
  });
});

describe('NAT hairpinning (RFC 4787 §6)', () => {
  for (const hairpinning of [true, false]) {
    it(`hairpinning ${hairpinning ? 'on' : 'off'}`, async () => {
      const { clock, net, a, b } = await site({ mapping: 'endpoint-independent', filtering: 'endpoint-independent', hairpinning });
      const sa = await a.bindUdp({ ip: '0.0.0.0' });
      const sb = await b.bindUdp({ ip: '0.0.0.0' });
      const ma = parse((await ask(clock, sa, { ip: S1, port: 3478 }))[0]!);
      const mb = parse((await ask(clock, sb, { ip: S1, port: 3478 }))[0]!);
      const got = inbox(sb);
      sa.send(enc('hello via the NAT'), mb);
      clock.advance(10);
      if (hairpinning) {
        // REQ-9: the receiver sees the sender's public mapping, not its private address.
        expect(got).toEqual([{ text: 'hello via the NAT', from: ma }]);
        expect(net.router('nat').nat!.stats.hairpinned).toBe(1);
      } else {
        expect(got).toEqual([]);
        expect(net.truth.drops()).toMatchObject([{ dropReason: 'no-hairpin' }]);
      }
      await closeAndCheck(clock, net);
    });
  }
});

describe('NAT mapping lifetime (RFC 4787 §4.3)', () => {
  it('expires an idle UDP mapping, and outbound traffic keeps it alive', async () => {
    const { clock, net, a, servers } = await site({ mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', udpTimeoutMs: 30_000 });
    const events: NatEvent[] = [];
    net.events.on('nat', (e) => events.push(e));
    const sock = await a.bindUdp({ ip: '0.0.0.0' });
    const got = inbox(sock);
    const mapped = parse((await ask(clock, sock, { ip: S1, port: 3478 }))[0]!);
    // Kept alive by outbound keepalives every 20 s for 100 s; inbound alone does not refresh.
    for (let i = 0; i < 5; i++) {
      clock.advance(20_000);
      sock.send(enc('keepalive'), { ip: S1, port: 3478 });
    }
    clock.advance(25_000);
    got.length = 0;
    servers[0]!.send(enc('still there?'), mapped);
    clock.advance(10);
    expect(got.map((g) => g.text)).toEqual(['still there?']);
    // Now idle for more than 30 s since the last outbound packet.
    clock.advance(10_000);
    servers[0]!.send(enc('gone?'), mapped);
    clock.advance(10);
    expect(got.map((g) => g.text)).toEqual(['still there?']);
    expect(net.truth.drops({ proto: 'udp' }).at(-1)).toMatchObject({ dropReason: 'nat-no-mapping' });
    const expired = events.filter((e) => e.type === 'mapping' && e.action === 'expired');
    expect(expired).toHaveLength(1);
    expect(net.router('nat').nat!.mappings()).toHaveLength(0);
    await closeAndCheck(clock, net);
  });
});

describe('NAT port allocation', () => {
  it('preserves the internal port when free, else allocates sequentially', async () => {
    const { clock, net, a, b } = await site({ mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
    const sa = await a.bindUdp({ ip: '0.0.0.0', port: 5060 });
    const sb = await b.bindUdp({ ip: '0.0.0.0', port: 5060 });
    expect(await ask(clock, sa, { ip: S1, port: 3478 })).toEqual([`${PUBLIC}:5060`]);
    expect(await ask(clock, sb, { ip: S1, port: 3478 })).toEqual([`${PUBLIC}:49152`]);
    await closeAndCheck(clock, net);
  });

  it('random allocation is stable for a seed', async () => {
    const run = async (seed: number): Promise<string> => {
      const { clock, net, a } = await site({ mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portPreservation: false, portAllocation: 'random' }, seed);
      const s = await a.bindUdp({ ip: '0.0.0.0' });
      const out = [...(await ask(clock, s, { ip: S1, port: 3478 })), ...(await ask(clock, s, { ip: S2, port: 3478 }))].join(' ');
      await closeAndCheck(clock, net);
      return out;
    };
    const first = await run(7);
    expect(await run(7)).toBe(first);
    const ports = first.split(' ').map((t) => parse(t).port);
    expect(new Set(ports).size).toBe(2);
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(49152);
  });

  it('the symmetric preset gives each destination its own, non-preserved port', async () => {
    const { clock, net } = makeNetwork(1);
    await reflector(net.addHost('s1', { ip: S1 }), 3478);
    await reflector(net.addHost('s2', { ip: S2 }), 3478);
    net.addLan('home', { cidr: '192.168.1.0/24' });
    net.addNat('nat', { inside: 'home', ip: PUBLIC, nat: 'symmetric' });
    const sock = await net.addHost('a', { lan: 'home' }).bindUdp({ ip: '0.0.0.0', port: 40000 });
    const m1 = (await ask(clock, sock, { ip: S1, port: 3478 }))[0]!;
    const m2 = (await ask(clock, sock, { ip: S2, port: 3478 }))[0]!;
    expect([m1, m2]).toEqual([`${PUBLIC}:49152`, `${PUBLIC}:49153`]);
    await closeAndCheck(clock, net);
  });
});

describe('nested NAT', () => {
  it('translates twice: the server sees the outer NAT, replies come back through both', async () => {
    const { clock, net } = makeNetwork(3);
    const s = net.addHost('s', { ip: S1 });
    await reflector(s, 3478);
    net.addLan('cgn', { cidr: '100.64.0.0/24' });
    net.addNat('carrier', { inside: 'cgn', ip: '198.51.100.50', nat: 'port-restricted-cone' });
    net.addLan('home', { cidr: '192.168.1.0/24' });
    const home = net.addNat('homenat', { inside: 'home', outside: 'cgn', nat: 'port-restricted-cone' });
    expect(home.publicIp).toMatch(/^100\.64\.0\./);
    const a = net.addHost('a', { lan: 'home' });
    const sock = await a.bindUdp({ ip: a.address });
    const [mapped] = await ask(clock, sock, { ip: S1, port: 3478 });
    expect(parse(mapped!).ip).toBe('198.51.100.50');
    await closeAndCheck(clock, net);
  });
});
