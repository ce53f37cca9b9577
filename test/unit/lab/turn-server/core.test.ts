import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../main/common/random';
import { DEFAULT_LIFETIMES } from '../../../../main/lab/turn-server';
import {
  Attr,
  Method,
  Protocol,
  addressAttribute,
  attrs,
  checkIntegrity,
  decodeStun,
  encodeStun,
  getAttribute,
  textAttribute,
  uint32Attribute,
} from '../../../../main/stun';
import { decodeChannelData, encodeChannelData, restCredentials } from '../../../../main/turn';
import {
  CoreClient,
  RELAY_IP,
  WALL,
  clientSends,
  codeOf,
  events,
  kinds,
  makeCore,
  onlyResponse,
  peerSends,
  tcpClient,
  txid,
  udpClient,
} from './support';

const relayed = (port: number) => ({ ip: RELAY_IP, port });
/** An IPv4 XOR-PEER-ADDRESS value (RFC 8489 §14.2): no transaction id in the mask for IPv4. */
const xorV4 = (ip: string, port: number): Uint8Array => {
  const cookie = [0x21, 0x12, 0xa4, 0x42];
  return new Uint8Array([0, 1, (port >>> 8) ^ 0x21, (port & 0xff) ^ 0x12, ...ip.split('.').map((x, i) => Number(x) ^ cookie[i]!)]);
};
const text = (s: string) => new TextEncoder().encode(s);
const S = 1000;

