import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, RealClock } from '../../../main/common/clock';
import { MediapathError } from '../../../main/common/errors';
import { NodeNet } from '../../../main/net/node/node-net';
import type { DatagramSocket } from '../../../main/net/types';
import { TurnAllocation, longTermCredentials, restCredentials, type TurnClientOptions, type TurnTransportKind } from '../../../main/turn';
import { LAB_SECRET, startLongTermCoturn, startSecretCoturn, startTlsCoturn, stopAllCoturn, type LabCoturn } from '../../support/coturn-harness';

// Our TURN client against a real coturn on loopback: one long-term instance with TLS, one
// shared-secret (REST API) instance beside it (one coturn cannot serve both, LAB.md).
let lt: LabCoturn;
let rest: LabCoturn;
const clock = new RealClock();
const net = new NodeNet();
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  [lt, rest] = await Promise.all([startTlsCoturn({ ip: '127.0.0.1' }), startSecretCoturn({ ip: '127.0.0.2' })]);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

afterAll(async () => {
  await stopAllCoturn();
});

function serverFor(c: LabCoturn, transport: TurnTransportKind): TurnClientOptions['server'] {
  if (transport === 'udp') return { address: c.udp, transport };
  if (transport === 'tcp') return { address: c.tcp, transport };
  return { address: c.tls!, transport, tls: { ca: c.cert!.certPem, servername: 'turn.lab.test' } };
}

async function allocate(transport: TurnTransportKind, extra: Partial<TurnClientOptions> = {}): Promise<TurnAllocation> {
  const a = await TurnAllocation.allocate({
    net,
    clock,
    server: serverFor(lt, transport),
    credentials: longTermCredentials('alice', 'alicepw'),
    localIp: '127.0.0.1',
    ...extra,
  });
  open.push(a);
  return a;
}

function nextMessage(sock: DatagramSocket): Promise<{ text: string; from: string }> {
  return new Promise((resolve) => {
    const d = sock.onMessage((bytes, from) => {
      d.dispose();
      resolve({ text: new TextDecoder().decode(bytes), from: `${from.ip}:${from.port}` });
    });
  });
}

describe.each(['udp', 'tcp', 'tls'] as const)('TURN over %s against coturn', (transport) => {
  it('allocates a relay and reports relayed, reflexive, lifetime and the 401 step', async () => {
    const a = await allocate(transport, { lifetimeSeconds: 1200 });
    expect(a.state).toBe('allocated');
    expect(a.local.ip).toBe('127.0.0.1');
    expect(a.local.port).toBeGreaterThanOrEqual(lt.relayPorts.min);
    expect(a.local.port).toBeLessThanOrEqual(lt.relayPorts.max);
    expect(a.reflexive).toEqual(a.base);
    expect(a.lifetime).toBe(1200);
    expect(a.realm).toBe(lt.realm);
    const names = a.steps.map((s) => `${s.name}:${s.outcome.split(' ')[0]}`);
    expect(names).toEqual([...(transport === 'udp' ? [] : ['connect:connected']), 'allocate:401', 'allocate-authenticated:success']);
  });

  it('two allocations exchange data through permissions (Send/Data) and channels (ChannelData)', async () => {
    const a = await allocate(transport);
    const b = await allocate(transport === 'tls' ? 'udp' : transport);
    await a.createPermission([b.local]);
    await b.createPermission([a.local]);
    const gotB = nextMessage(b);
    a.send(new TextEncoder().encode('via-indication'), b.local);
    expect(await gotB).toEqual({ text: 'via-indication', from: `${a.local.ip}:${a.local.port}` });
    expect(a.counters.sentIndications).toBe(1);
    expect(b.counters.receivedData).toBe(1);

    await a.bindChannel(b.local);
    await b.bindChannel(a.local);
    for (const n of [1, 2, 3, 5, 7]) {
      // odd sizes exercise ChannelData padding on streams
      const text = 'x'.repeat(n);
      const got = nextMessage(b);
      a.send(new TextEncoder().encode(text), b.local);
      expect((await got).text).toBe(text);
      const back = nextMessage(a);
      b.send(new TextEncoder().encode(text + '!'), a.local);
      expect((await back).text).toBe(text + '!');
    }
    expect(a.counters.sentChannelData).toBe(5);
    expect(a.counters.receivedChannelData).toBe(5);
  });

  it('queues datagrams to a new peer until its permission is installed', async () => {
    const a = await allocate(transport);
    const b = await allocate('udp');
    await b.createPermission([a.local]);
    const got = nextMessage(b);
    a.send(new TextEncoder().encode('early'), b.local); // no permission yet
    expect((await got).text).toBe('early');
  });
});

