import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, RealClock, type Clock } from '../../../main/common/clock';
import { MediapathError } from '../../../main/common/errors';
import { startLabTurnServer, type LabTurnServer, type LabTurnServerOptions, type TurnServerEvent } from '../../../main/lab/turn-server';
import { NodeNet } from '../../../main/net/node/node-net';
import type { DatagramSocket } from '../../../main/net/types';
import { TurnAllocation, longTermCredentials, restCredentials, type TurnClientOptions, type TurnEvent } from '../../../main/turn';

// Our TURN client (main/turn) against our lab TURN server on loopback, real sockets on both sides.
// Server and clients use separate NodeNets so each side's leftovers can be counted.
const LOOPBACK = '127.0.0.1';
const SECRET = 'lab-shared-secret';
const clock = new RealClock();
const serverNet = new NodeNet();
const clientNet = new NodeNet();
const servers: LabTurnServer[] = [];
const clients: TurnAllocation[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close(200)));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  expect(clientNet.openResources()).toBe(0);
  expect(serverNet.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

async function server(over: Partial<LabTurnServerOptions> = {}): Promise<LabTurnServer> {
  const s = await startLabTurnServer({
    net: serverNet,
    clock,
    listen: { ip: LOOPBACK },
    relayIp: LOOPBACK,
    realm: 'lab.test',
    auth: { kind: 'long-term', users: { alice: 'alicepw', bob: 'bobpw' } },
    ...over,
  });
  servers.push(s);
  return s;
}

async function allocate(s: LabTurnServer, transport: 'udp' | 'tcp', extra: Partial<TurnClientOptions> = {}): Promise<TurnAllocation> {
  const address = transport === 'udp' ? s.udp! : s.tcp!;
  const a = await TurnAllocation.allocate({
    net: clientNet,
    clock,
    server: { address, transport },
    credentials: longTermCredentials('alice', 'alicepw'),
    localIp: LOOPBACK,
    ...extra,
  });
  clients.push(a);
  return a;
}

async function failure(p: Promise<unknown>): Promise<MediapathError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MediapathError);
    return e as MediapathError;
  }
  throw new Error('expected a failure');
}

function nextMessage(sock: DatagramSocket): Promise<{ text: string; from: string }> {
  return new Promise((resolve) => {
    const d = sock.onMessage((bytes, from) => {
      d.dispose();
      resolve({ text: new TextDecoder().decode(bytes), from: `${from.ip}:${from.port}` });
    });
  });
}

function nextEvent<T extends TurnServerEvent['type']>(s: LabTurnServer, type: T, match: (e: Extract<TurnServerEvent, { type: T }>) => boolean = () => true): Promise<Extract<TurnServerEvent, { type: T }>> {
  return new Promise((resolve) => {
    const d = s.onEvent((e) => {
      if (e.type === type && match(e as Extract<TurnServerEvent, { type: T }>)) {
        d.dispose();
        resolve(e as Extract<TurnServerEvent, { type: T }>);
      }
    });
  });
}

const enc = (s: string) => new TextEncoder().encode(s);

