import { describe, expect, it } from 'vitest';
import type { MediapathError } from '../../../../main/common/errors';
import type { StreamSocket } from '../../../../main/net/types';
import type { NatEvent, VirtualHost } from '../../../../main/net/virtual';
import { closeAndCheck, dec, enc, makeNetwork } from './support';

async function world(seed = 1) {
  const { clock, net } = makeNetwork(seed);
  const srv = net.addHost('srv', { ip: '203.0.113.10' });
  net.addLan('home', { cidr: '192.168.1.0/24' });
  net.addNat('nat', { inside: 'home', ip: '198.51.100.1', nat: 'port-restricted-cone' });
  const cli = net.addHost('cli', { lan: 'home', ip: '192.168.1.10' });
  return { clock, net, srv, cli };
}

/** An echo server that upper-cases what it gets and remembers its connections. */
async function echo(host: VirtualHost, port: number) {
  const server = await host.listenTcp({ ip: '0.0.0.0', port });
  const accepted: StreamSocket[] = [];
  server.onConnection((s) => {
    accepted.push(s);
    s.onData((b) => s.write(enc(dec(b).toUpperCase())));
  });
  return { server, accepted };
}

describe('virtual TCP', () => {
  it('connects through a NAT: handshake, data both ways, addresses as each side sees them', async () => {
    const { clock, net, srv, cli } = await world();
    net.router('nat').wanLink.impair({ delayMs: 25 });
    const { accepted } = await echo(srv, 443);
    const pending = cli.connectTcp({ ip: '203.0.113.10', port: 443 }, { tls: { servername: 'turn.lab.test' } });
    clock.advance(49);
    let done = false;
    void pending.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    const s = await pending;
    expect(s.local).toEqual({ ip: '192.168.1.10', port: 49152 });
    expect(s.remote).toEqual({ ip: '203.0.113.10', port: 443 });
    expect(s.secure).toBe(true);
    const got: string[] = [];
    s.onData((b) => got.push(dec(b)));
    s.write(enc('hello'));
    s.write(enc(' world'));
    clock.advance(100);
    expect(got.join('')).toBe('HELLO WORLD');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.remote).toEqual({ ip: '198.51.100.1', port: 49152 });
    expect(accepted[0]!.secure).toBe(true);
    await closeAndCheck(clock, net);
  });

  it('close sends FIN: the peer sees a clean close; the NAT mapping goes away', async () => {
    const { clock, net, srv, cli } = await world();
    const { accepted } = await echo(srv, 80);
    const events: NatEvent[] = [];
    net.events.on('nat', (e) => events.push(e));
    const p = cli.connectTcp({ ip: '203.0.113.10', port: 80 });
    clock.advance(1);
    const s = await p;
    const closes: (MediapathError | undefined)[] = [];
    accepted[0]!.onClose((e) => closes.push(e));
    s.write(enc('last words'));
    await s.close();
    expect(s.closed).toBe(true);
    s.write(enc('ignored'));
    clock.advance(1);
    expect(closes).toEqual([undefined]);
    expect(accepted[0]!.closed).toBe(true);
    // The echo of 'last words' crossed the NAT after the FIN (the mapping lingers, RFC 5382
    // REQ-5) but found no connection at the client.
    expect(net.truth.drops().map((d) => [d.kind, d.dropReason, d.droppedWhere])).toEqual([['data', 'no-connection', 'cli']]);
    expect(events.map((e) => (e.type === 'mapping' ? e.action : e.type))).toEqual(['created']);
    clock.advance(240_000);
    expect(net.router('nat').nat!.mappings()).toEqual([]);
    expect(events.map((e) => (e.type === 'mapping' ? `${e.action}@${e.at}` : e.type))).toEqual(['created@0', 'closed@240001']);
    expect(net.openResources()).toBe(1); // the listener
    await closeAndCheck(clock, net);
  });

  it('connect to a closed port is refused promptly (RST)', async () => {
    const { clock, net, srv, cli } = await world();
    net.router('nat').wanLink.impair({ delayMs: 10 });
    void srv;
    const p = cli.connectTcp({ ip: '203.0.113.10', port: 5061 }, { timeoutMs: 5000 });
    const result = p.catch((e: MediapathError) => e);
    clock.advance(20);
    const e = await result;
    expect(e).toMatchObject({ code: 'NET_CONNECT_FAILED' });
    expect((e as MediapathError).message).toMatch(/refused/);
    expect(net.openResources()).toBe(0);
    await closeAndCheck(clock, net);
  });

  it('connect to a filtered destination times out after timeoutMs, on the clock', async () => {
    const { clock, net, srv, cli } = await world();
    await echo(srv, 443);
    // Unsolicited inbound SYN to the NAT: no mapping, silently dropped.
    const p = srv.connectTcp({ ip: '198.51.100.1', port: 443 }, { timeoutMs: 3000 });
    const result = p.catch((e: MediapathError) => e);
    clock.advance(2999);
    let settled = false;
    void result.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await result).toMatchObject({ code: 'NET_CONNECT_FAILED', message: expect.stringMatching(/no answer within 3000 ms/) });
    expect(net.truth.drops({ proto: 'tcp' }).map((d) => d.dropReason)).toContain('nat-no-mapping');
    void cli;
    await closeAndCheck(clock, net);
  });

  it('no route: connect fails at once', async () => {
    const { clock, net, cli } = await world();
    const lonely = net.addHost('lonely', { lan: 'home' });
    void cli;
    await net.close();
    await expect(lonely.connectTcp({ ip: '203.0.113.10', port: 80 })).rejects.toMatchObject({ code: 'CLOSED' });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps order and loses nothing over a link with jitter and loss; loss costs retransmission time', async () => {
    const { clock, net, srv, cli } = await world(4);
    net.router('nat').wanLink.impair({ delayMs: 20, jitterMs: 15, loss: 0.05 });
    const server = await srv.listenTcp({ ip: '0.0.0.0', port: 443 });
    let received = '';
    server.onConnection((s) => s.onData((b) => (received += dec(b))));
    const p = cli.connectTcp({ ip: '203.0.113.10', port: 443 }, { timeoutMs: 10_000 });
    clock.advance(2000);
    const s = await p;
    let expected = '';
    for (let i = 0; i < 500; i++) {
      const chunk = `<${i}>`;
      expected += chunk;
      s.write(enc(chunk));
      clock.advance(2);
    }
    clock.advance(10_000);
    expect(received).toBe(expected);
    const retransmitted = net.truth.records({ proto: 'tcp' }).filter((r) => r.retransmits > 0);
    expect(retransmitted.length).toBeGreaterThan(5);
    for (const r of retransmitted) expect(r.delayMs).toBeGreaterThanOrEqual(20 + 200);
    expect(net.truth.drops({ proto: 'tcp' })).toEqual([]);
    await closeAndCheck(clock, net);
  });

  it('binds the local port when asked, and refuses a taken one', async () => {
    const { clock, net, srv, cli } = await world();
    await echo(srv, 443);
    const p = cli.connectTcp({ ip: '203.0.113.10', port: 443 }, { local: { ip: '192.168.1.10', port: 9000 } });
    clock.advance(1);
    expect((await p).local).toEqual({ ip: '192.168.1.10', port: 9000 });
    await expect(cli.connectTcp({ ip: '203.0.113.10', port: 443 }, { local: { ip: '0.0.0.0', port: 9000 } })).rejects.toMatchObject({ code: 'NET_BIND_FAILED' });
    await expect(cli.listenTcp({ ip: '0.0.0.0', port: 9000 })).rejects.toMatchObject({ code: 'NET_BIND_FAILED' });
    await closeAndCheck(clock, net);
  });

  it('works over loopback, and a server close closes its connections', async () => {
    const { clock, net, srv } = await world();
    const { server, accepted } = await echo(srv, 8080);
    const p = srv.connectTcp({ ip: '127.0.0.1', port: 8080 });
    clock.advance(0);
    const s = await p;
    expect(s.local.ip).toBe('127.0.0.1');
    const errs: (MediapathError | undefined)[] = [];
    s.onClose((e) => errs.push(e));
    clock.advance(0);
    expect(accepted).toHaveLength(1);
    await server.close();
    clock.advance(0);
    expect(errs).toEqual([undefined]);
    expect(net.openResources()).toBe(0);
    await closeAndCheck(clock, net);
  });

  it('a TCP segment for no connection is recorded as such', async () => {
    const { clock, net, srv, cli } = await world();
    await echo(srv, 80);
    // Cut the server's link so the client's SYN never gets an answer, then let it time out and
    // restore: the RST it sends on giving up reaches a server that has a half-open connection.
    const p = cli.connectTcp({ ip: '203.0.113.10', port: 80 }, { timeoutMs: 100 });
    const r = p.catch((e: MediapathError) => e);
    srv.link().cut('egress');
    clock.advance(100);
    expect(await r).toMatchObject({ code: 'NET_CONNECT_FAILED' });
    srv.link().restore();
    clock.advance(10);
    expect(net.truth.drops({ proto: 'tcp' }).map((d) => [d.kind, d.dropReason])).toEqual([['syn-ack', 'link-down']]);
    expect(net.openResources()).toBe(1);
    await closeAndCheck(clock, net);
  });
});