describe('TurnServerCore: Binding and authentication', () => {
  it('answers Binding without credentials with the client address (XOR-MAPPED-ADDRESS)', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const res = onlyResponse(c.send(c.encode(Method.Binding, [], { sign: false }), 0));
    expect(res.cls).toBe('success');
    expect(addressAttribute(res, Attr.XOR_MAPPED_ADDRESS)).toEqual({ ip: '10.0.0.1', port: 5000 });
  });

  it('challenges an unauthenticated Allocate with 401, REALM and NONCE, unsigned', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const res = c.challenge(0);
    expect(textAttribute(res, Attr.REALM)).toBe('lab.test');
    expect(textAttribute(res, Attr.NONCE)).toMatch(/^[0-9a-f]{36}$/);
    expect(getAttribute(res, Attr.MESSAGE_INTEGRITY)).toBeUndefined();
    // RFC 8489 §9.2.4: never the same nonce for two source addresses
    const other = new CoreClient(core, udpClient('10.0.0.2', 5000));
    expect(textAttribute(other.challenge(0), Attr.NONCE)).not.toBe(c.nonce);
  });

  it('allocates once authenticated: relay opened first, then a signed success with the three addresses and LIFETIME', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const { response, allocationId } = c.allocate(0, relayed(50000));
    expect(response.cls).toBe('success');
    expect(addressAttribute(response, Attr.XOR_RELAYED_ADDRESS)).toEqual(relayed(50000));
    expect(addressAttribute(response, Attr.XOR_MAPPED_ADDRESS)).toEqual({ ip: '10.0.0.1', port: 5000 });
    expect(uint32Attribute(response, Attr.LIFETIME)).toBe(600);
    expect(textAttribute(response, Attr.SOFTWARE)).toBeTruthy();
    const created = events(c.lastActions).find((e) => e.type === 'allocation-created');
    expect(created).toMatchObject({ allocationId, username: 'alice', relayed: relayed(50000), lifetime: 600, transport: 'udp' });
    expect(core.allocations()).toHaveLength(1);
    expect(core.stats.allocationsCreated).toBe(1);
  });

  it('refuses a wrong password and an unknown user with 401 (unsigned)', () => {
    const core = makeCore();
    const bad = new CoreClient(core, udpClient('10.0.0.1', 5000), 'alice', 'nope');
    bad.challenge(0);
    const r1 = bad.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], 0)!;
    expect(codeOf(r1)).toBe(401);
    expect(getAttribute(r1, Attr.MESSAGE_INTEGRITY)).toBeUndefined();
    const ghost = new CoreClient(core, udpClient('10.0.0.2', 5000), 'mallory', 'x');
    ghost.challenge(0);
    expect(codeOf(ghost.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], 0)!)).toBe(401);
    expect(core.allocations()).toHaveLength(0);
  });

  it('answers 400 to a signed request missing USERNAME/REALM/NONCE (RFC 8489 §9.2.4)', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const bytes = encodeStun({ method: Method.Allocate, cls: 'request', transactionId: txid(), attributes: [attrs.requestedTransport(Protocol.UDP), attrs.username('alice')] }, { integrityKey: c.key, fingerprint: true });
    expect(codeOf(onlyResponse(c.send(bytes, 0)))).toBe(400);
  });

  it('answers 438 with a fresh nonce once the nonce is too old, and the retry succeeds', () => {
    const core = makeCore({ lifetimes: { nonce: 60 } });
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.allocate(0, relayed(50000));
    const stale = c.request(Method.Refresh, [attrs.lifetime(600)], 61 * S)!;
    expect(codeOf(stale)).toBe(438);
    const fresh = textAttribute(stale, Attr.NONCE)!;
    expect(fresh).not.toBe(c.nonce);
    expect(textAttribute(stale, Attr.REALM)).toBe('lab.test');
    c.nonce = fresh;
    expect(codeOf(c.request(Method.Refresh, [attrs.lifetime(600)], 61 * S)!)).toBe(200);
  });

  it('revokeNonces makes every outstanding nonce stale (438), a forged nonce too', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.allocate(0, relayed(50000));
    core.revokeNonces();
    expect(codeOf(c.request(Method.Refresh, [], 1 * S)!)).toBe(438);
    c.nonce = '0'.repeat(36);
    expect(codeOf(c.request(Method.Refresh, [], 1 * S)!)).toBe(438);
  });

  it('a nonce is bound to the source address it was issued to', () => {
    const core = makeCore();
    const a = new CoreClient(core, udpClient('10.0.0.1', 5000));
    a.challenge(0);
    const b = new CoreClient(core, udpClient('10.0.0.1', 5001));
    b.nonce = a.nonce;
    expect(codeOf(b.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], 0)!)).toBe(438);
  });

  it('accepts REST credentials minted from the shared secret and refuses expired or forged ones', () => {
    const secret = 's3cret';
    const core = makeCore({ auth: { kind: 'shared-secret', secret } });
    const good = restCredentials(secret, 'alice', WALL / 1000 + 3600);
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000), good.username, good.password);
    expect(c.allocate(0, relayed(50000)).response.cls).toBe('success');

    const expired = restCredentials(secret, 'alice', WALL / 1000 - 1);
    const e = new CoreClient(core, udpClient('10.0.0.2', 5000), expired.username, expired.password);
    e.challenge(0);
    expect(codeOf(e.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], 0)!)).toBe(401);

    const forged = restCredentials('other-secret', 'alice', WALL / 1000 + 3600);
    const f = new CoreClient(core, udpClient('10.0.0.3', 5000), forged.username, forged.password);
    f.challenge(0);
    expect(codeOf(f.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], 0)!)).toBe(401);

    // a leading zero signs differently from the canonical spelling: refused, not guessed at
    const odd = `0${good.username}`;
    const g = new CoreClient(core, udpClient('10.0.0.4', 5000), odd, good.password);
    g.challenge(0);
    expect(codeOf(g.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], 0)!)).toBe(401);
  });

  it('REST credentials that expire during the allocation stop refreshing it (401)', () => {
    const secret = 's3cret';
    let wall = WALL;
    const core = makeCore({ auth: { kind: 'shared-secret', secret }, wallNow: () => wall });
    const cred = restCredentials(secret, 'alice', WALL / 1000 + 60);
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000), cred.username, cred.password);
    c.allocate(0, relayed(50000));
    wall += 61 * S;
    expect(codeOf(c.request(Method.Refresh, [], 61 * S)!)).toBe(401);
    // the allocation itself lives on until it expires
    expect(core.allocations()).toHaveLength(1);
  });
});

