import { describe, expect, it } from 'vitest';
import type { TransportAddress } from '../../../../main/common/address';
import { getHeader, type SipMessage, type SipRequest, sipRequest, sipResponse } from '../../../../main/sip/message';
import { parseVia } from '../../../../main/sip/header-values';
import { openSipTransport, type SipTransport, type SipTransportEvent, type StreamSipTransport } from '../../../../main/sip/transport';
import { closeWorld, natWorld, run, settle } from './support';

function request(branch: string, kind = 'UDP', extra: [string, string][] = []): SipRequest {
  return sipRequest('OPTIONS', 'sip:lab.test', [
    ['Via', `SIP/2.0/${kind} 0.0.0.0:9;branch=${branch};rport`],
    ['Max-Forwards', '70'],
    ['From', '<sip:alice@lab.test>;tag=a1'],
    ['To', '<sip:lab.test>'],
    ['Call-ID', `c-${branch}`],
    ['CSeq', '1 OPTIONS'],
    ...extra,
  ]);
}

/** Echoes every request as a 200 with the request's (marked) Via, like a UAS would. */
function answerer(t: SipTransport): { got: { message: SipMessage; from: TransportAddress }[] } {
  const got: { message: SipMessage; from: TransportAddress }[] = [];
  t.onMessage((message, from) => {
    got.push({ message, from });
    if (message.kind !== 'request') return;
    const copy = (n: string): [string, string][] => message.headers.filter((h) => h.name === n).map((h): [string, string] => [n, h.value]);
    void t.send(sipResponse(200, 'OK', [...copy('Via'), ...copy('From'), ['To', `${getHeader(message, 'To')};tag=s1`], ...copy('Call-ID'), ...copy('CSeq')]), from);
  });
  return { got };
}

describe('UDP transport', () => {
  it('stamps Via, marks received/rport on the server, learns the public address on the client, logs both ways', async () => {
    const { clock, net, server, client } = natWorld();
    const srv = await openSipTransport({ net: server, clock, kind: 'udp', local: { ip: '0.0.0.0', port: 5060 } });
    const cli = await openSipTransport({ net: client, clock, kind: 'udp', local: { ip: '0.0.0.0', port: 5070 } });
    const { got } = answerer(srv);
    const cliEvents: SipTransportEvent[] = [];
    cli.onEvent((e) => cliEvents.push(e));
    const responses: SipMessage[] = [];
    cli.onMessage((m) => responses.push(m));
    const to = { ip: '203.0.113.10', port: 5060 };
    expect((await cli.send(request('z9hG4bK-1', 'UDP', [['Authorization', 'Digest username="a", response="0123456789abcdef"']]), to, { stampVia: true })).ok).toBe(true);
    await run(clock, 100);

    const seen = got[0]!;
    expect(seen.from).toEqual({ ip: '198.51.100.1', port: 5070 });
    const via = parseVia(getHeader(seen.message, 'Via')!);
    expect(via.ok && via.value).toMatchObject({ transport: 'UDP', host: '192.168.1.10', port: 5070, received: '198.51.100.1', rport: 5070, branch: 'z9hG4bK-1' });
    expect(responses).toHaveLength(1);
    expect(cli.publicAddress(to)).toEqual({ ip: '198.51.100.1', port: 5070 });
    expect(cli.publicAddress()).toEqual({ ip: '198.51.100.1', port: 5070 });

    const sent = cliEvents.find((e) => e.type === 'sip.sent');
    expect(sent).toMatchObject({ type: 'sip.sent', transport: 'udp', peer: '203.0.113.10:5060', at: 0 });
    expect(sent?.type === 'sip.sent' && sent.text).toContain('OPTIONS sip:lab.test SIP/2.0');
    expect(sent?.type === 'sip.sent' && sent.text).not.toContain('0123456789abcdef');
    expect(cliEvents.find((e) => e.type === 'sip.received')).toMatchObject({ peer: '203.0.113.10:5060' });
    expect(cliEvents.find((e) => e.type === 'sip.public-address')).toMatchObject({ address: '198.51.100.1:5070', peer: '203.0.113.10:5060' });
    await cli.close();
    await srv.close();
    await closeWorld(clock, net);
  });

  it('answers a malformed request 400, drops a malformed response and CRLF keep-alives, never throws', async () => {
    const { clock, net, server, client } = natWorld();
    const srv = await openSipTransport({ net: server, clock, kind: 'udp', local: { ip: '203.0.113.10', port: 5060 } });
    const got: SipMessage[] = [];
    srv.onMessage((m) => got.push(m));
    const raw = await client.bindUdp({ ip: '0.0.0.0' });
    const back: string[] = [];
    raw.onMessage((b) => back.push(new TextDecoder().decode(b)));
    const enc = (s: string) => new TextEncoder().encode(s);
    const to = { ip: '203.0.113.10', port: 5060 };
    // CSeq method differs from the request method: a parse error that still lets us answer.
    raw.send(enc('OPTIONS sip:lab.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10:5070;branch=z9hG4bK-x\r\nFrom: <sip:a@lab.test>;tag=1\r\nTo: <sip:lab.test>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n'), to);
    raw.send(enc('SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n'), to);
    raw.send(enc('\r\n\r\n'), to);
    raw.send(new Uint8Array([0, 1, 2, 3, 255]), to);
    await run(clock, 100);
    expect(got).toEqual([]);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(back[0]).toContain('Warning: 399 mediapath "CSeq method INVITE differs from OPTIONS');
    await raw.close();
    await srv.close();
    await closeWorld(clock, net);
  });

  it('refuses to send after close', async () => {
    const { clock, net, client } = natWorld();
    const cli = await openSipTransport({ net: client, clock, kind: 'udp' });
    await cli.close();
    const r = await cli.send(request('z9hG4bK-2'), { ip: '203.0.113.10', port: 5060 });
    expect(r.ok === false && r.error.code).toBe('CLOSED');
    await closeWorld(clock, net);
  });
});