describe.each(['udp', 'tcp'] as const)('our TURN client against the lab TURN server over %s', (transport) => {
  it('allocates after the 401 round trip, with relayed, reflexive and lifetime', async () => {
    const s = await server();
    const a = await allocate(s, transport, { lifetimeSeconds: 1200 });
    expect(a.state).toBe('allocated');
    expect(a.local.ip).toBe(LOOPBACK);
    expect(a.reflexive).toEqual(a.base);
    expect(a.lifetime).toBe(1200);
    expect(a.realm).toBe('lab.test');
    expect(a.steps.map((x) => `${x.name}:${x.outcome.split(' ')[0]}`)).toEqual([...(transport === 'tcp' ? ['connect:connected'] : []), 'allocate:401', 'allocate-authenticated:success']);
    const [view] = s.core.allocations();
    expect(view).toMatchObject({ state: 'active', transport, username: 'alice', relayed: a.local, client: a.base });
    expect(s.openSockets()).toBe(2 + (transport === 'tcp' ? 1 : 0) + 1);
  });

  it('two allocations exchange data through permissions (Send/Data) and channels (ChannelData)', async () => {
    const s = await server();
    const a = await allocate(s, transport);
    const b = await allocate(s, 'udp');
    await a.createPermission([b.local]);
    await b.createPermission([a.local]);
    const gotB = nextMessage(b);
    a.send(enc('via-indication'), b.local);
    expect(await gotB).toEqual({ text: 'via-indication', from: `${a.local.ip}:${a.local.port}` });
    const gotA = nextMessage(a);
    b.send(enc('and-back'), a.local);
    expect(await gotA).toEqual({ text: 'and-back', from: `${b.local.ip}:${b.local.port}` });
    expect(a.counters.receivedData).toBe(1);

    await a.bindChannel(b.local);
    await b.bindChannel(a.local);
    for (const n of [1, 2, 3, 5, 7, 160]) {
      const text = 'x'.repeat(n);
      const got = nextMessage(b);
      a.send(enc(text), b.local);
      expect((await got).text).toBe(text);
      const back = nextMessage(a);
      b.send(enc(text + '!'), a.local);
      expect((await back).text).toBe(text + '!');
    }
    expect(a.counters.sentChannelData).toBe(6);
    expect(a.counters.receivedChannelData).toBe(6);
    const view = s.core.allocations().find((v) => v.relayed?.port === a.local.port)!;
    expect(view.counters).toMatchObject({ packetsToPeers: 7, packetsToClient: 7 });
    expect(view.channels).toHaveLength(1);
  });

  it('queues a datagram to a new peer until its permission is installed', async () => {
    const s = await server();
    const a = await allocate(s, transport);
    const b = await allocate(s, 'udp');
    await b.createPermission([a.local]);
    const got = nextMessage(b);
    a.send(enc('early'), b.local);
    expect((await got).text).toBe('early');
  });

  it('refreshes, deallocates, and answers 437 afterwards', async () => {
    const s = await server();
    const a = await allocate(s, transport, { lifetimeSeconds: 700 });
    expect(await a.refresh(2400)).toBe(2400);
    expect(a.lifetime).toBe(2400);
    const deleted = nextEvent(s, 'allocation-deleted');
    expect(await a.refresh(0)).toBe(0);
    expect((await deleted).reason).toBe('refresh-zero');
    expect(s.openSockets()).toBe(2 + (transport === 'tcp' ? 1 : 0));
    const e = await failure(a.refresh(600));
    expect(e.code).toBe('TURN_ALLOCATION_MISMATCH');
    expect(e.detail?.response?.code).toBe(437);
  });

  it('reports a wrong password as TURN_AUTH_FAILED', async () => {
    const s = await server();
    const e = await failure(allocate(s, transport, { credentials: longTermCredentials('alice', 'wrong') }));
    expect(e.code).toBe('TURN_AUTH_FAILED');
    expect(s.stats.responses['401']).toBe(2);
  });

  it('handles 438 Stale Nonce in the client: revoked nonces, one retry, success', async () => {
    const s = await server();
    const seen: string[] = [];
    const a = await allocate(s, transport, { observer: (e: TurnEvent) => e.type === 'step' && seen.push(`${e.name}:${e.outcome.split(' ')[0]}`) });
    s.core.revokeNonces();
    expect(await a.refresh(900)).toBe(900);
    expect(seen.slice(-2)).toEqual(['refresh-authenticated:438', 'refresh-authenticated:success']);
    expect(s.stats.responses['438']).toBe(1);
  });

  it('accepts REST credentials minted from the shared secret, refuses expired ones', async () => {
    const s = await server({ auth: { kind: 'shared-secret', secret: SECRET } });
    const now = Math.floor(clock.wallNow() / 1000);
    const a = await allocate(s, transport, { credentials: restCredentials(SECRET, 'alice', now + 3600) });
    expect(a.state).toBe('allocated');
    expect(s.core.allocations()[0]!.username).toBe(`${now + 3600}:alice`);
    const e = await failure(allocate(s, transport, { credentials: restCredentials(SECRET, 'alice', now - 10) }));
    expect(e.code).toBe('TURN_AUTH_FAILED');
  });

  it('knob dropAll: the client gives up with TURN_TIMEOUT', async () => {
    const s = await server({ knobs: { dropAll: true } });
    const e = await failure(allocate(s, transport, { retransmit: { rtoMs: 20, rc: 3, rm: 4, reliableTimeoutMs: 300 } }));
    expect(e.code).toBe('TURN_TIMEOUT');
    expect(s.stats.dropped['knob-drop-all']).toBeGreaterThanOrEqual(1);
  });

  it('knob respond401Always: good credentials end in TURN_AUTH_FAILED (the Edge/MRAS mismatch)', async () => {
    const s = await server({ knobs: { respond401Always: true } });
    const e = await failure(allocate(s, transport));
    expect(e.code).toBe('TURN_AUTH_FAILED');
  });

  it('knob delayMs: answers come late but come, and stop() cancels the ones still held', async () => {
    const serverClock = new RealClock();
    const s = await server({ clock: serverClock, knobs: { delayMs: 30 } });
    const a = await allocate(s, transport);
    expect(a.state).toBe('allocated');
    const held = nextEvent(s, 'response', (e) => e.method === 'Refresh');
    void a.refresh(600).catch(() => undefined);
    await held;
    expect(serverClock.pendingTimers()).toBe(2); // the held answer and the allocation's expiry
    await s.stop();
    expect(serverClock.pendingTimers()).toBe(0);
  });
});

