import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { MediapathError } from '../../../main/common/errors';
import { CryptoRandom } from '../../../main/common/random';
import { startLabRegistrar, type LabRegistrar, type LabRegistrarOptions, type RegistrarEvent } from '../../../main/lab/registrar';
import { MrasClient } from '../../../main/mras/client';
import { parseServerConfiguration, buildProvisioningRequest, PROVISIONING_CONTENT_TYPE } from '../../../main/mras/provisioning-xml';
import { MRAS_CONTENT_TYPE } from '../../../main/mras/types';
import { NodeNet } from '../../../main/net/node/node-net';
import { getHeader, getHeaders, type SipRequest } from '../../../main/sip/message';
import { TurnAllocation, type TurnTransportKind } from '../../../main/turn';
import { startSecretCoturn, stopAllCoturn, type LabCoturn } from '../../support/coturn-harness';
import { type Exchange, TestSipClient } from '../../support/sip-test-client';

// The lab registrar on real loopback sockets, driven by a small SIP client built on main/sip,
// and the credentials its MRAS service mints used against a real coturn sharing its secret.

const SECRET = 'registrar-lab-secret';
const USERS = { alice: 'alicepw', bob: 'bobpw' };
const clock = new RealClock();
const net = new NodeNet();
let coturn: LabCoturn;
const open: Array<{ close(): Promise<void> } | { stop(): Promise<void> }> = [];

beforeAll(async () => {
  coturn = await startSecretCoturn({ ip: '127.0.0.1', secret: SECRET });
});

