import { afterAll, describe, expect, it } from 'vitest';
import { NodeNet } from '../../../main/net/node/node-net';
import type { MediapathError } from '../../../main/common/errors';
import type { TransportAddress } from '../../../main/common/address';

// The send path of NodeUdpSocket: literals answered without a resolver round, names through
// dns.lookup, one completion callback that still names the peer of a refused send.
const net = new NodeNet();
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

afterAll(() => {
  expect(net.openResources()).toBe(0);
});

describe('NodeUdpSocket send', () => {
  it('reports a send the kernel refuses with the peer it was for, and keeps sending afterwards', async () => {
    const a = await net.bindUdp({ ip: '127.0.0.1' });
    const b = await net.bindUdp({ ip: '127.0.0.1' });
    const err = new Promise<MediapathError>((r) => a.onError(r));
    // Broadcast without SO_BROADCAST: EACCES from the kernel, through dgram's send completion.
    a.send(new Uint8Array([1]), { ip: '255.255.255.255', port: 9 });
    const e = await err;
    expect(e.code).toBe('NET_SOCKET_ERROR');
    expect(e.detail?.peer).toEqual({ ip: '255.255.255.255', port: 9 });
    expect(e.message).toMatch(/255\.255\.255\.255:9/);
    const got = new Promise<string>((r) => b.onMessage((bytes) => r(text(bytes))));
    a.send(new TextEncoder().encode('after'), b.local);
    expect(await got).toBe('after');
    await a.close();
    await b.close();
  });

  it('sends to literals and to a name through the resolver, alternating, each to its own peer', async () => {
    const a = await net.bindUdp({ ip: '127.0.0.1' });
    const b = await net.bindUdp({ ip: '127.0.0.1' });
    const c = await net.bindUdp({ ip: '127.0.0.1' });
    const seen: string[] = [];
    const froms: TransportAddress[] = [];
    const all = new Promise<void>((r) => {
      const on =
        (name: string) =>
        (bytes: Uint8Array, from: TransportAddress): void => {
          froms.push(from);
          seen.push(`${name}:${text(bytes)}`);
          if (seen.length === 4) r();
        };
      b.onMessage(on('b'));
      c.onMessage(on('c'));
    });
    a.send(new TextEncoder().encode('1'), b.local);
    a.send(new TextEncoder().encode('2'), c.local);
    a.send(new TextEncoder().encode('3'), { ip: 'localhost', port: b.local.port });
    a.send(new TextEncoder().encode('4'), b.local);
    await all;
    expect(seen.sort()).toEqual(['b:1', 'b:3', 'b:4', 'c:2']);
    expect(froms.every((f) => f.ip === '127.0.0.1' && f.port === a.local.port)).toBe(true);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('reports each source as its own address when several peers alternate', async () => {
    const rx = await net.bindUdp({ ip: '127.0.0.1' });
    const peers = [await net.bindUdp({ ip: '127.0.0.1' }), await net.bindUdp({ ip: '127.0.0.1' })];
    const got: number[] = [];
    const done = new Promise<void>((r) =>
      rx.onMessage((bytes, from) => {
        got.push(from.port);
        if (got.length === 6) r();
      }),
    );
    for (let i = 0; i < 6; i++) peers[i % 2]!.send(new Uint8Array([i]), rx.local);
    await done;
    expect(got.filter((p) => p === peers[0]!.local.port)).toHaveLength(3);
    expect(got.filter((p) => p === peers[1]!.local.port)).toHaveLength(3);
    await Promise.all([rx.close(), ...peers.map((p) => p.close())]);
  });
});