describe('TCP transport', () => {
  it('opens one connection per peer, reuses it both ways, frames split messages, answers pings', async () => {
    const { clock, net, server, client } = natWorld();
    const srv = await openSipTransport({ net: server, clock, kind: 'tcp', local: { ip: '0.0.0.0', port: 5060 } });
    const cli = (await openSipTransport({ net: client, clock, kind: 'tcp' })) as StreamSipTransport;
    const { got } = answerer(srv);
    const responses: SipMessage[] = [];
    cli.onMessage((m) => responses.push(m));
    const to = { ip: '203.0.113.10', port: 5060 };
    const c = await settle(clock, cli.connect(to));
    expect(c.ok && c.value.ip).toBe('192.168.1.10');
    await settle(clock, cli.send(request('z9hG4bK-a', 'TCP'), to, { stampVia: true }));
    await settle(clock, cli.send(request('z9hG4bK-b', 'TCP'), to, { stampVia: true }));
    await run(clock, 200);
    expect(got.map((g) => getHeader(g.message, 'Call-ID'))).toEqual(['c-z9hG4bK-a', 'c-z9hG4bK-b']);
    const via = parseVia(getHeader(got[0]!.message, 'Via')!);
    expect(via.ok && via.value).toMatchObject({ transport: 'TCP', host: '192.168.1.10', port: c.ok ? c.value.port : 0, received: '198.51.100.1' });
    expect(responses).toHaveLength(2);
    expect(cli.connectionCount).toBe(1);

    // The server reaches the client on the connection the client opened (NAT: no other way in).
    const back: SipMessage[] = [];
    cli.onMessage((m) => back.push(m));
    await settle(clock, srv.send(request('z9hG4bK-c', 'TCP'), got[0]!.from, { stampVia: true }));
    await run(clock, 100);
    expect(back.map((m) => m.kind === 'request' && m.method)).toContain('OPTIONS');
    expect((srv as StreamSipTransport).connectionCount).toBe(1);
    await cli.close();
    await srv.close();
    await closeWorld(clock, net);
  });

  it('reconnects on the next send after the peer closed, fails cleanly when nobody listens', async () => {
    const { clock, net, server, client } = natWorld();
    const srv = (await openSipTransport({ net: server, clock, kind: 'tcp', local: { ip: '0.0.0.0', port: 5060 } })) as StreamSipTransport;
    answerer(srv);
    const cli = (await openSipTransport({ net: client, clock, kind: 'tcp', connectTimeoutMs: 2000 })) as StreamSipTransport;
    const to = { ip: '203.0.113.10', port: 5060 };
    const first = await settle(clock, cli.connect(to));
    await srv.close();
    await run(clock, 100);
    expect(cli.connectionCount).toBe(0);
    const srv2 = await openSipTransport({ net: server, clock, kind: 'tcp', local: { ip: '0.0.0.0', port: 5060 } });
    const { got } = answerer(srv2);
    expect((await settle(clock, cli.send(request('z9hG4bK-r', 'TCP'), to, { stampVia: true }))).ok).toBe(true);
    await run(clock, 100);
    expect(got).toHaveLength(1);
    expect(first.ok && got[0]!.from.port).not.toBe(0);
    const refused = await settle(clock, cli.send(request('z9hG4bK-n', 'TCP'), { ip: '203.0.113.10', port: 5999 }, { stampVia: true }));
    expect(refused.ok === false && refused.error.code).toBe('NET_CONNECT_FAILED');
    await cli.close();
    await srv2.close();
    await closeWorld(clock, net);
  });

  it('CRLF keep-alive: pings on schedule, closes the flow when a peer that answered stops answering', async () => {
    const { clock, net, server, client } = natWorld();
    // A raw server that pongs the first ping only.
    const listener = await server.listenTcp({ ip: '0.0.0.0', port: 5060 });
    const pings: number[] = [];
    listener.onConnection((s) =>
      s.onData((b) => {
        if (b.length === 4) {
          pings.push(clock.now());
          if (pings.length === 1) s.write(new Uint8Array([13, 10]));
        }
      }),
    );
    const cli = (await openSipTransport({ net: client, clock, kind: 'tcp', keepAlive: { intervalMs: 30_000 } })) as StreamSipTransport;
    await settle(clock, cli.connect({ ip: '203.0.113.10', port: 5060 }));
    const t0 = clock.now();
    await run(clock, 75_000, 100);
    expect(pings.map((t) => Math.round((t - t0) / 1000))).toEqual([30, 60]);
    expect(cli.connectionCount).toBe(0);
    await cli.close();
    await listener.close();
    await closeWorld(clock, net);
  });

  it('closes a connection whose stream cannot be framed', async () => {
    const { clock, net, server, client } = natWorld();
    const srv = (await openSipTransport({ net: server, clock, kind: 'tcp', local: { ip: '0.0.0.0', port: 5060 } })) as StreamSipTransport;
    const got: SipMessage[] = [];
    srv.onMessage((m) => got.push(m));
    const s = await settle(clock, client.connectTcp({ ip: '203.0.113.10', port: 5060 }));
    let closed = false;
    s.onClose(() => (closed = true));
    s.write(new TextEncoder().encode('OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n'));
    await run(clock, 200);
    expect(got).toEqual([]);
    expect(closed).toBe(true);
    expect(srv.connectionCount).toBe(0);
    await srv.close();
    await closeWorld(clock, net);
  });

  it('answers a request with a garbage header line 400 on the same connection and keeps serving it', async () => {
    const { clock, net, server, client } = natWorld();
    const srv = (await openSipTransport({ net: server, clock, kind: 'tcp', local: { ip: '0.0.0.0', port: 5060 } })) as StreamSipTransport;
    answerer(srv);
    const s = await settle(clock, client.connectTcp({ ip: '203.0.113.10', port: 5060 }));
    let closed = false;
    s.onClose(() => (closed = true));
    const back: string[] = [];
    s.onData((b) => back.push(new TextDecoder().decode(b)));
    const head = 'OPTIONS sip:lab.test SIP/2.0\r\nVia: SIP/2.0/TCP 192.168.1.10:5070;branch=z9hG4bK-g\r\nFrom: <sip:a@lab.test>;tag=1\r\nTo: <sip:lab.test>\r\nCall-ID: g\r\nCSeq: 1 OPTIONS\r\n';
    s.write(new TextEncoder().encode(`${head}this line is garbage\r\nContent-Length: 0\r\n\r\n`));
    await run(clock, 100);
    s.write(new TextEncoder().encode(`${head.replace('z9hG4bK-g', 'z9hG4bK-h').replace('CSeq: 1', 'CSeq: 2')}Content-Length: 0\r\n\r\n`));
    await run(clock, 100);
    const text = back.join('');
    expect(text).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(text).toContain('CSeq: 1 OPTIONS');
    expect(text).toMatch(/SIP\/2\.0 200 OK\r\n[^]*CSeq: 2 OPTIONS/);
    expect(closed).toBe(false);
    expect(srv.connectionCount).toBe(1);
    await s.close();
    await srv.close();
    await closeWorld(clock, net);
  });
});