describe('lab TURN server: transports and lifecycle', () => {
  it('knob refuseTransport tcp: TCP clients are cut off, UDP ones served', async () => {
    const s = await server({ knobs: { refuseTransport: 'tcp' } });
    const e = await failure(allocate(s, 'tcp', { retransmit: { reliableTimeoutMs: 2000 } }));
    // the connection is accepted and closed at once: the client's Allocate is abandoned
    expect(e.code).toBe('CLOSED');
    expect((await allocate(s, 'udp')).state).toBe('allocated');
  });

  it('deletes a TCP client’s allocation when its connection closes', async () => {
    const s = await server();
    const a = await allocate(s, 'tcp');
    const deleted = nextEvent(s, 'allocation-deleted');
    s.core.setKnobs({ dropAll: true }); // so the client's deallocation is not what deletes it
    await a.close(50);
    expect((await deleted).reason).toBe('connection-closed');
    expect(s.core.allocations()).toHaveLength(0);
  });

  it('stop() with live allocations closes every socket and timer, and the clients notice', async () => {
    const s = await server();
    const a = await allocate(s, 'tcp');
    const b = await allocate(s, 'udp');
    await a.createPermission([b.local]);
    const lost = new Promise<MediapathError>((resolve) => a.onError(resolve));
    await s.stop();
    expect(s.openSockets()).toBe(0);
    expect(serverNet.openResources()).toBe(0);
    expect((await lost).code).toBe('TURN_ALLOCATION_FAILED');
  });

  it('listens on the ports it is given and only on the transports asked for', async () => {
    const probe = await startLabTurnServer({ net: serverNet, clock, listen: { ip: LOOPBACK }, relayIp: LOOPBACK, realm: 'r', auth: { kind: 'long-term', users: {} }, transports: ['udp'] });
    const port = probe.udp!.port;
    await probe.stop();
    const s = await server({ listen: { ip: LOOPBACK, udpPort: port }, transports: ['udp'] });
    expect(s.udp).toEqual({ ip: LOOPBACK, port });
    expect(s.tcp).toBeUndefined();
  });

  it('refuses a wildcard relay address', async () => {
    const e = await failure(startLabTurnServer({ net: serverNet, clock, listen: { ip: LOOPBACK }, relayIp: '0.0.0.0', realm: 'r', auth: { kind: 'long-term', users: {} } }));
    expect(e.code).toBe('INVALID_ARGUMENT');
  });
});

describe('lab TURN server on a fake clock: expiry of permissions and allocations', () => {
  it('drops data once permissions lapse (300 s) and deletes allocations at their lifetime (600 s)', async () => {
    const serverClock = new FakeClock();
    // The clients' clock never moves, so they never refresh: only the server's time passes.
    const clientClock: Clock = new FakeClock();
    const s = await server({ clock: serverClock });
    const a = await allocate(s, 'udp', { clock: clientClock });
    const b = await allocate(s, 'udp', { clock: clientClock });
    await a.createPermission([b.local]);
    await b.createPermission([a.local]);
    const got = nextMessage(b);
    a.send(enc('before'), b.local);
    expect((await got).text).toBe('before');
    expect(serverClock.pendingTimers()).toBe(1);

    const expired: TurnServerEvent[] = [];
    s.onEvent((e) => (e.type === 'permission' || e.type === 'allocation-deleted') && expired.push(e));
    serverClock.advance(300_000);
    expect(expired.map((e) => e.type === 'permission' && e.state)).toEqual(['expired', 'expired']);
    const dropped = nextEvent(s, 'dropped', (e) => e.reason === 'no-permission');
    a.send(enc('after'), b.local);
    expect((await dropped).allocationId).toBeDefined();

    serverClock.advance(300_000);
    expect(expired.filter((e) => e.type === 'allocation-deleted').map((e) => e.type === 'allocation-deleted' && e.reason)).toEqual(['expired', 'expired']);
    expect(s.openSockets()).toBe(2);
    expect(serverClock.pendingTimers()).toBe(0);
    const e = await failure(a.refresh(600));
    expect(e.code).toBe('TURN_ALLOCATION_MISMATCH');

    await Promise.all(clients.splice(0).map((c) => c.close(200)));
    expect(clientClock.pendingTimers()).toBe(0);
    await s.stop();
    expect(serverClock.pendingTimers()).toBe(0);
  });
});