describe('allocation lifetime against coturn', () => {
  it('refresh extends the lifetime', async () => {
    // RFC 8656 §7.2: the server grants at least its default (600 s) and at most its maximum.
    const a = await allocate('udp', { lifetimeSeconds: 700 });
    const before = a.expiresAt;
    expect(a.lifetime).toBe(700);
    expect(await a.refresh(2400)).toBe(2400);
    expect(a.lifetime).toBe(2400);
    expect(a.expiresAt).toBeGreaterThan(before + 1_600_000);
  });

  it('deallocation frees it on the server: a refresh afterwards is 437 Allocation Mismatch', async () => {
    const a = await allocate('udp');
    expect(await a.refresh(0)).toBe(0);
    // coturn deletes an allocation on its next one-second timer tick; a refresh before that
    // tick would revive it, so give the server that tick.
    await new Promise((r) => setTimeout(r, 2500));
    const e = await a.refresh(600).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MediapathError);
    expect((e as MediapathError).code).toBe('TURN_ALLOCATION_MISMATCH');
    expect((e as MediapathError).detail?.response?.code).toBe(437);
  });

  it('close() deallocates and a peer can no longer reach the relayed address', async () => {
    const a = await allocate('udp');
    const b = await allocate('udp');
    await a.createPermission([b.local]);
    const relayed = a.local;
    await a.close();
    expect(a.state).toBe('closed');
    let received = 0;
    b.onMessage(() => received++);
    // The server answers nothing for a deleted allocation; a's socket is closed in any case.
    await b.createPermission([relayed]);
    b.send(new Uint8Array([1, 2, 3]), relayed);
    expect(received).toBe(0);
  });
});

describe('TURN failures against coturn', () => {
  it('a wrong password fails with TURN_AUTH_FAILED and the 401, without a retry loop', async () => {
    const e = await allocate('udp', { credentials: longTermCredentials('alice', 'wrong') }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MediapathError);
    expect((e as MediapathError).code).toBe('TURN_AUTH_FAILED');
    expect((e as MediapathError).detail?.response?.code).toBe(401);
    expect((e as MediapathError).message).toMatch(/401/);
  });

  it('REST credentials minted from the shared secret allocate; expired ones get 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = await TurnAllocation.allocate({ net, clock, server: { address: rest.udp, transport: 'udp' }, credentials: restCredentials(LAB_SECRET, 'alice', now + 3600), localIp: '127.0.0.1' });
    open.push(good);
    expect(good.state).toBe('allocated');
    const e = await TurnAllocation.allocate({ net, clock, server: { address: rest.udp, transport: 'udp' }, credentials: restCredentials(LAB_SECRET, 'alice', now - 60), localIp: '127.0.0.1' }).catch((x: unknown) => x);
    expect((e as MediapathError).code).toBe('TURN_AUTH_FAILED');
    const wrongSecret = await TurnAllocation.allocate({ net, clock, server: { address: rest.tcp, transport: 'tcp' }, credentials: restCredentials('not-the-secret', 'alice', now + 3600), localIp: '127.0.0.1' }).catch((x: unknown) => x);
    expect((wrongSecret as MediapathError).code).toBe('TURN_AUTH_FAILED');
  });

  it('a dead UDP server fails with TURN_TIMEOUT after the configured retransmissions', async () => {
    const silent = await net.bindUdp({ ip: '127.0.0.1', port: 0 });
    try {
      const e = await TurnAllocation.allocate({
        net,
        clock,
        server: { address: silent.local, transport: 'udp' },
        credentials: longTermCredentials('alice', 'alicepw'),
        localIp: '127.0.0.1',
        retransmit: { rtoMs: 50, rc: 3, rm: 4 },
      }).catch((x: unknown) => x);
      expect((e as MediapathError).code).toBe('TURN_TIMEOUT');
      expect((e as MediapathError).message).toMatch(/after 3 request/);
    } finally {
      await silent.close();
    }
  });

  it('a dead TCP server (accepts, never answers) fails with TURN_TIMEOUT after Ti', async () => {
    const server = await net.listenTcp({ ip: '127.0.0.1', port: 0 });
    try {
      const e = await TurnAllocation.allocate({
        net,
        clock,
        server: { address: server.local, transport: 'tcp' },
        credentials: longTermCredentials('alice', 'alicepw'),
        localIp: '127.0.0.1',
        retransmit: { reliableTimeoutMs: 300 },
      }).catch((x: unknown) => x);
      expect((e as MediapathError).code).toBe('TURN_TIMEOUT');
    } finally {
      await server.close();
    }
  });

  it('a closed TCP port fails with NET_CONNECT_FAILED naming the server', async () => {
    const server = await net.listenTcp({ ip: '127.0.0.1', port: 0 });
    const addr = server.local;
    await server.close();
    const e = await TurnAllocation.allocate({ net, clock, server: { address: addr, transport: 'tcp' }, credentials: longTermCredentials('a', 'b') }).catch((x: unknown) => x);
    expect((e as MediapathError).code).toBe('NET_CONNECT_FAILED');
    expect((e as MediapathError).message).toContain(`${addr.ip}:${addr.port}`);
  });
});