afterEach(async () => {
  for (const x of open.splice(0).reverse()) await ('stop' in x ? x.stop() : x.close());
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

afterAll(async () => {
  await stopAllCoturn();
});

async function registrar(extra: Partial<LabRegistrarOptions> = {}): Promise<{ reg: LabRegistrar; events: RegistrarEvent[] }> {
  const events: RegistrarEvent[] = [];
  const reg = await startLabRegistrar({
    net,
    clock,
    random: new CryptoRandom(),
    listen: { ip: '127.0.0.1' },
    domain: 'lab.test',
    users: USERS,
    digest: 'SHA-256',
    mras: {
      enabled: true,
      relays: [{ location: 'internet', directIPAddress: coturn.udp.ip, udpPort: coturn.udp.port, tcpPort: coturn.tcp.port }],
      turnSecret: SECRET,
    },
    provisioning: { minAudioPort: 50000, maxAudioPort: 50019 },
    onEvent: (e) => events.push(e),
    ...extra,
  });
  open.push(reg);
  return { reg, events };
}

async function client(reg: LabRegistrar, user: 'alice' | 'bob', transport: 'udp' | 'tcp' = 'udp'): Promise<TestSipClient> {
  const c = await TestSipClient.open({ net, transport, localIp: '127.0.0.1', server: transport === 'udp' ? reg.udp! : reg.tcp!, user, password: USERS[user], domain: 'lab.test' });
  open.push(c);
  return c;
}

function subscribeProvisioning(c: TestSipClient) {
  return c.request('SUBSCRIBE', c.aor, {
    headers: [
      ['Event', 'vnd-microsoft-provisioning-v2'],
      ['Accept', PROVISIONING_CONTENT_TYPE],
      ['Expires', '0'],
      ['Content-Type', 'application/vnd-microsoft-roaming-provisioningv2+xml'],
    ],
    body: buildProvisioningRequest(),
  });
}

/** MRAS client whose SERVICE goes through the test client. */
function mrasClient(c: TestSipClient, mrasUri: string, contentType = MRAS_CONTENT_TYPE, timeoutMs?: number): MrasClient {
  return new MrasClient({
    clock,
    mrasUri,
    identity: c.aor,
    location: 'internet',
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    request: async (xml) => {
      const ex = await c.request('SERVICE', mrasUri, { to: `<${mrasUri}>`, headers: [['Content-Type', contentType]], body: xml });
      const ct = getHeader(ex.final, 'Content-Type');
      return { status: ex.final.status, reason: ex.final.reason, body: ex.final.body, ...(ct !== undefined ? { contentType: ct } : {}) };
    },
  });
}

describe.each(['udp', 'tcp'] as const)('lab registrar over %s', (transport) => {
  it('challenges REGISTER with 401, accepts the digest answer, keeps the binding, and removes it on un-REGISTER', async () => {
    const { reg, events } = await registrar();
    const alice = await client(reg, 'alice', transport);
    const first = await alice.request('REGISTER', 'sip:lab.test', { auth: false, headers: [['Expires', '600']] });
    expect(first.final.status).toBe(401);
    expect(getHeader(first.final, 'WWW-Authenticate')).toMatch(/^Digest realm="lab.test", nonce="[0-9a-f]{32}", algorithm=SHA-256, qop="auth"$/);
    const ok = await alice.register(600);
    expect(ok.status).toBe(200);
    expect(getHeader(ok, 'Contact')).toBe(`<${alice.contact}>;expires=600`);
    // The Via tells the client where it was seen from (RFC 3581).
    expect(getHeader(ok, 'Via')).toContain(`received=127.0.0.1;rport=${alice.local.port}`);
    expect(reg.bindings('sip:alice@lab.test')).toMatchObject([{ contact: alice.contact, flow: { transport } }]);
    expect(events.filter((e) => e.type === 'registration')).toMatchObject([{ aor: 'sip:alice@lab.test', state: 'registered', expires: 600, transport }]);
    // Once for the bare request, once for register() (whose digest session starts empty).
    expect(events.filter((e) => e.type === 'auth.challenge')).toMatchObject([
      { method: 'REGISTER', status: 401, stale: false },
      { method: 'REGISTER', status: 401, stale: false },
    ]);
    // Digest proofs never appear in the event text.
    const sent = events.filter((e) => e.type === 'sip.received').map((e) => (e as { text: string }).text).join('\n');
    expect(sent).toContain('response="«redacted»"');

    const bye = await alice.register(0);
    expect(bye.status).toBe(200);
    expect(getHeader(bye, 'Contact')).toBeUndefined();
    expect(reg.bindings()).toEqual([]);
    expect(events.filter((e) => e.type === 'registration').map((e) => (e as { state: string }).state)).toEqual(['registered', 'unregistered']);
  });

  it('refuses a wrong password with a fresh challenge every time', async () => {
    const { reg } = await registrar();
    const c = await TestSipClient.open({ net, transport, localIp: '127.0.0.1', server: transport === 'udp' ? reg.udp! : reg.tcp!, user: 'alice', password: 'wrong', domain: 'lab.test' });
    open.push(c);
    expect((await c.register()).status).toBe(401);
    expect(reg.bindings()).toEqual([]);
  });

  it('answers the provisioning SUBSCRIBE with the mrasUri, qosUri and ports — and without mrasUri when told so', async () => {
    const { reg } = await registrar();
    const alice = await client(reg, 'alice', transport);
    await alice.register();
    const ex = await subscribeProvisioning(alice);
    expect(ex.final.status).toBe(200);
    expect(getHeader(ex.final, 'Content-Type')).toBe(PROVISIONING_CONTENT_TYPE);
    const sc = parseServerConfiguration(ex.final.body);
    expect(sc.ok && sc.value).toMatchObject({ mrasUri: reg.mrasUri, qosUri: reg.qosUri, ucMinAudioPort: 50000, ucMaxAudioPort: 50019 });
    reg.setKnobs({ noProvisioningMrasUri: true });
    const none = parseServerConfiguration((await subscribeProvisioning(alice)).final.body);
    expect(none.ok && none.value.mrasUri).toBeUndefined();
  });
});

describe('MRAS credentials from the lab registrar, used on a real coturn', () => {
  it.each(['udp', 'tcp'] as const)('allocates a TURN relay over %s with the credentials SERVICE returned', async (turnTransport: TurnTransportKind) => {
    const { reg, events } = await registrar();
    const alice = await client(reg, 'alice');
    await alice.register();
    const sc = parseServerConfiguration((await subscribeProvisioning(alice)).final.body);
    const mrasUri = sc.ok ? sc.value.mrasUri! : '';
    const mras = mrasClient(alice, mrasUri);
    const grant = await mras.get();
    expect(grant.durationMinutes).toBe(480);
    expect(grant.username).toMatch(/^\d+:alice$/);
    expect(grant.relays).toEqual([{ location: 'internet', directIPAddress: '127.0.0.1', udpPort: coturn.udp.port, tcpPort: coturn.tcp.port }]);
    expect(events.filter((e) => e.type === 'mras.issued')).toMatchObject([{ identity: 'sip:alice@lab.test', username: grant.username, durationMinutes: 480 }]);
    // The password is in the SIP text only redacted.
    expect(events.filter((e) => e.type === 'sip.sent').map((e) => (e as { text: string }).text).join('')).not.toContain(grant.password);
    const relay = grant.relays[0]!;
    const a = await TurnAllocation.allocate({
      net,
      clock,
      server: { address: { ip: relay.directIPAddress!, port: turnTransport === 'udp' ? relay.udpPort! : relay.tcpPort! }, transport: turnTransport },
      credentials: { kind: 'rest', username: grant.username, password: grant.password, expiresAt: Math.floor(grant.expiresAtWall / 1000) },
      localIp: '127.0.0.1',
    });
    open.push(a);
    mras.close();
    expect(a.state).toBe('allocated');
    expect(a.realm).toBe(coturn.realm);
    expect(a.local.port).toBeGreaterThanOrEqual(coturn.relayPorts.min);
  });

  it('credentials minted with another secret get 401 from coturn (the "401 with credentials MRAS just issued" case)', async () => {
    const { reg } = await registrar({ mras: { enabled: true, relays: [{ directIPAddress: '127.0.0.1', udpPort: coturn.udp.port }], turnSecret: 'not-the-edge-secret' } });
    const alice = await client(reg, 'alice');
    await alice.register();
    const mras = mrasClient(alice, reg.mrasUri!);
    const grant = await mras.get();
    mras.close();
    const e = await TurnAllocation.allocate({
      net,
      clock,
      server: { address: coturn.udp, transport: 'udp' },
      credentials: { kind: 'rest', username: grant.username, password: grant.password, expiresAt: Math.floor(grant.expiresAtWall / 1000) },
      localIp: '127.0.0.1',
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MediapathError);
    expect((e as MediapathError).code).toBe('TURN_AUTH_FAILED');
  });

  it('refuses the wrong Content-Type with 415 + Accept, and the knobs give a coded error or silence', async () => {
    const { reg, events } = await registrar();
    const alice = await client(reg, 'alice');
    await alice.register();
    const raw = await alice.request('SERVICE', reg.mrasUri!, { headers: [['Content-Type', 'application/xml']], body: '<request/>' });
    expect(raw.final.status).toBe(415);
    expect(getHeader(raw.final, 'Accept')).toBe(MRAS_CONTENT_TYPE);
    const wrongType = mrasClient(alice, reg.mrasUri!, 'text/plain');
    await expect(wrongType.get()).rejects.toMatchObject({ code: 'MRAS_FAILED', detail: { response: { code: 415 } } });
    wrongType.close();

    reg.setKnobs({ mrasError: 'Internal Server Error' });
    const refused = mrasClient(alice, reg.mrasUri!);
    await expect(refused.get()).rejects.toMatchObject({ code: 'MRAS_FAILED', detail: { response: { reasonPhrase: 'Internal Server Error' } } });
    refused.close();

    reg.setKnobs({ mrasError: undefined, mrasSilent: true });
    const silent = mrasClient(alice, reg.mrasUri!, MRAS_CONTENT_TYPE, 300);
    await expect(silent.get()).rejects.toMatchObject({ code: 'MRAS_TIMEOUT' });
    silent.close();
    expect(events.filter((e) => e.type === 'mras.dropped')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'mras.refused').map((e) => (e as { status: number }).status)).toEqual([415, 415, 200]);
  });
});

describe('lab proxy', () => {
  async function callSetup(aliceT: 'udp' | 'tcp', bobT: 'udp' | 'tcp') {
    const { reg, events } = await registrar();
    const alice = await client(reg, 'alice', aliceT);
    const bob = await client(reg, 'bob', bobT);
    expect((await alice.register()).status).toBe(200);
    expect((await bob.register()).status).toBe(200);
    return { reg, events, alice, bob };
  }

  it.each([
    ['udp', 'udp'],
    ['udp', 'tcp'],
    ['tcp', 'udp'],
  ] as const)('carries INVITE (407 first) / 180 / 200 / ACK / BYE between two users, %s → %s, through Record-Route', async (aT, bT) => {
    const { reg, events, alice, bob } = await callSetup(aT, bT);
    const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';
    const callId = `call-${aT}-${bT}@test`;
    const answering = (async () => {
      const invite = await bob.nextRequest('INVITE');
      bob.respond(invite, 180, 'Ringing', { toTag: 'bobtag' });
      const ok = bob.respond(invite, 200, 'OK', { toTag: 'bobtag', headers: [['Content-Type', 'application/sdp']], body: sdp });
      return { invite, ok };
    })();
    const ex = await alice.request('INVITE', 'sip:bob@lab.test', { to: '<sip:bob@lab.test>', callId, headers: [['Content-Type', 'application/sdp']], body: sdp });
    const { invite, ok: bobOk } = await answering;

    // What bob got: the request aimed at his contact, two Vias, the proxy's Record-Route, no proxy credentials.
    expect(invite.uri).toBe(bob.contact);
    expect(getHeaders(invite, 'Via')).toHaveLength(2);
    expect(getHeader(invite, 'Proxy-Authorization')).toBeUndefined();
    expect(getHeader(invite, 'Max-Forwards')).toBe('69');
    const rr = getHeaders(invite, 'Record-Route');
    expect(rr).toHaveLength(aT === bT ? 1 : 2);
    expect(rr[0]).toBe(`<${reg.uri(bT)};lr>`);
    expect(invite.body).toBe(sdp);

    // What alice got: 407 was answered, then 100 from the proxy, 180 and the 200 with the route set.
    expect(events.filter((e) => e.type === 'auth.challenge' && e.method === 'INVITE')).toMatchObject([{ status: 407, stale: false }]);
    expect(ex.provisionals.map((r) => r.status)).toEqual([100, 180]);
    expect(ex.final.status).toBe(200);
    expect(ex.final.body).toBe(sdp);
    expect(getHeaders(ex.final, 'Via')).toHaveLength(1);
    expect(getHeaders(ex.final, 'Record-Route')).toEqual(rr);

    const aliceDialog = alice.dialogAsCaller(ex.request, ex.final);
    expect(aliceDialog.routeSet[0]).toBe(`<${reg.uri(aT)};lr>`);
    alice.send(alice.inDialog(aliceDialog, 'ACK'));
    const ack = await bob.nextRequest('ACK');
    expect(ack.uri).toBe(bob.contact);
    expect(getHeader(ack, 'Route')).toBeUndefined();

    // bob hangs up: the BYE follows the route set back through the proxy to alice.
    const bobDialog = bob.dialogAsCallee(invite, bobOk);
    const byeDone = bob.exchange(bob.inDialog(bobDialog, 'BYE'));
    const bye = await alice.nextRequest('BYE');
    expect(bye.uri).toBe(alice.contact);
    alice.respond(bye, 200, 'OK');
    expect((await byeDone).final.status).toBe(200);
    expect(events.filter((e) => e.type === 'proxy.forwarded').map((e) => (e as { method: string }).method)).toEqual(['INVITE', 'BYE']);
  });

  it('answers 404 for an unknown user and 480 for a known one who is not registered', async () => {
    const { reg, events } = await registrar();
    const alice = await client(reg, 'alice');
    await alice.register();
    const unknown = await alice.request('INVITE', 'sip:carol@lab.test', { to: '<sip:carol@lab.test>' });
    expect(unknown.final.status).toBe(404);
    const away = await alice.request('INVITE', 'sip:bob@lab.test', { to: '<sip:bob@lab.test>' });
    expect(away.final.status).toBe(480);
    expect(events.filter((e) => e.type === 'proxy.rejected').map((e) => (e as { status: number }).status)).toEqual([404, 480]);
  });

  it('cancels a ringing call: 200 to CANCEL, CANCEL forwarded, 487 back to the caller', async () => {
    const { alice, bob, events } = await callSetup('udp', 'udp');
    const callee = (async () => {
      const invite = await bob.nextRequest('INVITE');
      bob.respond(invite, 180, 'Ringing', { toTag: 'b1' });
      const cancel = await bob.nextRequest('CANCEL');
      bob.respond(cancel, 200, 'OK');
      bob.respond(invite, 487, 'Request Terminated', { toTag: 'b1' });
      return { invite, cancel };
    })();
    let lastInvite: SipRequest | undefined;
    let cancelled: Promise<Exchange> | undefined;
    const ex = await alice.request('INVITE', 'sip:bob@lab.test', {
      to: '<sip:bob@lab.test>',
      onSend: (r) => (lastInvite = r),
      onProvisional: (r) => {
        if (r.status === 180) cancelled = alice.exchange(alice.cancelFor(lastInvite!));
      },
    });
    expect(ex.final.status).toBe(487);
    expect((await cancelled!).final.status).toBe(200);
    const { invite, cancel } = await callee;
    // The proxy's own CANCEL: same branch as the INVITE it forwarded (§9.1), not alice's.
    expect(getHeader(cancel, 'Via')).toBe(getHeader(invite, 'Via'));
    expect(cancel.uri).toBe(invite.uri);
    expect(events.filter((e) => e.type === 'proxy.forwarded').map((e) => (e as { method: string }).method)).toEqual(['INVITE']);
  });

  it('answers OPTIONS to itself and a malformed request with 400', async () => {
    const { reg, events } = await registrar();
    const alice = await client(reg, 'alice');
    const opt = await alice.request('OPTIONS', 'sip:lab.test', { auth: false });
    expect(opt.final.status).toBe(200);
    expect(getHeaders(opt.final, 'Allow')).toContain('SERVICE');
    const bad =
      `OPTIONS sip:lab.test SIP/2.0\r\nVia: SIP/2.0/UDP ${alice.local.ip}:${alice.local.port};branch=z9hG4bKbad\r\n` +
      'From: <sip:alice@lab.test>;tag=1\r\nTo: <sip:lab.test>\r\nCall-ID: bad\r\nCSeq: 1 OPTIONS\r\nContent-Length: 50\r\n\r\n';
    const res = await alice.exchangeRaw(bad, 'z9hG4bKbad', 'OPTIONS');
    expect(res.status).toBe(400);
    expect(getHeader(res, 'Warning')).toContain('Content-Length 50');
    expect(events.filter((e) => e.type === 'sip.parse-error')).toMatchObject([{ answered: true, transport: 'udp' }]);
  });
});