describe('TurnServerCore: Allocate checks (RFC 8656 §7.2)', () => {
  it('442 for a TCP allocation (RFC 6062 is not served), 400 without REQUESTED-TRANSPORT', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.challenge(0);
    const tcp = c.request(Method.Allocate, [attrs.requestedTransport(Protocol.TCP)], 0)!;
    expect(codeOf(tcp)).toBe(442);
    expect(checkIntegrity(tcp, c.key)).toBe('valid');
    expect(codeOf(c.request(Method.Allocate, [attrs.lifetime(600)], 0)!)).toBe(400);
  });

  it('420 listing unknown comprehension-required attributes, DONT-FRAGMENT among them', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.challenge(0);
    const res = c.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP), attrs.raw(Attr.DONT_FRAGMENT, new Uint8Array(0))], 0)!;
    expect(codeOf(res)).toBe(420);
    expect(Array.from(getAttribute(res, Attr.UNKNOWN_ATTRIBUTES)!.value)).toEqual([0x00, 0x1a]);
    expect(checkIntegrity(res, c.key)).toBe('valid');
    // comprehension-optional ones (≥ 0x8000) are ignored
    expect(c.allocate(0, relayed(50000), [attrs.requestedTransport(Protocol.UDP), attrs.raw(0x8123, text('x'))]).response.cls).toBe('success');
  });

  it('440 for an IPv6 relay on an IPv4 server; 508 for EVEN-PORT and RESERVATION-TOKEN', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.challenge(0);
    const v6 = c.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP), attrs.raw(Attr.REQUESTED_ADDRESS_FAMILY, new Uint8Array([2, 0, 0, 0]))], 0)!;
    expect(codeOf(v6)).toBe(440);
    const even = c.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP), attrs.raw(Attr.EVEN_PORT, new Uint8Array([0x80]))], 0)!;
    expect(codeOf(even)).toBe(508);
    const token = c.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP), attrs.raw(Attr.RESERVATION_TOKEN, new Uint8Array(8))], 0)!;
    expect(codeOf(token)).toBe(508);
  });

  it('LIFETIME: default 600, floor at the default, capped at the maximum (3600)', () => {
    const cases: Array<[number | undefined, number]> = [
      [undefined, 600],
      [100, 600],
      [1200, 1200],
      [99999, 3600],
    ];
    for (const [asked, granted] of cases) {
      const core = makeCore();
      const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
      const { response } = c.allocate(0, relayed(50000), [attrs.requestedTransport(Protocol.UDP), ...(asked !== undefined ? [attrs.lifetime(asked)] : [])]);
      expect(uint32Attribute(response, Attr.LIFETIME)).toBe(granted);
    }
  });

  it('437 for a second Allocate on the same 5-tuple; a retransmission gets the same answer', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.challenge(0);
    const id = txid();
    const req = c.encode(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], { id });
    const first = c.send(req, 0);
    const open = first.find((a) => a.kind === 'open-relay')!;
    // retransmitted while the relay is being bound: nothing yet, nothing twice
    expect(kinds(c.send(req, 100))).toEqual([]);
    expect(core.stats.dropped['allocate-in-progress']).toBe(1);
    const success = clientSends(core.onRelayOpened((open as { allocationId: string }).allocationId, relayed(50000), 200))[0]!.bytes;
    const again = clientSends(c.send(req, 300));
    expect(again).toHaveLength(1);
    expect(again[0]!.bytes).toEqual(success);
    expect(core.stats.retransmitsAnswered).toBe(1);
    expect(codeOf(c.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], 400)!)).toBe(437);
  });

  it('486 when the allocation quota is reached', () => {
    const core = makeCore({ maxAllocations: 1 });
    new CoreClient(core, udpClient('10.0.0.1', 5000)).allocate(0, relayed(50000));
    const c = new CoreClient(core, udpClient('10.0.0.1', 5001));
    c.challenge(0);
    expect(codeOf(c.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], 0)!)).toBe(486);
  });

  it('508 when the relay socket cannot be bound, and the 5-tuple is free again', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.challenge(0);
    const actions = c.send(c.encode(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)]), 0);
    const open = actions.find((a) => a.kind === 'open-relay') as { allocationId: string };
    expect(codeOf(onlyResponse(core.onRelayFailed(open.allocationId, 1)))).toBe(508);
    expect(core.allocations()).toHaveLength(0);
    expect(c.allocate(2, relayed(50001)).response.cls).toBe('success');
  });
});

