import { describe, expect, it } from 'vitest';
import type { MediapathError } from '../../../../main/common/errors';
import { ask, closeAndCheck, dec, enc, inbox, makeNetwork, reflector } from './support';

describe('virtual hosts: sockets', () => {
  it('binds ephemeral ports, refuses a taken one, frees it on close', async () => {
    const { clock, net } = makeNetwork();
    const h = net.addHost('h', { ip: '203.0.113.5' });
    const a = await h.bindUdp({ ip: '0.0.0.0' });
    const b = await h.bindUdp({ ip: '203.0.113.5', port: 0 });
    expect(a.local).toEqual({ ip: '0.0.0.0', port: 49152 });
    expect(b.local).toEqual({ ip: '203.0.113.5', port: 49153 });
    const c = await h.bindUdp({ ip: '203.0.113.5', port: 5000 });
    await expect(h.bindUdp({ ip: '203.0.113.5', port: 5000 })).rejects.toMatchObject({ code: 'NET_BIND_FAILED' });
    await expect(h.bindUdp({ ip: '0.0.0.0', port: 5000 })).rejects.toMatchObject({ code: 'NET_BIND_FAILED' });
    // 127.0.0.1:5000 does not overlap 203.0.113.5:5000.
    const lo = await h.bindUdp({ ip: '127.0.0.1', port: 5000 });
    await c.close();
    expect(c.closed).toBe(true);
    const again = await h.bindUdp({ ip: '203.0.113.5', port: 5000 });
    expect(again.local.port).toBe(5000);
    await expect(h.bindUdp({ ip: '10.9.9.9' })).rejects.toMatchObject({ code: 'NET_BIND_FAILED' });
    await expect(h.bindUdp({ ip: '::' })).rejects.toMatchObject({ code: 'NET_BIND_FAILED' });
    await expect(h.listenTcp({ ip: '0.0.0.0', port: 70000 })).rejects.toMatchObject({ code: 'NET_BIND_FAILED' });
    expect(net.openResources()).toBe(4);
    for (const s of [a, b, lo, again]) await s.close();
    expect(net.openResources()).toBe(0);
    await closeAndCheck(clock, net);
  });

  it('lists loopback and its LAN address; resolves names from the network DNS', async () => {
    const { clock, net } = makeNetwork();
    net.addLan('office', { cidr: '10.1.0.0/16' });
    net.addNat('gw', { inside: 'office', ip: '198.51.100.7' });
    const h = net.addHost('pc', { lan: 'office', dns: 'pc.corp.test' });
    net.addHost('sip', { ip: '203.0.113.50', dns: ['sip.lab.test', 'registrar.lab.test'] });
    expect(h.interfaces()).toEqual([
      { name: 'lo', address: '127.0.0.1', family: 4, internal: true, cidr: '127.0.0.1/8' },
      { name: 'eth0', address: '10.1.0.2', family: 4, internal: false, cidr: '10.1.0.2/16' },
    ]);
    expect(net.router('gw').insideIp).toBe('10.1.0.1');
    expect(await h.resolve('SIP.lab.test')).toEqual(['203.0.113.50']);
    expect(await h.resolve('registrar.lab.test.')).toEqual(['203.0.113.50']);
    expect(await h.resolve('pc.corp.test')).toEqual(['10.1.0.2']);
    expect(await h.resolve('192.0.2.1')).toEqual(['192.0.2.1']);
    expect(await h.resolve('localhost')).toEqual(['127.0.0.1']);
    await expect(h.resolve('nowhere.test')).rejects.toMatchObject({ code: 'NET_RESOLVE_FAILED' });
    await closeAndCheck(clock, net);
  });

  it('delivers over loopback and across a LAN, never inside send()', async () => {
    const { clock, net } = makeNetwork();
    net.addLan('lan', { cidr: '192.168.0.0/24' });
    const a = net.addHost('a', { lan: 'lan' });
    const b = net.addHost('b', { lan: 'lan' });
    const sa = await a.bindUdp({ ip: '0.0.0.0' });
    const sa2 = await a.bindUdp({ ip: '127.0.0.1' });
    const sb = await b.bindUdp({ ip: b.address, port: 9000 });
    const gotA2 = inbox(sa2);
    const gotB = inbox(sb);
    sa.send(enc('loop'), sa2.local);
    sa.send(enc('lan'), { ip: b.address, port: 9000 });
    expect(gotA2).toEqual([]);
    expect(gotB).toEqual([]);
    clock.advance(0);
    expect(gotA2).toEqual([{ text: 'loop', from: { ip: '127.0.0.1', port: sa.local.port } }]);
    expect(gotB).toEqual([{ text: 'lan', from: { ip: a.address, port: sa.local.port } }]);
    expect(net.truth.records().map((r) => r.deliveredBy)).toEqual(['a', 'b']);
    await closeAndCheck(clock, net);
  });

  it('sends never throw: bad destinations are reported through onError, closed sockets ignore sends', async () => {
    const { clock, net } = makeNetwork();
    const h = net.addHost('h');
    const s = await h.bindUdp({ ip: '0.0.0.0' });
    const errors: MediapathError[] = [];
    s.onError((e) => errors.push(e));
    s.send(enc('x'), { ip: 'not-an-ip', port: 1 });
    s.send(enc('x'), { ip: '203.0.113.9', port: 0 });
    s.send(new Uint8Array(70_000), { ip: '203.0.113.9', port: 9 });
    clock.advance(0);
    expect(errors.map((e) => e.code)).toEqual(['NET_SOCKET_ERROR', 'NET_SOCKET_ERROR', 'NET_SOCKET_ERROR']);
    await s.close();
    expect(() => s.send(enc('x'), { ip: '203.0.113.9', port: 9 })).not.toThrow();
    expect(net.truth.counts.sent).toBe(0);
    await closeAndCheck(clock, net);
  });

  it('records why packets do not arrive: no route to a private address, nothing bound', async () => {
    const { clock, net } = makeNetwork();
    net.addLan('home', { cidr: '192.168.1.0/24' });
    net.addNat('nat', { inside: 'home' });
    net.addHost('inside', { lan: 'home', ip: '192.168.1.20' });
    const out = net.addHost('out');
    const events: string[] = [];
    net.events.on('packet.dropped', (e) => events.push(`${e.id}:${e.reason}@${e.where}`));
    const s = await out.bindUdp({ ip: '0.0.0.0' });
    s.send(enc('x'), { ip: '192.168.1.20', port: 9 });
    s.send(enc('y'), { ip: out.address, port: 9 });
    clock.advance(0);
    expect(net.truth.drops().map((d) => [d.dropReason, d.droppedWhere])).toEqual([
      ['no-route', 'internet'],
      ['port-unreachable', 'out'],
    ]);
    expect(events).toEqual(['1:no-route@internet', '2:port-unreachable@out']);
    expect(net.truth.counts).toMatchObject({ sent: 2, dropped: 2, droppedBy: { 'no-route': 1, 'port-unreachable': 1 }, inFlight: 0 });
    await closeAndCheck(clock, net);
  });

  it('a multi-homed host reaches each LAN through its own interface', async () => {
    const { clock, net } = makeNetwork();
    net.addLan('dmz-in', { cidr: '10.0.0.0/24' });
    net.addNat('corp', { inside: 'dmz-in' });
    const edge = net.addHost('edge', { ip: '203.0.113.100' });
    net.attachHost(edge, { lan: 'dmz-in', ip: '10.0.0.100' });
    const inside = net.addHost('inside', { lan: 'dmz-in', ip: '10.0.0.5' });
    const outside = net.addHost('outside', { ip: '203.0.113.200' });
    const e = await reflector(edge, 3478);
    const eIn = await edge.bindUdp({ ip: '10.0.0.100', port: 3478 });
    eIn.onMessage((_b, from) => eIn.send(enc(`${from.ip}:${from.port}`), from));
    const si = await inside.bindUdp({ ip: '0.0.0.0' });
    const so = await outside.bindUdp({ ip: '0.0.0.0' });
    expect(await ask(clock, si, { ip: '10.0.0.100', port: 3478 })).toEqual([`10.0.0.5:${si.local.port}`]);
    expect(await ask(clock, so, { ip: '203.0.113.100', port: 3478 })).toEqual([`203.0.113.200:${so.local.port}`]);
    expect(edge.interfaces().map((i) => i.address)).toEqual(['127.0.0.1', '203.0.113.100', '10.0.0.100']);
    void e;
    await closeAndCheck(clock, net);
  });

  it('a plain router routes a public subnet as is', async () => {
    const { clock, net } = makeNetwork();
    net.addLan('dmz', { cidr: '198.51.100.0/28' });
    net.addRouter('border', { inside: 'dmz', ip: '203.0.113.1' });
    const turn = net.addHost('turn', { lan: 'dmz', ip: '198.51.100.5' });
    await reflector(turn, 3478);
    const c = await net.addHost('c', { ip: '203.0.113.77' }).bindUdp({ ip: '0.0.0.0' });
    expect(await ask(clock, c, { ip: '198.51.100.5', port: 3478 })).toEqual([`203.0.113.77:${c.local.port}`]);
    await closeAndCheck(clock, net);
  });

  it('rejects bad topologies', () => {
    const { net } = makeNetwork();
    net.addLan('a', { cidr: '10.0.0.0/24' });
    net.addLan('b', { cidr: '10.1.0.0/24' });
    expect(() => net.addLan('a', { cidr: '10.2.0.0/24' })).toThrow(/already used/);
    expect(() => net.addLan('c', { cidr: '10.0.0.0/33' })).toThrow(/CIDR/);
    expect(() => net.addHost('h', { lan: 'a', ip: '10.9.0.1' })).toThrow(/not an address of LAN a/);
    net.addHost('h1', { lan: 'a', ip: '10.0.0.9' });
    expect(() => net.addHost('h2', { lan: 'a', ip: '10.0.0.9' })).toThrow(/already taken/);
    net.addNat('na', { inside: 'a', outside: 'b' });
    expect(() => net.addNat('nb', { inside: 'b', outside: 'a' })).toThrow(/tree/);
    expect(() => net.addNat('na2', { inside: 'a' })).toThrow(/already sits behind/);
    expect(() => net.addNat('ni', { inside: 'internet', outside: 'a' })).toThrow(/internet/);
    expect(() => net.addHost('x', { lan: 'nope' })).toThrow(/no LAN/);
  });

  it('close() closes every socket and drops packets in flight; nothing works afterwards', async () => {
    const { clock, net } = makeNetwork();
    const a = net.addHost('a');
    const b = net.addHost('b');
    b.link().impair({ delayMs: 50 });
    const sa = await a.bindUdp({ ip: '0.0.0.0' });
    const sb = await b.bindUdp({ ip: '0.0.0.0', port: 7 });
    const server = await b.listenTcp({ ip: '0.0.0.0', port: 80 });
    const conn = a.connectTcp({ ip: b.address, port: 80 });
    sa.send(enc('in flight'), { ip: b.address, port: 7 });
    expect(clock.pendingTimers()).toBe(1);
    await net.close();
    await expect(conn).rejects.toMatchObject({ code: 'CLOSED' });
    expect([sa.closed, sb.closed]).toEqual([true, true]);
    expect(net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    await expect(a.bindUdp({ ip: '0.0.0.0' })).rejects.toMatchObject({ code: 'CLOSED' });
    await server.close();
    expect(net.truth.counts.inFlight).toBe(2);
  });

  it('carries 100 000 datagrams through a NAT and an impaired link (the test is the timing)', async () => {
    const { clock, net } = makeNetwork(11, { truth: { cap: 100_000 } });
    const srv = net.addHost('srv', { ip: '203.0.113.10' });
    net.addLan('home', { cidr: '192.168.1.0/24' });
    net.addNat('nat', { inside: 'home', nat: 'port-restricted-cone' });
    const a = net.addHost('a', { lan: 'home' });
    net.router('nat').wanLink.impair({ loss: 0.01, delayMs: 20, jitterMs: 5 });
    const rx = await srv.bindUdp({ ip: '0.0.0.0', port: 5004 });
    let received = 0;
    rx.onMessage(() => received++);
    const tx = await a.bindUdp({ ip: '0.0.0.0' });
    const payload = new Uint8Array(160);
    // 50 packets per 1 ms tick, like many RTP streams at once.
    for (let tick = 0; tick < 2000; tick++) {
      for (let i = 0; i < 50; i++) tx.send(payload, { ip: '203.0.113.10', port: 5004 });
      clock.advance(1);
    }
    clock.advance(100);
    const c = net.truth.counts;
    expect(c.sent).toBe(100_000);
    expect(received).toBe(c.delivered);
    expect(c.dropped).toBe(c.droppedBy.loss);
    expect(c.delivered + c.dropped).toBe(100_000);
    expect(net.truth.records()).toHaveLength(100_000);
    await closeAndCheck(clock, net);
  });
});

describe('virtual hosts: datagram text helpers', () => {
  it('round-trips', () => {
    expect(dec(enc('héllo'))).toBe('héllo');
  });
});
