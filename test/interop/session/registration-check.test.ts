import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../main/common/clock';
import { CryptoRandom } from '../../../main/common/random';
import { startSipLab, type SipLab, type SipLabOptions } from '../../../main/lab/sip-lab';
import { NodeNet } from '../../../main/net/node/node-net';
import { runRegistrationCheck, type RegistrationCheckOptions } from '../../../main/session/registration-check';
import { TurnAllocation } from '../../../main/turn';
import { pickFreePort } from '../../support/ports';
import { startSecretCoturn, stopAllCoturn, type LabCoturn } from '../../support/coturn-harness';
import * as fs from 'node:fs';

// runRegistrationCheck (what `mediapath register` runs) against the lab (startSipLab) on
// loopback: every transport, the failures a user meets (wrong password, nobody listening, MRAS
// refusing or silent, no Edge), and credentials that a real coturn sharing the secret accepts.

const SECRET = 'registration-check-secret';
const USERS = { alice: 'alice-pw', bob: 'bob-pw' };
const net = new NodeNet();
const clock = new RealClock();
let coturn: LabCoturn;
const labs: SipLab[] = [];

beforeAll(async () => {
  coturn = await startSecretCoturn({ ip: '127.0.0.1', secret: SECRET });
});

afterEach(async () => {
  for (const l of labs.splice(0)) await l.stop();
  expect(net.openResources()).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

afterAll(async () => {
  await stopAllCoturn();
});

async function lab(extra: Partial<SipLabOptions> = {}, withTurn = true): Promise<SipLab> {
  const l = await startSipLab({
    host: '127.0.0.1',
    port: 0,
    tls: { port: 0 },
    domain: 'lab.test',
    users: USERS,
    digest: 'MD5',
    ...(withTurn ? { turn: { host: coturn.udp.ip, udpPort: coturn.udp.port, tcpPort: coturn.tcp.port, secret: SECRET } } : {}),
    net,
    clock,
    ...extra,
  });
  labs.push(l);
  return l;
}

function check(l: SipLab | undefined, transport: 'udp' | 'tcp' | 'tls', extra: Partial<RegistrationCheckOptions> = {}) {
  const port = l ? l.summary.sip[transport]! : 9;
  const ca = l?.summary.caFile ? fs.readFileSync(l.summary.caFile, 'utf8') : undefined;
  return runRegistrationCheck({
    net,
    clock,
    random: new CryptoRandom(),
    transport,
    registrar: { address: '127.0.0.1', port },
    aor: 'sip:alice@lab.test',
    password: USERS.alice,
    location: 'internet',
    timeoutMs: 2000,
    ...(transport === 'tls' && ca ? { tls: { ca } } : {}),
    ...extra,
  });
}

describe('runRegistrationCheck against the lab', () => {
  it.each(['udp', 'tcp', 'tls'] as const)('%s: registers, reads provisioning, gets MRAS credentials coturn accepts, un-registers', async (transport) => {
    const l = await lab();
    const r = await check(l, transport);
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.registered).toMatchObject({ ok: true, expires: 300 });
    expect(r.provisioning?.mrasUri).toBe(l.summary.mrasUri);
    expect(r.steps.map((s) => [s.name, s.ok])).toEqual([['register', true], ['provisioning', true], ['mras', true], ['unregister', true]]);
    expect(r.diagnosis).toEqual([]);
    expect(r.mras?.username).toMatch(/^\d+:alice$/);
    expect(r.mras?.relays).toEqual([{ host: '127.0.0.1', udpPort: coturn.udp.port, tcpPort: coturn.tcp.port, location: 'internet' }]);
    expect(r.mras!.expiresAtWall - Date.now()).toBeGreaterThan(479 * 60_000);
    // The binding is gone afterwards.
    expect(l.registrar.bindings()).toEqual([]);
    // The credentials open an allocation on the coturn that shares the secret.
    const alloc = await TurnAllocation.allocate({
      net,
      clock,
      server: { address: coturn.udp, transport: 'udp' },
      credentials: { kind: 'rest', username: r.mras!.username, password: r.mras!.password, expiresAt: Math.floor(r.mras!.expiresAtWall / 1000) },
      localIp: '127.0.0.1',
    });
    expect(alloc.local.ip).toBe('127.0.0.1');
    expect(alloc.state).toBe('allocated');
    await alloc.close();
  });

  it('a wrong password is SIP_AUTH_FAILED and nothing else is tried', async () => {
    const l = await lab();
    const r = await check(l, 'udp', { password: 'wrong' });
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('SIP_AUTH_FAILED');
    expect(r.steps.map((s) => s.name)).toEqual(['register']);
    expect(r.diagnosis[0]).toMatch(/^not registered: the registrar refused the credentials/);
  });

  // The bound itself is checked in fake time (test/unit/session/registration-check.test.ts);
  // here only what real sockets add: ICMP port-unreachable must not turn into another error.
  it('nobody on UDP: SIP_TIMEOUT (Timer F scaled to the bound)', async () => {
    const port = await pickFreePort('127.0.0.1', { udp: true, tcp: false });
    const r = await runRegistrationCheck({
      net, clock, random: new CryptoRandom(), transport: 'udp', registrar: { address: '127.0.0.1', port }, aor: 'sip:alice@lab.test', password: 'x', location: 'internet', timeoutMs: 800,
    });
    expect(r.error?.code).toBe('SIP_TIMEOUT');
    expect(r.error?.cause).toBeUndefined();
  });

  it.each(['tcp', 'tls'] as const)('nobody on %s: the refused connection is presented as SIP_TIMEOUT (registrar unreachable), the net error kept as cause', async (transport) => {
    const port = await pickFreePort('127.0.0.1', { udp: false, tcp: true });
    const r = await runRegistrationCheck({
      net, clock, random: new CryptoRandom(), transport, registrar: { address: '127.0.0.1', port }, aor: 'sip:alice@lab.test', password: 'x', location: 'internet', timeoutMs: 2000,
    });
    expect(r.error?.code).toBe('SIP_TIMEOUT');
    // A refused connect never reached TLS: NET_CONNECT_FAILED for both, the refusal in the message.
    expect(r.error?.cause).toMatchObject({ code: 'NET_CONNECT_FAILED', message: expect.stringMatching(/ECONNREFUSED/) });
    expect(r.error?.message).toMatch(/^registrar unreachable: /);
    expect(r.diagnosis[0]).toMatch(/cannot be reached/);
  });

  it('an untrusted TLS certificate is NET_TLS_FAILED, not "unreachable"', async () => {
    const l = await lab();
    const r = await runRegistrationCheck({
      net, clock, random: new CryptoRandom(), transport: 'tls', registrar: { address: '127.0.0.1', port: l.summary.sip.tls! }, aor: 'sip:alice@lab.test', password: USERS.alice, location: 'internet', timeoutMs: 2000,
    });
    expect(r.error?.code).toBe('NET_TLS_FAILED');
    expect(r.diagnosis[0]).toMatch(/--ca/);
  });

  it('MRAS refusing (reasonPhrase knob): MRAS_FAILED and "no relay credentials", still un-registered', async () => {
    const l = await lab({ knobs: { mrasError: 'Internal Error' } });
    const r = await check(l, 'udp');
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('MRAS_FAILED');
    expect(r.error?.response).toMatchObject({ reasonPhrase: 'Internal Error' });
    expect(r.diagnosis[0]).toMatch(/^no relay credentials: .*reasonPhrase "Internal Error"/);
    expect(r.steps.map((s) => [s.name, s.ok])).toEqual([['register', true], ['provisioning', true], ['mras', false], ['unregister', true]]);
    expect(l.registrar.bindings()).toEqual([]);
  });

  it('MRAS silent: MRAS_TIMEOUT within the bound', async () => {
    const l = await lab({ knobs: { mrasSilent: true } });
    const r = await check(l, 'tcp', { timeoutMs: 700 });
    expect(r.error?.code).toMatch(/^(MRAS_TIMEOUT|SIP_TIMEOUT)$/);
    expect(r.diagnosis[0]).toMatch(/^no relay credentials: the MRAS service did not answer within 700 ms/);
    expect(r.steps.find((s) => s.name === 'mras')?.ok).toBe(false);
  });

  it('no TURN relay given to the lab: no mrasUri, the check passes with the "no relay credentials" diagnosis', async () => {
    const l = await lab({}, false);
    expect(l.summary.mrasUri).toBeNull();
    const r = await check(l, 'udp');
    expect(r.ok).toBe(true);
    expect(r.provisioning?.mrasUri).toBeNull();
    expect(r.mras).toBeNull();
    expect(r.steps.map((s) => s.name)).toEqual(['register', 'provisioning', 'unregister']);
    expect(r.diagnosis).toEqual([expect.stringMatching(/^no relay credentials: provisioning carried no mrasUri/)]);
  });
});