describe('TurnServerCore: Refresh and the 5-tuple (RFC 8656 §5, §8.2)', () => {
  it('refresh sets a new lifetime; LIFETIME 0 deletes and closes the relay; then 437', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const { allocationId } = c.allocate(0, relayed(50000));
    const r = c.request(Method.Refresh, [attrs.lifetime(1800)], 10 * S)!;
    expect(uint32Attribute(r, Attr.LIFETIME)).toBe(1800);
    expect(core.allocation(allocationId)!.expiresAt).toBe(10 * S + 1800 * S);
    expect(events(c.lastActions).some((e) => e.type === 'allocation-refreshed')).toBe(true);

    const del = c.request(Method.Refresh, [attrs.lifetime(0)], 20 * S)!;
    expect(uint32Attribute(del, Attr.LIFETIME)).toBe(0);
    expect(kinds(c.lastActions)).toEqual(['send-to-client', 'close-relay']);
    expect(events(c.lastActions).find((e) => e.type === 'allocation-deleted')).toMatchObject({ reason: 'refresh-zero' });
    expect(codeOf(c.request(Method.Refresh, [attrs.lifetime(600)], 30 * S)!)).toBe(437);
    expect(codeOf(c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '10.9.9.9', port: 1 })], 30 * S)!)).toBe(437);
  });

  it('Refresh with a REQUESTED-ADDRESS-FAMILY: 443 for the other family, 400 for a bad value', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.allocate(0, relayed(50000));
    const raf = (v: number) => attrs.raw(Attr.REQUESTED_ADDRESS_FAMILY, new Uint8Array([v, 0, 0, 0]));
    expect(codeOf(c.request(Method.Refresh, [raf(2)], 0)!)).toBe(443);
    expect(codeOf(c.request(Method.Refresh, [raf(3)], 0)!)).toBe(400);
    expect(codeOf(c.request(Method.Refresh, [raf(1)], 0)!)).toBe(200);
  });

  it('441 when another user signs a request on someone else’s allocation', () => {
    const core = makeCore();
    const alice = new CoreClient(core, udpClient('10.0.0.1', 5000));
    alice.allocate(0, relayed(50000));
    const bob = new CoreClient(core, udpClient('10.0.0.1', 5000), 'bob', 'bobpw');
    bob.nonce = alice.nonce;
    expect(codeOf(bob.request(Method.Refresh, [], 0)!)).toBe(441);
  });

  it('deletes a stream client’s allocation when its connection closes', () => {
    const core = makeCore();
    const from = tcpClient('10.0.0.1', 40000);
    expect(events(core.onConnectionOpened(from.conn, from.address, 0))[0]).toMatchObject({ type: 'connection', state: 'opened' });
    const c = new CoreClient(core, from);
    c.allocate(0, relayed(50000));
    const actions = core.onConnectionClosed(from.conn, from.address, 5 * S);
    expect(kinds(actions)).toEqual(['close-relay']);
    expect(events(actions).find((e) => e.type === 'allocation-deleted')).toMatchObject({ reason: 'connection-closed' });
  });

  it('a relay that opens after its allocation went away is closed at once', () => {
    const core = makeCore();
    const from = tcpClient('10.0.0.1', 40000);
    const c = new CoreClient(core, from);
    c.challenge(0);
    const open = c.send(c.encode(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)]), 0).find((a) => a.kind === 'open-relay') as { allocationId: string };
    core.onConnectionClosed(from.conn, from.address, 1);
    expect(kinds(core.onRelayOpened(open.allocationId, relayed(50000), 2))).toEqual(['close-relay']);
    expect(core.allocations()).toHaveLength(0);
  });
});

