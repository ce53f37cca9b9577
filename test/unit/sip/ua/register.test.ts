import { describe, expect, it } from 'vitest';
import { getHeader, getHeaders } from '../../../../main/sip/message';
import type { RegistrationEvent } from '../../../../main/sip/ua';
import { TestSipRegistrar } from '../../../support/sip-registrar';
import { run, settle, uaWorld } from './support';

describe('SipUserAgent registration (RFC 3261 §10.2) on the virtual network', () => {
  it('registers through a NAT with digest, fixes Contact from rport/received, refreshes at 80 %, un-registers on close', async () => {
    const w = await uaWorld('udp', { maxExpires: 60 });
    const alice = w.ua('alice', w.aliceHost);
    const info = await settle(w.clock, alice.register(3600));
    expect(info.expires).toBe(60);
    expect(info.contact).toBe('sip:alice@198.51.100.1:49152');
    expect(alice.publicAddress).toEqual({ ip: '198.51.100.1', port: 49152 });
    expect(w.reg.contactsOf('alice')).toEqual(['sip:alice@198.51.100.1:49152']);
    expect(alice.registrationState).toBe('registered');

    const registers = () => w.reg.requests.filter((r) => r.method === 'REGISTER');
    expect(registers()).toHaveLength(2); // 401, then with credentials
    expect(getHeader(registers()[0]!, 'Authorization')).toBeUndefined();
    expect(getHeader(registers()[1]!, 'Authorization')).toMatch(/^Digest username="alice", realm="lab.test".*qop=auth, cnonce=".*", nc=00000001/);
    // The first REGISTER could only guess; the authenticated one already carries the public address.
    expect(getHeaders(registers()[0]!, 'Contact')).toEqual(['<sip:alice@192.168.1.10:49152>;expires=3600']);
    expect(getHeaders(registers()[1]!, 'Contact')).toEqual(['<sip:alice@198.51.100.1:49152>;expires=3600']);

    const t0 = w.clock.now();
    await run(w.clock, 50_000, 100);
    expect(registers()).toHaveLength(3);
    // Refresh: same Call-ID, next CSeq, credentials up front with nc counting on (RFC 7616 §3.4).
    const r = registers();
    expect(getHeader(r[2]!, 'Call-ID')).toBe(getHeader(r[0]!, 'Call-ID'));
    expect(getHeader(r[2]!, 'CSeq')).toBe('3 REGISTER');
    expect(getHeader(r[2]!, 'Authorization')).toMatch(/nc=00000002/);
    expect(w.clock.now() - t0).toBeGreaterThanOrEqual(48_000);

    const states = (w.events['alice'] ?? []).filter((e): e is RegistrationEvent => e.type === 'registration').map((e) => `${e.from}>${e.to}`);
    expect(states).toEqual(['unregistered>registering', 'registering>registered', 'registered>refreshing', 'refreshing>registered']);

    await settle(w.clock, alice.close());
    expect(w.reg.contactsOf('alice')).toEqual([]);
    expect(getHeaders(registers().at(-1)!, 'Contact')).toEqual(['<sip:alice@198.51.100.1:49152>;expires=0']);
    await w.close();
  });

  it('SHA-256 digest works; a wrong password is SIP_AUTH_FAILED with the 401', async () => {
    const w = await uaWorld('udp', { algorithm: 'SHA-256' });
    const alice = w.ua('alice', w.aliceHost);
    await settle(w.clock, alice.register(600));
    expect(getHeader(w.reg.requests.at(-1)!, 'Authorization')).toMatch(/algorithm=SHA-256/);
    const bob = w.ua('bob', w.bobHost, { password: 'wrong' });
    const e = await settle(w.clock, bob.register(600).catch((x: unknown) => x));
    expect(e).toMatchObject({ code: 'SIP_AUTH_FAILED', detail: { response: { code: 401 } } });
    expect(bob.registrationState).toBe('failed');
    await settle(w.clock, Promise.all([alice.close(), bob.close()]));
    await w.close();
  });

  it('an unreachable registrar is SIP_TIMEOUT after 64·T1 naming REGISTER and the peer', async () => {
    const w = await uaWorld('udp', { drop: () => true });
    const alice = w.ua('alice', w.aliceHost, { timers: { t1: 100 } });
    const start = w.clock.now();
    const e = await settle(w.clock, alice.register(600).catch((x: unknown) => x));
    expect(e).toMatchObject({ code: 'SIP_TIMEOUT', detail: { peer: { ip: '203.0.113.10', port: 5060 } } });
    expect((e as Error).message).toMatch(/^REGISTER got no final response \(Timer F\)/);
    expect(w.clock.now() - start).toBeLessThanOrEqual(6_500);
    expect(w.clock.now() - start).toBeGreaterThanOrEqual(6_400);
    // Timer E retransmissions: 100, 200, 400, 800, 1600, 3200 (T2 cap 4000) … within 6.4 s.
    expect(w.reg.requests).toHaveLength(0);
    await settle(w.clock, alice.close());
    await w.close();
  });

  it('answers 423 with Min-Expires and re-registers with it', async () => {
    const w = await uaWorld('udp', { minExpires: 300 });
    const alice = w.ua('alice', w.aliceHost);
    const info = await settle(w.clock, alice.register(60));
    expect(info.expires).toBe(300);
    await settle(w.clock, alice.close());
    await w.close();
  });

  it('registers over TCP through the NAT on one connection', async () => {
    const w = await uaWorld('tcp');
    const alice = w.ua('alice', w.aliceHost);
    const info = await settle(w.clock, alice.register(600));
    expect(info.contact).toMatch(/^sip:alice@198\.51\.100\.1:\d+;transport=tcp$/);
    expect(w.reg.flowOf('alice')?.ip).toBe('198.51.100.1');
    await settle(w.clock, alice.close());
    expect(w.reg.contactsOf('alice')).toEqual([]);
    await w.close();
  });
});