describe('438 Stale Nonce against coturn', () => {
  it('a refresh after the nonce expired is retried with the new nonce, transparently', async () => {
    const c = await startLongTermCoturn({ ip: '127.0.0.3', lifetimes: { staleNonceSec: 1 } });
    const steps: string[] = [];
    const a = await TurnAllocation.allocate({
      net,
      clock,
      server: { address: c.udp, transport: 'udp' },
      credentials: longTermCredentials('alice', 'alicepw'),
      localIp: '127.0.0.1',
      observer: (e) => {
        if (e.type === 'step') steps.push(`${e.name}:${e.outcome.split(' ')[0]}`);
      },
    });
    open.push(a);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await a.refresh(900)).toBe(900);
    expect(steps).toContain('refresh-authenticated:438');
    expect(steps.at(-1)).toBe('refresh-authenticated:success');
  });
});

describe('timed refreshes, driven by a fake clock against a real coturn', () => {
  it('refreshes the allocation before expiry, permissions before 5 min and channels before 10 min', async () => {
    const fake = new FakeClock();
    const events: string[] = [];
    const waitFor = async (what: string): Promise<void> => {
      for (let i = 0; i < 200 && !events.includes(what); i++) await new Promise((r) => setTimeout(r, 10));
      expect(events).toContain(what);
    };
    const a = await TurnAllocation.allocate({
      net,
      clock: fake,
      server: { address: lt.udp, transport: 'udp' },
      credentials: longTermCredentials('alice', 'alicepw'),
      localIp: '127.0.0.1',
      lifetimeSeconds: 600,
      observer: (e) => {
        if (e.type === 'refreshed') events.push(`allocation:${e.lifetime}`);
        if (e.type === 'permission' || e.type === 'channel') events.push(`${e.type}:${e.state}`);
      },
    });
    const b = await allocate('udp');
    await b.createPermission([a.local]);
    await a.createPermission([b.local]);
    await a.bindChannel(b.local);
    expect(events).toEqual(['permission:installed', 'channel:bound']);
    fake.advance(240_000); // permission refresh is due at 4 min
    await waitFor('permission:refreshed');
    fake.advance(300_000); // 9 min: channel refresh; allocation refresh at 600 − 60 s
    await waitFor('channel:refreshed');
    await waitFor('allocation:600');
    const gotB = nextMessage(b);
    a.send(new TextEncoder().encode('still here'), b.local);
    expect((await gotB).text).toBe('still here');
    await a.close();
    expect(a.state).toBe('closed');
    expect(fake.pendingTimers()).toBe(0);
  });
});