describe('TurnServerCore: permissions, Send/Data (RFC 8656 §9–§11)', () => {
  function allocated() {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const { allocationId } = c.allocate(0, relayed(50000));
    return { core, c, allocationId };
  }

  it('relays a Send indication only to a permitted peer IP', () => {
    const { core, c, allocationId } = allocated();
    const peer = { ip: '203.0.113.5', port: 7000 };
    const send = () => c.send(encodeStun({ method: Method.Send, cls: 'indication', transactionId: txid(), attributes: [attrs.xorPeerAddress(peer), attrs.data(text('hi'))] }), 1 * S);
    expect(peerSends(send())).toHaveLength(0);
    expect(core.stats.dropped['no-permission']).toBe(1);

    const ok = c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '203.0.113.5', port: 1 })], 1 * S)!;
    expect(ok.cls).toBe('success');
    expect(events(c.lastActions).find((e) => e.type === 'permission')).toMatchObject({ peerIp: '203.0.113.5', state: 'installed' });
    const out = peerSends(send());
    expect(out).toEqual([{ kind: 'send-to-peer', allocationId, to: peer, bytes: text('hi') }]);
    expect(core.allocation(allocationId)!.counters).toMatchObject({ packetsToPeers: 1, bytesToPeers: 2, droppedToPeers: 1 });
  });

  it('turns a permitted peer datagram into a Data indication; others are dropped', () => {
    const { core, c, allocationId } = allocated();
    c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '203.0.113.5', port: 0 })], 0);
    // ports are not part of a permission (RFC 8656 §9)
    const sends = clientSends(core.onPeerPacket(allocationId, text('from peer'), { ip: '203.0.113.5', port: 9999 }, 1 * S));
    expect(sends).toHaveLength(1);
    const r = decodeStun(sends[0]!.bytes);
    expect(r.ok && r.value.method === Method.Data && r.value.cls === 'indication').toBe(true);
    if (!r.ok) return;
    expect(addressAttribute(r.value, Attr.XOR_PEER_ADDRESS)).toEqual({ ip: '203.0.113.5', port: 9999 });
    expect(new TextDecoder().decode(getAttribute(r.value, Attr.DATA)!.value)).toBe('from peer');
    expect(clientSends(core.onPeerPacket(allocationId, text('x'), { ip: '203.0.113.6', port: 9999 }, 1 * S))).toHaveLength(0);
    expect(core.allocation(allocationId)!.counters).toMatchObject({ packetsToClient: 1, bytesToClient: 9, droppedFromPeers: 1 });
  });

  it('installs one permission per XOR-PEER-ADDRESS of a CreatePermission', () => {
    const { core, c, allocationId } = allocated();
    const signed = c.encode(Method.CreatePermission, [], { extra: [[Attr.XOR_PEER_ADDRESS, xorV4('198.51.100.1', 1)], [Attr.XOR_PEER_ADDRESS, xorV4('198.51.100.2', 2)]] });
    expect(onlyResponse(c.send(signed, 0)).cls).toBe('success');
    expect(core.allocation(allocationId)!.permissions.map((p) => p.ip).sort()).toEqual(['198.51.100.1', '198.51.100.2']);
  });

  it('443 for a peer of the other address family; 400 without XOR-PEER-ADDRESS; 508 past the permission cap', () => {
    const core = makeCore({ maxPermissions: 1 });
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.allocate(0, relayed(50000));
    expect(codeOf(c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '2001:db8::1', port: 1 })], 0)!)).toBe(443);
    expect(codeOf(c.request(Method.CreatePermission, [], 0)!)).toBe(400);
    expect(codeOf(c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 })], 0)!)).toBe(200);
    expect(codeOf(c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 2 })], 0)!)).toBe(200);
    expect(codeOf(c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '198.51.100.2', port: 1 })], 0)!)).toBe(508);
  });

  it('ignores Send indications without an allocation or with DONT-FRAGMENT', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const ind = (extra: ReturnType<typeof attrs.data>[] = []) =>
      encodeStun({ method: Method.Send, cls: 'indication', transactionId: txid(), attributes: [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 }), attrs.data(text('x')), ...extra] });
    expect(kinds(c.send(ind(), 0))).toEqual([]);
    expect(core.stats.dropped['no-allocation']).toBe(1);
    c.allocate(0, relayed(50000));
    c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 })], 0);
    expect(peerSends(c.send(ind([attrs.raw(Attr.DONT_FRAGMENT, new Uint8Array(0))]), 0))).toHaveLength(0);
    expect(peerSends(c.send(ind(), 0))).toHaveLength(1);
  });
});