describe('registration behind a NAT that forgets us', () => {
  it('without keep-alives the NAT re-maps us; the refresh learns it and moves the binding (old Contact expires=0)', async () => {
    const w = await uaWorld('udp', { maxExpires: 600 }, 1, { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portPreservation: false, portAllocation: 'random' });
    const alice = w.ua('alice', w.aliceHost, { keepAliveMs: 0 });
    const first = await settle(w.clock, alice.register(600));
    // The NAT's UDP mapping lasts 120 s; the refresh at 480 s leaves from a new one.
    await run(w.clock, 485_000, 1000);
    const contacts = w.reg.contactsOf('alice');
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).not.toBe(first.contact);
    expect(alice.registration?.contact).toBe(contacts[0]);
    const last = w.reg.requests.filter((r) => r.method === 'REGISTER').at(-1)!;
    expect(getHeaders(last, 'Contact')).toEqual([`<${contacts[0]}>;expires=600`, `<${first.contact}>;expires=0`]);
    await settle(w.clock, alice.close());
    await w.close();
  });

  it('with UDP keep-alives (default 30 s) the mapping and the Contact stay', async () => {
    const w = await uaWorld('udp', { maxExpires: 600 }, 1, { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portPreservation: false, portAllocation: 'random' });
    const alice = w.ua('alice', w.aliceHost);
    const first = await settle(w.clock, alice.register(600));
    await run(w.clock, 485_000, 1000);
    expect(w.reg.contactsOf('alice')).toEqual([first.contact]);
    expect(w.reg.requests.filter((r) => r.method === 'REGISTER')).toHaveLength(3);
    await settle(w.clock, alice.close());
    await w.close();
  });
});

describe('TLS registrar named by host', () => {
  it('checks the certificate against the registrar host name (SNI), not the resolved address', async () => {
    const w = await uaWorld('udp');
    await w.reg.close();
    const listener = await w.server.listenTcp({ ip: '203.0.113.10', port: 5061 });
    const reg = await TestSipRegistrar.start({ net: w.server, clock: w.clock, kind: 'tls', local: { ip: '203.0.113.10', port: 5061 }, server: listener, users: { alice: 'alice-pw' } });
    const seen: unknown[] = [];
    const host = w.aliceHost;
    const recording = new Proxy(host, {
      get(target, prop, receiver) {
        if (prop === 'connectTcp') return (to: unknown, opts: unknown) => (seen.push(opts), target.connectTcp(to as never, opts as never));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const alice = w.ua('alice', recording, { transport: 'tls', registrar: { host: 'lab.test' }, tls: { ca: 'PEM' } });
    const info = await settle(w.clock, alice.register(600));
    expect(info.contact).toMatch(/;transport=tls$/);
    expect(seen[0]).toMatchObject({ tls: { servername: 'lab.test', ca: 'PEM' } });
    await settle(w.clock, alice.close());
    await reg.close();
    await w.close();
  });
});
