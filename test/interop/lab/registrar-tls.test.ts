import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { makeSelfSignedPair, type SelfSignedPair } from '../../../main/lab/certs';
import { startLabRegistrar, type LabRegistrar, type RegistrarEvent } from '../../../main/lab/registrar';
import { TlsListener } from '../../../main/lab/tls-listener';
import { buildProvisioningRequest, parseServerConfiguration, PROVISIONING_CONTENT_TYPE, PROVISIONING_EVENT } from '../../../main/mras/provisioning-xml';
import { MRAS_CONTENT_TYPE } from '../../../main/mras/types';
import { buildMrasRequest, credentialsRequestFor, readMrasGrant } from '../../../main/mras/xml';
import { NodeNet } from '../../../main/net/node/node-net';
import type { TlsOptions } from '../../../main/net/types';
import { type ServerCall, SipUserAgent } from '../../../main/sip/ua';
import type { SipTransportKind } from '../../../main/sip/transport';

// The lab registrar over TLS (a TlsListener handed in, since Net listens in clear only): our
// user agent registers, fetches provisioning and MRAS credentials over TLS, and calls a user
// registered over UDP and back through the lab proxy (RFC 5658 double Record-Route between the
// transports), on real loopback sockets.

const USERS = { alice: 'alice-pw', bob: 'bob-pw' };
const SDP = (who: string) => ({ body: `v=0\r\no=${who} 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n`, contentType: 'application/sdp' });

const net = new NodeNet();
const clock = new RealClock();
const cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

async function tlsLab(): Promise<{ lab: LabRegistrar; pair: SelfSignedPair; events: RegistrarEvent[] }> {
  const pair = makeSelfSignedPair('sip.lab.test', ['127.0.0.1']);
  cleanup.push(() => pair.remove());
  const events: RegistrarEvent[] = [];
  const tls = await TlsListener.listen({ ip: '127.0.0.1' }, pair);
  const lab = await startLabRegistrar({
    net,
    clock,
    random: new CryptoRandom(),
    listen: { ip: '127.0.0.1', udpPort: 0, tcpPort: 0, tls },
    domain: 'lab.test',
    users: USERS,
    digest: 'SHA-256',
    mras: { enabled: true, relays: [{ location: 'internet', directIPAddress: '127.0.0.1', udpPort: 3478, tcpPort: 443 }], turnSecret: 's3cret' },
    onEvent: (e) => events.push(e),
  });
  cleanup.push(() => lab.stop());
  return { lab, pair, events };
}

function agent(lab: LabRegistrar, user: keyof typeof USERS, kind: SipTransportKind, tls?: TlsOptions, password = USERS[user]): SipUserAgent {
  const port = (kind === 'udp' ? lab.udp : kind === 'tcp' ? lab.tcp : lab.tls)!.port;
  const ua = new SipUserAgent({
    net,
    clock,
    random: new CryptoRandom(),
    transport: kind,
    registrar: { address: '127.0.0.1', port },
    aor: `sip:${user}@lab.test`,
    password,
    ...(tls ? { tls } : {}),
  });
  cleanup.push(() => ua.close());
  return ua;
}

describe('lab registrar over TLS', () => {
  it('serves register, provisioning and MRAS over TLS, and calls between a TLS and a UDP user both ways', async () => {
    const { lab, pair, events } = await tlsLab();
    expect(lab.tls?.port).toBeGreaterThan(0);
    expect(lab.uri('tls')).toBe(`sip:127.0.0.1:${lab.tls!.port};transport=tls`);
    const alice = agent(lab, 'alice', 'tls', { ca: pair.certPem });
    const bob = agent(lab, 'bob', 'udp');
    await Promise.all([alice.register(600), bob.register(600)]);
    expect(lab.bindings('sip:alice@lab.test').map((b) => b.flow.transport)).toEqual(['tls']);
    expect(events.filter((e) => e.type === 'registration').map((e) => e.type === 'registration' && e.transport).sort()).toEqual(['tls', 'udp']);

    const prov = await alice.subscribe({ event: PROVISIONING_EVENT, accept: PROVISIONING_CONTENT_TYPE, contentType: PROVISIONING_CONTENT_TYPE, body: buildProvisioningRequest() });
    const config = parseServerConfiguration(prov.body);
    const mrasUri = config.ok ? config.value.mrasUri : undefined;
    expect(mrasUri).toBe(lab.mrasUri);
    const mras = await alice.service(mrasUri!, MRAS_CONTENT_TYPE, buildMrasRequest(credentialsRequestFor({ requestId: '7', identity: alice.aor, mrasUri: mrasUri!, location: 'internet' })));
    expect(mras.status).toBe(200);
    const grant = readMrasGrant(mras.body, '7');
    expect(grant.ok && grant.value.credentials.username).toMatch(/^\d+:alice$/);

    // alice (TLS) → bob (UDP)
    const toBob = new Promise<ServerCall>((resolve) => bob.onIncomingCall(resolve));
    const call = alice.invite('sip:bob@lab.test', SDP('alice'));
    const atBob = await toBob;
    const acked = atBob.accept(SDP('bob'));
    expect((await call.answered).body).toContain('o=bob');
    await acked;
    expect((await call.bye())?.status).toBe(200);
    expect(await atBob.ended).toEqual({ reason: 'remote-bye' });

    // bob (UDP) → alice (TLS): the proxy reaches alice over the connection her REGISTER came on.
    const toAlice = new Promise<ServerCall>((resolve) => alice.onIncomingCall(resolve));
    const back = bob.invite('sip:alice@lab.test', SDP('bob'));
    const atAlice = await toAlice;
    const acked2 = atAlice.accept(SDP('alice'));
    expect((await back.answered).status).toBe(200);
    await acked2;
    expect((await atAlice.bye())?.status).toBe(200);
    expect(await back.ended).toEqual({ reason: 'remote-bye' });
    expect(events.filter((e) => e.type === 'proxy.forwarded' && e.method === 'INVITE').map((e) => e.type === 'proxy.forwarded' && e.transport)).toEqual(['udp', 'tls']);
    expect(events.some((e) => e.type === 'registrar.error')).toBe(false);
  });

  it('a client that does not trust the certificate fails NET_TLS_FAILED; the registrar goes on serving TLS', async () => {
    const { lab, pair } = await tlsLab();
    const untrusting = agent(lab, 'alice', 'tls');
    await expect(untrusting.register(300)).rejects.toMatchObject({ code: 'NET_TLS_FAILED' });
    await untrusting.close();
    const wrong = agent(lab, 'alice', 'tls', { ca: pair.certPem }, 'not-the-password');
    await expect(wrong.register(300)).rejects.toMatchObject({ code: 'SIP_AUTH_FAILED' });
    const good = agent(lab, 'bob', 'tls', { ca: pair.certPem });
    expect((await good.register(300)).expires).toBe(300);
  });

  it('stop() closes the TLS listener it was handed even when start fails', async () => {
    const pair = makeSelfSignedPair('sip.lab.test', ['127.0.0.1']);
    cleanup.push(() => pair.remove());
    const tls = await TlsListener.listen({ ip: '127.0.0.1' }, pair);
    await expect(
      startLabRegistrar({ net, clock, random: new CryptoRandom(), listen: { ip: '0.0.0.0', tls }, domain: 'lab.test', users: USERS, digest: 'MD5' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // The listener is closed: its port can be listened on again.
    const again = await TlsListener.listen({ ip: '127.0.0.1', port: tls.local.port }, pair);
    await again.close();
  });
});