describe('TurnServerCore: channels (RFC 8656 §12)', () => {
  const peer = { ip: '203.0.113.5', port: 7000 };

  function bound(from = udpClient('10.0.0.1', 5000)) {
    const core = makeCore();
    const c = new CoreClient(core, from);
    const { allocationId } = c.allocate(0, relayed(50000));
    const res = c.request(Method.ChannelBind, [attrs.channelNumber(0x4000), attrs.xorPeerAddress(peer)], 0)!;
    expect(res.cls).toBe('success');
    expect(checkIntegrity(res, c.key)).toBe('valid');
    return { core, c, allocationId };
  }

  it('binds, installs the permission, and carries ChannelData both ways (UDP unpadded)', () => {
    const { core, c, allocationId } = bound();
    expect(events(c.lastActions).map((e) => e.type)).toEqual(['permission', 'response', 'channel']);
    expect(peerSends(c.send(encodeChannelData(0x4000, text('abc'), false), 1 * S))).toEqual([{ kind: 'send-to-peer', allocationId, to: peer, bytes: text('abc') }]);
    const back = clientSends(core.onPeerPacket(allocationId, text('xyz12'), peer, 1 * S));
    expect(back).toHaveLength(1);
    expect(back[0]!.bytes.length).toBe(4 + 5);
    expect(decodeChannelData(back[0]!.bytes)).toEqual({ channel: 0x4000, data: text('xyz12') });
    // another port of the same IP has the permission but not the channel: Data indication
    const other = clientSends(core.onPeerPacket(allocationId, text('q'), { ip: peer.ip, port: 7001 }, 1 * S));
    expect(decodeStun(other[0]!.bytes).ok).toBe(true);
  });

  it('pads ChannelData to a multiple of 4 for stream clients (RFC 8656 §12.5)', () => {
    const { core, allocationId } = bound(tcpClient('10.0.0.1', 40000));
    const back = clientSends(core.onPeerPacket(allocationId, text('xyz12'), peer, 1 * S));
    expect(back[0]!.bytes.length).toBe(12);
    expect(decodeChannelData(back[0]!.bytes)).toEqual({ channel: 0x4000, data: text('xyz12') });
  });

  it('400 for numbers out of range and for number/peer conflicts; rebinding the same pair refreshes', () => {
    const { c } = bound();
    const bind = (n: number, p: { ip: string; port: number }) => codeOf(c.request(Method.ChannelBind, [attrs.channelNumber(n), attrs.xorPeerAddress(p)], 1 * S)!);
    expect(bind(0x3fff, { ip: '203.0.113.9', port: 1 })).toBe(400);
    expect(bind(0x5000, { ip: '203.0.113.9', port: 1 })).toBe(400);
    expect(bind(0x4000, { ip: '203.0.113.9', port: 1 })).toBe(400);
    expect(bind(0x4001, peer)).toBe(400);
    expect(codeOf(c.request(Method.ChannelBind, [attrs.channelNumber(0x4001)], 1 * S)!)).toBe(400);
    expect(bind(0x4000, peer)).toBe(200);
    expect(events(c.lastActions).find((e) => e.type === 'channel')).toMatchObject({ state: 'refreshed' });
    expect(bind(0x4001, { ip: '203.0.113.9', port: 1 })).toBe(200);
  });

  it('drops ChannelData on an unbound channel and malformed ChannelData', () => {
    const { core, c } = bound();
    expect(peerSends(c.send(encodeChannelData(0x4002, text('abc'), false), 1 * S))).toHaveLength(0);
    expect(core.stats.dropped['unknown-channel']).toBe(1);
    const short = encodeChannelData(0x4000, text('abcdef'), false).subarray(0, 6);
    expect(peerSends(c.send(short, 1 * S))).toHaveLength(0);
    expect(core.stats.dropped['malformed']).toBe(1);
  });
});

