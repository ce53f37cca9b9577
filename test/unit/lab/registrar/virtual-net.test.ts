import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../main/common/clock';
import { SeededRandom } from '../../../../main/common/random';
import { startLabRegistrar, type RegistrarEvent } from '../../../../main/lab/registrar';
import { startLabTurnServer } from '../../../../main/lab/turn-server';
import { MrasClient } from '../../../../main/mras/client';
import { buildProvisioningRequest, parseServerConfiguration } from '../../../../main/mras/provisioning-xml';
import { MRAS_CONTENT_TYPE } from '../../../../main/mras/types';
import { firewallPresets, VirtualNetwork, type VirtualHost } from '../../../../main/net/virtual';
import { getHeader } from '../../../../main/sip/message';
import { TurnAllocation } from '../../../../main/turn';
import { TestSipClient } from '../../../support/sip-test-client';

// The registrar, its MRAS service and the lab TURN server on the virtual network: alice behind a
// port-restricted NAT on UDP, bob behind a symmetric NAT that drops UDP (so TCP), all on fake time.

const SECRET = 'virtual-edge-secret';
const USERS = { alice: 'alicepw', bob: 'bobpw' };

/** Advances fake time in small steps, letting promises run between steps, until `p` settles. */
async function drive<T>(clock: FakeClock, p: Promise<T>, limitMs = 60_000, stepMs = 5): Promise<T> {
  let settled = false;
  const watched = p.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  for (let t = 0; !settled && t <= limitMs; t += stepMs) {
    clock.advance(stepMs);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
  return p;
}

async function world() {
  const clock = new FakeClock();
  const net = new VirtualNetwork({ clock, random: 11 });
  const sipHost = net.addHost('sip', { ip: '203.0.113.10' });
  const turnHost = net.addHost('edge', { ip: '203.0.113.3' });
  net.addLan('home', { cidr: '192.168.1.0/24' });
  net.addNat('nat-home', { inside: 'home', ip: '198.51.100.1', nat: 'port-restricted-cone' });
  const aliceHost = net.addHost('alice', { lan: 'home', ip: '192.168.1.10' });
  net.addLan('office', { cidr: '10.0.0.0/24' });
  net.addNat('nat-office', { inside: 'office', ip: '198.51.100.2', nat: 'symmetric', firewall: firewallPresets.dropUdp() });
  const bobHost = net.addHost('bob', { lan: 'office', ip: '10.0.0.10' });
  const turn = await startLabTurnServer({
    net: turnHost,
    clock,
    listen: { ip: turnHost.address, udpPort: 3478, tcpPort: 3478 },
    relayIp: turnHost.address,
    realm: 'lab.test',
    auth: { kind: 'shared-secret', secret: SECRET },
  });
  const events: RegistrarEvent[] = [];
  const reg = await startLabRegistrar({
    net: sipHost,
    clock,
    random: new SeededRandom(4),
    listen: { ip: sipHost.address, udpPort: 5060, tcpPort: 5060 },
    domain: 'lab.test',
    users: USERS,
    digest: 'MD5',
    mras: { enabled: true, relays: [{ location: 'internet', hostName: 'edge.lab.test', directIPAddress: turnHost.address, udpPort: 3478, tcpPort: 3478 }], turnSecret: SECRET },
    provisioning: { minAudioPort: 50000, maxAudioPort: 50039 },
    onEvent: (e) => events.push(e),
  });
  const client = (host: VirtualHost, user: 'alice' | 'bob', transport: 'udp' | 'tcp') =>
    drive(clock, TestSipClient.open({ net: host, transport, localIp: host.address, server: transport === 'udp' ? reg.udp! : reg.tcp!, user, password: USERS[user], domain: 'lab.test', random: new SeededRandom(user.length) }));
  return { clock, net, reg, turn, events, aliceHost, bobHost, client };
}

describe('lab registrar on the virtual network', () => {
  it('registers NATed users, provisions, issues MRAS credentials the lab TURN server accepts, and carries a call', async () => {
    const w = await world();
    const { clock, reg, events } = w;
    const alice = await w.client(w.aliceHost, 'alice', 'udp');
    const bob = await w.client(w.bobHost, 'bob', 'tcp');

    expect((await drive(clock, alice.register(300))).status).toBe(200);
    expect((await drive(clock, bob.register(300))).status).toBe(200);
    // The bindings remember the NATs' public side: that is where calls must be sent.
    expect(reg.bindings('sip:alice@lab.test')[0]!.flow).toMatchObject({ transport: 'udp', remote: { ip: '198.51.100.1' } });
    expect(reg.bindings('sip:bob@lab.test')[0]!.flow).toMatchObject({ transport: 'tcp', remote: { ip: '198.51.100.2' } });

    // Provisioning and MRAS from behind the NAT.
    const prov = await drive(
      clock,
      alice.request('SUBSCRIBE', alice.aor, { headers: [['Event', 'vnd-microsoft-provisioning-v2'], ['Expires', '0']], body: buildProvisioningRequest() }),
    );
    const sc = parseServerConfiguration(prov.final.body);
    expect(sc.ok && sc.value).toMatchObject({ mrasUri: reg.mrasUri, ucMinAudioPort: 50000, ucMaxAudioPort: 50039 });
    const credentialEvents: unknown[] = [];
    const mras = new MrasClient({
      clock,
      mrasUri: reg.mrasUri!,
      identity: alice.aor,
      location: 'internet',
      random: new SeededRandom(9),
      onEvent: (e) => e.type === 'mras.credentials' && credentialEvents.push(e),
      request: async (xml) => {
        const ex = await alice.request('SERVICE', reg.mrasUri!, { to: `<${reg.mrasUri!}>`, headers: [['Content-Type', MRAS_CONTENT_TYPE]], body: xml });
        return { status: ex.final.status, body: ex.final.body, contentType: getHeader(ex.final, 'Content-Type') ?? '' };
      },
    });
    const grant = await drive(clock, mras.get());
    expect(grant.relays[0]).toMatchObject({ hostName: 'edge.lab.test', directIPAddress: '203.0.113.3' });
    expect(credentialEvents).toHaveLength(1);
    // The lab TURN server checks REST credentials against the same (fake) wall clock.
    const relay = await drive(
      clock,
      TurnAllocation.allocate({
        net: w.aliceHost,
        clock,
        server: { address: { ip: grant.relays[0]!.directIPAddress!, port: grant.relays[0]!.udpPort! }, transport: 'udp' },
        credentials: { kind: 'rest', username: grant.username, password: grant.password, expiresAt: Math.floor(grant.expiresAtWall / 1000) },
        localIp: w.aliceHost.address,
        retransmit: { rtoMs: 100, rc: 4, rm: 8, reliableTimeoutMs: 2000 },
      }),
    );
    expect(relay.state).toBe('allocated');
    expect(relay.reflexive?.ip).toBe('198.51.100.1');
    await drive(clock, relay.close());
    mras.close();

    // A call from alice (UDP) to bob (TCP only), answered, acknowledged and hung up.
    const callee = (async () => {
      const invite = await bob.nextRequest('INVITE');
      bob.respond(invite, 180, 'Ringing', { toTag: 'bb' });
      return { invite, ok: bob.respond(invite, 200, 'OK', { toTag: 'bb' }) };
    })();
    const ex = await drive(clock, alice.request('INVITE', 'sip:bob@lab.test', { to: '<sip:bob@lab.test>' }));
    expect(ex.final.status).toBe(200);
    const { invite, ok } = await drive(clock, callee);
    alice.send(alice.inDialog(alice.dialogAsCaller(ex.request, ex.final), 'ACK'));
    await drive(clock, bob.nextRequest('ACK'));
    const bye = bob.exchange(bob.inDialog(bob.dialogAsCallee(invite, ok), 'BYE'));
    const got = await drive(clock, alice.nextRequest('BYE'));
    alice.respond(got, 200, 'OK');
    expect((await drive(clock, bye)).final.status).toBe(200);

    // Nobody refreshes: both bindings expire on the registrar's schedule.
    clock.advance(300_000);
    expect(reg.bindings()).toEqual([]);
    expect(events.filter((e) => e.type === 'registration' && e.state === 'expired').map((e) => (e as { aor: string }).aor).sort()).toEqual([
      'sip:alice@lab.test',
      'sip:bob@lab.test',
    ]);

    await alice.close();
    await bob.close();
    await reg.stop();
    await w.turn.stop();
    expect(reg.openSockets()).toBe(0);
    expect(reg.pendingTimers()).toBe(0);
    await w.net.close();
    expect(w.net.openResources()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('drops MRAS requests when told to be silent: the client times out, the registrar keeps no transaction', async () => {
    const w = await world();
    const { clock, reg } = w;
    const alice = await w.client(w.aliceHost, 'alice', 'udp');
    await drive(clock, alice.register());
    reg.setKnobs({ mrasSilent: true });
    const mras = new MrasClient({
      clock,
      mrasUri: reg.mrasUri!,
      identity: alice.aor,
      location: 'internet',
      timeoutMs: 5000,
      request: async (xml) => {
        const ex = await alice.request('SERVICE', reg.mrasUri!, { headers: [['Content-Type', MRAS_CONTENT_TYPE]], body: xml });
        return { status: ex.final.status, body: ex.final.body };
      },
    });
    const e = await drive(clock, mras.get().catch((x: unknown) => x));
    expect(e).toMatchObject({ code: 'MRAS_TIMEOUT' });
    expect(w.events.filter((x) => x.type === 'mras.dropped')).toHaveLength(1);
    clock.advance(64 * 500); // Timer J of the REGISTER transaction
    expect(reg.transactions()).toBe(0);
    mras.close();
    await alice.close();
    await reg.stop();
    await w.turn.stop();
    await w.net.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('answers a caller with 408 when the callee never answers (Timer B on the forwarded INVITE)', async () => {
    const w = await world();
    const { clock, reg, events } = w;
    const alice = await w.client(w.aliceHost, 'alice', 'udp');
    const bob = await w.client(w.bobHost, 'bob', 'tcp');
    await drive(clock, alice.register());
    await drive(clock, bob.register());
    const call = alice.request('INVITE', 'sip:bob@lab.test', { to: '<sip:bob@lab.test>' });
    const invite = await drive(clock, bob.nextRequest('INVITE'));
    expect(invite.method).toBe('INVITE'); // bob stays mute
    const ex = await drive(clock, call, 40_000);
    expect(ex.final.status).toBe(408);
    expect(events.filter((e) => e.type === 'proxy.rejected')).toMatchObject([{ method: 'INVITE', status: 408 }]);
    clock.advance(64_000);
    expect(reg.transactions()).toBe(0);
    await alice.close();
    await bob.close();
    await reg.stop();
    await w.turn.stop();
    await w.net.close();
    expect(clock.pendingTimers()).toBe(0);
  });
});