describe('TurnServerCore: expiry', () => {
  it('expires permissions at 300 s, channels at 600 s, allocations at their lifetime; deadlines say when', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const { allocationId } = c.allocate(0, relayed(50000), [attrs.requestedTransport(Protocol.UDP), attrs.lifetime(900)]);
    expect(core.nextDeadline()).toBe(900 * S);
    c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 })], 10 * S);
    c.request(Method.ChannelBind, [attrs.channelNumber(0x4000), attrs.xorPeerAddress({ ip: '198.51.100.2', port: 2 })], 20 * S);
    expect(core.nextDeadline()).toBe(310 * S);

    const t1 = core.onTimer(310 * S);
    expect(events(t1)).toEqual([{ type: 'permission', allocationId, peerIp: '198.51.100.1', state: 'expired', at: 310 * S }]);
    expect(clientSends(core.onPeerPacket(allocationId, text('late'), { ip: '198.51.100.1', port: 1 }, 311 * S))).toHaveLength(0);
    // the channel's own permission (installed by ChannelBind at 20 s) goes at 320 s, the binding at 620 s
    expect(core.nextDeadline()).toBe(320 * S);
    core.onTimer(320 * S);
    expect(core.nextDeadline()).toBe(620 * S);
    expect(events(core.onTimer(620 * S))).toMatchObject([{ type: 'channel', channel: 0x4000, state: 'expired' }]);
    expect(core.nextDeadline()).toBe(900 * S);

    const t3 = core.onTimer(900 * S);
    expect(kinds(t3)).toEqual(['close-relay']);
    expect(events(t3)).toMatchObject([{ type: 'allocation-deleted', allocationId, reason: 'expired' }]);
    expect(core.nextDeadline()).toBeUndefined();
    expect(codeOf(c.request(Method.Refresh, [], 901 * S)!)).toBe(437);
  });

  it('expires lazily too: a packet after the deadline sees the expiry before anything else', () => {
    const core = makeCore({ lifetimes: { permission: 30 } });
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const { allocationId } = c.allocate(0, relayed(50000));
    c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 })], 0);
    const actions = core.onPeerPacket(allocationId, text('x'), { ip: '198.51.100.1', port: 1 }, 30 * S);
    expect(clientSends(actions)).toHaveLength(0);
    expect(events(actions).map((e) => e.type)).toEqual(['permission', 'dropped']);
    expect(DEFAULT_LIFETIMES.permission).toBe(300);
  });

  it('close() deletes every allocation', () => {
    const core = makeCore();
    new CoreClient(core, udpClient('10.0.0.1', 5000)).allocate(0, relayed(50000));
    new CoreClient(core, udpClient('10.0.0.2', 5000)).allocate(0, relayed(50001));
    const actions = core.close(1);
    expect(kinds(actions)).toEqual(['close-relay', 'close-relay']);
    expect(core.allocations()).toHaveLength(0);
    expect(core.stats.allocationsDeleted).toBe(2);
  });
});

describe('TurnServerCore: failure knobs', () => {
  it('dropAll: no answer, no relaying, every drop counted', () => {
    const core = makeCore();
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const { allocationId } = c.allocate(0, relayed(50000));
    c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 })], 0);
    core.setKnobs({ dropAll: true });
    expect(kinds(c.send(c.encode(Method.Refresh, []), 1))).toEqual([]);
    expect(kinds(core.onPeerPacket(allocationId, text('x'), { ip: '198.51.100.1', port: 1 }, 1))).toEqual([]);
    expect(core.stats.dropped['knob-drop-all']).toBe(2);
    core.setKnobs({ dropAll: false });
    expect(codeOf(c.request(Method.Refresh, [], 2)!)).toBe(200);
  });

  it('respond401Always: valid credentials still get 401 with a realm and a nonce', () => {
    const core = makeCore({ knobs: { respond401Always: true } });
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    c.challenge(0);
    const res = c.request(Method.Allocate, [attrs.requestedTransport(Protocol.UDP)], 0)!;
    expect(codeOf(res)).toBe(401);
    expect(textAttribute(res, Attr.NONCE)).toBeTruthy();
    // Binding needs no credentials and still works
    expect(onlyResponse(c.send(c.encode(Method.Binding, [], { sign: false }), 0)).cls).toBe('success');
  });

  it('delayMs rides on responses, not on relayed data', () => {
    const core = makeCore({ knobs: { delayMs: 250 } });
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const { allocationId } = c.allocate(0, relayed(50000));
    expect(clientSends(c.lastActions)[0]!.delayMs).toBe(250);
    c.request(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 })], 0);
    expect(clientSends(core.onPeerPacket(allocationId, text('x'), { ip: '198.51.100.1', port: 1 }, 1))[0]!.delayMs).toBe(0);
  });

  it('refuseTransport: UDP is dropped, TCP connections are closed', () => {
    const core = makeCore({ knobs: { refuseTransport: 'udp' } });
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    expect(kinds(c.send(c.encode(Method.Binding, [], { sign: false }), 0))).toEqual([]);
    expect(core.stats.dropped['refused-transport']).toBe(1);
    core.setKnobs({ refuseTransport: 'tcp' });
    expect(kinds(c.send(c.encode(Method.Binding, [], { sign: false }), 0))).toEqual(['send-to-client']);
    const t = tcpClient('10.0.0.1', 40000);
    expect(kinds(core.onConnectionOpened(t.conn, t.address, 0))).toEqual(['close-client']);
    expect(kinds(core.onPacket(new Uint8Array(20), t, 0))).toEqual(['close-client']);
  });
});

describe('TurnServerCore: hostile input', () => {
  it('never throws on random bytes or mutated messages from clients and peers', () => {
    const core = makeCore({ random: new SeededRandom(11) });
    const c = new CoreClient(core, udpClient('10.0.0.1', 5000));
    const { allocationId } = c.allocate(0, relayed(50000));
    const rnd = new SeededRandom(99);
    const seeds = [
      c.encode(Method.Refresh, [attrs.lifetime(600)]),
      c.encode(Method.ChannelBind, [attrs.channelNumber(0x4001), attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 })]),
      c.encode(Method.CreatePermission, [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 })]),
      encodeStun({ method: Method.Send, cls: 'indication', transactionId: txid(), attributes: [attrs.xorPeerAddress({ ip: '198.51.100.1', port: 1 }), attrs.data(text('x'))] }),
      encodeChannelData(0x4001, text('hello'), false),
    ];
    for (let i = 0; i < 5_000; i++) {
      let bytes: Uint8Array;
      if (i % 4 === 0) bytes = rnd.bytes(rnd.int(80));
      else {
        bytes = seeds[rnd.int(seeds.length)]!.slice();
        for (let k = 0, n = 1 + rnd.int(4); k < n; k++) bytes[rnd.int(bytes.length)] = rnd.int(256);
        if (rnd.int(5) === 0) bytes = bytes.subarray(0, rnd.int(bytes.length));
      }
      const t = i * 10;
      expect(() => c.send(bytes, t)).not.toThrow();
      expect(() => core.onPeerPacket(allocationId, bytes, { ip: '198.51.100.1', port: 1 }, t)).not.toThrow();
    }
    expect(Object.values(core.stats.dropped).reduce((a, b) => a + (b ?? 0), 0)).toBeGreaterThan(500);
  });
});
